"""pharma-kg: a reasoned knowledge graph of outsourced drug development (CMOs, CROs, stages)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pharma-kg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
