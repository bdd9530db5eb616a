"""Large dumps stream in chunks (unit level, Flask's test client): the chunks still make one document."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest

from kg.web import create_app


@pytest.fixture(scope="module")
def client(cache_dir):
    app = create_app({"KG_CACHE_DIR": str(cache_dir), "KG_STREAM_ABOVE": 0, "KG_QUERY_WORKERS": 1})
    return app.test_client()


@pytest.mark.parametrize(
    ("path", "fmt"), [("/dataset.nq", ox.RdfFormat.N_QUADS), ("/dataset.trig", ox.RdfFormat.TRIG)]
)
def test_dataset_streams_and_parses_back_whole(client, store, path, fmt):
    response = client.get(path)
    assert response.status_code == 200 and "Content-Length" not in response.headers  # chunked
    quads = set(ox.parse(response.get_data(), format=fmt))
    assert (
        len(quads) == store.count()
        and ox.Quad(
            ox.NamedNode("https://w3id.org/pharma-kg/id/CMO"),
            ox.NamedNode("https://w3id.org/pharma-kg/id/hasResponsibility"),
            ox.NamedNode("https://w3id.org/pharma-kg/id/QualityControl"),
            ox.NamedNode("https://w3id.org/pharma-kg/graph/article"),
        )
        in quads
    )


def test_streamed_gzip_is_one_valid_gzip_stream(client, store):
    response = client.get("/dataset.nq", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and "Content-Length" not in response.headers
    quads = list(ox.parse(gzip.decompress(response.get_data()), format=ox.RdfFormat.N_QUADS))
    assert len(set(quads)) == store.count()


def test_formats_that_cannot_be_chunked_are_sent_whole(client):
    response = client.get("/rdf-graphs?graph=https://w3id.org/pharma-kg/graph/article&format=jsonld")
    assert response.status_code == 200 and int(response.headers["Content-Length"]) > 0
    assert list(ox.parse(response.get_data(), format=ox.RdfFormat.JSON_LD))
