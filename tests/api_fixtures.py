"""A real server over the packaged domain graph, for the API and resource-page tests.

Built on `web_fixtures` (same process handling), but serving the real ontology with the default limits,
so named queries and walks answer with the content the sources state. Import explicitly:
`from api_fixtures import kg_server  # noqa: F401`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from web_fixtures import Client, free_port, start_server, stop_server, wait_healthy

ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology"
PKG = "https://w3id.org/pharma-kg/id/"


@pytest.fixture(scope="session")
def kg_server(cache_dir: Path):
    """`kg serve` on 127.0.0.1:<free port> over the packaged ontology; yields a `Client`."""
    port = free_port()
    process = start_server(ONTOLOGY, cache_dir, port, KG_QUERY_TIMEOUT="20", KG_MAX_ROWS="10000")
    client = Client("127.0.0.1", port)
    try:
        wait_healthy(client, process)
        yield client
    finally:
        stop_server(process)
