"""Benchmarks for pharma-kg: `python -m bench` (or `make bench`) prints plain tables.

Nothing here is imported by `kg`; the package only measures it (see bench/README.md).
"""
