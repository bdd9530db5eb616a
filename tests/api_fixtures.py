"""A real server over the packaged domain graph, for the API and resource-page tests.

Built on `web_fixtures` (same process handling), but serving the real ontology with the default limits,
so named queries and walks answer with the content the sources state. Import explicitly:
`from api_fixtures import kg_server  # noqa: F401`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from web_fixtures import start_server, stop_server

ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology"
PKG = "https://w3id.org/pharma-kg/id/"


@pytest.fixture(scope="session")
def kg_server(cache_dir: Path):
    """`kg serve` on 127.0.0.1:<a port it holds> over the packaged ontology; yields a `Client`."""
    process, client = start_server(ONTOLOGY, cache_dir, KG_QUERY_TIMEOUT="20", KG_MAX_ROWS="10000")
    try:
        yield client
    finally:
        stop_server(process)
