"""The `kg` command: thin argument parsing over the core; KGError becomes a one-paragraph message."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click
import pyoxigraph as ox

from . import build as build_mod
from .catalog import default_catalog
from .errors import KGError
from .formats import DATASET, GRAPH, RESULTS, lookup, write_boolean, write_graph, write_rows
from .namespaces import shorten
from .store import DatasetSpec, OxigraphStore, open_store
from .table import render
from .terms import literal as to_literal


class Context:
    """Options shared by every command; the store is opened on first use."""

    def __init__(self, ontology: Path | None, data: tuple[Path, ...], cache: Path | None) -> None:
        self.ontology, self.data, self.cache = ontology, data, cache
        self._store: OxigraphStore | None = None

    @property
    def store(self) -> OxigraphStore:
        if self._store is None:
            self._store = open_store(self.ontology, self.data, self.cache)
        return self._store


pass_ctx = click.make_pass_decorator(Context)
_path = click.Path(path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--ontology", type=_path, help="Folder of *.ttl sources (default: the packaged ontology).")
@click.option("--data", "data", multiple=True, type=_path, help="Extra Turtle data file (repeatable).")
@click.option("--cache-dir", type=_path, help="Build cache (default: $KG_CACHE_DIR or ~/.cache/pharma-kg).")
@click.version_option(package_name="pharma-kg")
@click.pass_context
def cli(ctx: click.Context, ontology: Path | None, data: tuple[Path, ...], cache_dir: Path | None) -> None:
    """pharma-kg: a reasoned knowledge graph of outsourced drug development (CMOs, CROs, stages)."""
    ctx.obj = Context(ontology, data, cache_dir)


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even when the cache holds this build.")
@pass_ctx
def build(ctx: Context, force: bool) -> None:
    """Validate (SHACL), reason (OWL 2 RL) and cache the dataset; print its graphs."""
    snapshot = build_mod.build(ctx.ontology, ctx.data, ctx.cache, force=force)
    rows = [[shorten(g), str(n)] for g, n in snapshot.manifest["graphs"].items()]
    click.echo(render(["graph", "triples"], rows))
    how = f"built in {snapshot.manifest['build_seconds']} s"
    if snapshot.cached:
        how = "reused from the cache"
    elif snapshot.damage:
        how = f"cache damaged ({snapshot.damage}); rebuilt in {snapshot.manifest['build_seconds']} s"
    click.echo(f"\nbuild {snapshot.key} {how}: {snapshot.folder}")


@cli.command()
@pass_ctx
def validate(ctx: Context) -> None:
    """Parse every source and check it against the SHACL shapes (no reasoning)."""
    files = build_mod.check(ctx.ontology, ctx.data)
    click.echo(f"valid: {len(files)} file(s) conform to the shapes")


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="--param")
        params[key.strip()] = value
    return params


@cli.command()
@click.argument("text", required=False)
@click.option(
    "-f", "--file", "file", type=click.File("r", encoding="utf-8"), help="Read the query from a file."
)
@click.option("-n", "--name", help="Run a named query (see `kg queries`).")
@click.option("-p", "--param", multiple=True, help="Named-query parameter key=value (repeatable).")
@click.option("--format", "fmt", default="table", help="table (default) or any result/RDF format name.")
@click.option("--infer/--no-infer", default=True, help="Include inferred triples (default) or not.")
@click.option("--max-rows", type=int, default=None, help="Stop after this many rows.")
@pass_ctx
def query(ctx, text, file, name, param, fmt, infer, max_rows) -> None:
    """Run SPARQL given as TEXT, from --file, or a named query with --name and --param."""
    from . import sparql

    given = [x for x in (text, file, name) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of TEXT, --file or --name")
    substitutions = None
    if name:
        named = default_catalog().get(name)
        substitutions = named.bind(_parse_params(param))
        text = named.text
    elif file:
        text = file.read()
    if param and not name:
        raise click.UsageError("--param goes with --name")
    if fmt != "table":
        lookup(fmt)  # an unknown format fails before the query runs
    outcome = sparql.run(ctx.store, text, DatasetSpec(infer=infer), substitutions, cap=max_rows)
    _print_outcome(outcome, fmt)


def _term_text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _print_outcome(outcome, fmt_name: str) -> None:
    out = sys.stdout.buffer
    if fmt_name == "table":
        if outcome.form == "ASK":
            click.echo("true" if outcome.boolean else "false")
        elif outcome.form == "SELECT":
            rows = [[_term_text(r[v]) for v in outcome.variables] for r in outcome.rows]
            click.echo(render(outcome.variables, rows))
            click.echo(f"\n{len(rows)} row(s)" + (" (cut by --max-rows)" if outcome.truncated() else ""))
        else:
            write_graph(lookup("turtle"), outcome.triples, out)
        return
    if outcome.form in ("SELECT", "ASK"):
        fmt = lookup(fmt_name, (RESULTS,))
        if outcome.form == "ASK":
            out.write(write_boolean(fmt, outcome.boolean))
        else:
            for chunk in write_rows(fmt, outcome.variables, outcome.rows):
                out.write(chunk)
    else:
        write_graph(lookup(fmt_name, (GRAPH, DATASET)), outcome.triples, out)
    out.flush()


_as_json = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
_infer = click.option("--infer/--no-infer", default=True, help="Use inferred edges (default) or not.")


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
@click.argument("name")
@_infer
@_as_json
@pass_ctx
def describe(ctx: Context, name: str, infer: bool, as_json: bool) -> None:
    """Everything about a resource (IRI, CURIE or label): label, definition, types, links, and the
    source each statement cites (an article section, the FDA page, the examples; none when inferred)."""
    from .provenance import is_record_link, statement_sources
    from .resolve import label, resolve
    from .traverse import neighbours

    node = resolve(ctx.store, name)
    found = statement_sources(ctx.store, node)
    # a provenance record pointing at the node is shown as its statement's source, not as a link
    edges = [
        e for e in neighbours(ctx.store, node, infer=infer) if not is_record_link(e.predicate, e.direction)
    ]
    cited = [found.get((e.subject, e.predicate, e.object), []) for e in edges]
    if as_json:
        listed = [
            {**e.to_dict(), "sources": [s.to_dict() for s in c]} for e, c in zip(edges, cited, strict=True)
        ]
        _echo_json({"resource": node.value, "label": label(ctx.store, node), "edges": listed})
        return
    click.echo(f"{label(ctx.store, node)}  <{node.value}>\n")
    rows = []
    for edge, sources in zip(edges, cited, strict=True):
        other = edge.object_label if edge.direction == "out" else edge.subject_label
        mark = " (inferred)" if edge.inferred else ""
        source = "; ".join(s.label for s in sources)
        rows.append([edge.direction, shorten(edge.predicate.value) + mark, other, source])
    click.echo(render(["dir", "predicate", "value", "source"], rows, max_width=90))


@cli.command()
@click.argument("name")
@_infer
@_as_json
@pass_ctx
def neighbours(ctx: Context, name: str, infer: bool, as_json: bool) -> None:
    """Resources linked to NAME, outgoing and incoming, with predicates and labels."""
    from .traverse import neighbours as find

    edges = find(ctx.store, name, infer=infer)
    if as_json:
        _echo_json([e.to_dict() for e in edges])
        return
    rows = []
    for edge in edges:
        if edge.direction == "out" and isinstance(edge.object, ox.Literal):
            continue  # neighbours are resources; `kg describe` shows the literals
        other, term = (
            (edge.object_label, edge.object)
            if edge.direction == "out"
            else (edge.subject_label, edge.subject)
        )
        rows.append([edge.render_text(), other, _term_text(term)])
    click.echo(render(["edge", "neighbour", "resource"], rows, max_width=70))


@cli.command()
@click.argument("source")
@click.argument("target")
@click.option(
    "--max-depth", type=click.IntRange(0, 8), default=4, show_default=True, help="Most edges in a path."
)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Most paths.")
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True)
@click.option("--directed", is_flag=True, help="Follow edges forwards only.")
@_infer
@_as_json
@pass_ctx
def paths(ctx, source, target, max_depth, limit, timeout, directed, infer, as_json) -> None:
    """Shortest paths between two resources, as nodes and edges (IRI, CURIE or label).

    Two different predicates between the same two nodes give two paths."""
    from .traverse import paths as find

    deepest = 8  # the bound of --max-depth

    found = find(
        ctx.store,
        source,
        target,
        max_depth=max_depth,
        infer=infer,
        limit=limit,
        timeout_s=timeout,
        undirected=not directed,
    )
    if as_json:
        _echo_json(found.to_dict())
        return
    if not found:
        click.echo(f"no path of length <= {max_depth} between {source!r} and {target!r}")
        if found.complete and max_depth < deepest:
            click.echo(f"search deeper with --max-depth {max_depth + 1} (now {max_depth}; at most {deepest})")
        elif found.complete:
            hint = "; without --directed, edges are also walked backwards" if directed else ""
            click.echo(f"--max-depth {deepest} is the deepest search{hint}")
    for number, path in enumerate(found, 1):
        click.echo(f"{number}. ({path.length} step{'s' if path.length != 1 else ''}) {path.render_text()}")
    if found.stopped or not found.complete:
        click.echo(f"\n(search stopped: {found.stopped})")


@cli.command()
@click.argument("subject")
@click.argument("predicate")
@click.argument("obj", metavar="OBJECT")
@click.option(
    "--literal", is_flag=True, help='OBJECT is a literal: "text"@en, "1"^^<datatype> or plain text.'
)
@click.option(
    "--max",
    "max_derivations",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Show at most this many derivations (the rest are counted).",
)
@_as_json
@pass_ctx
def explain(ctx: Context, subject, predicate, obj, literal, max_derivations, as_json) -> None:
    """Why a triple holds: asserted (with its source passage) or inferred (every derivation: rule and
    premises, down to asserted triples)."""
    from .explain import explain as why

    try:
        target = to_literal(obj) if literal else obj
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="OBJECT") from None
    answer = why(ctx.store, subject, predicate, target, max_derivations=max_derivations)
    if as_json:
        _echo_json(answer.to_dict())
    else:
        click.echo(answer.render_text())


@cli.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default)."
)
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Server processes.")
@click.option(
    "--timeout", type=click.FloatRange(0.1, 3600), default=None, help="Per-query budget, seconds [10]."
)
@click.option("--max-rows", type=click.IntRange(1), default=None, help="Result row cap [10000].")
@click.option("--allow-service-host", multiple=True, help="Let SERVICE reach this host (repeatable).")
@pass_ctx
def serve(ctx: Context, host, port, workers, timeout, max_rows, allow_service_host) -> None:
    """Serve SPARQL 1.1, the named-query API and resource pages over HTTP."""
    from .web.server import serve as run

    config = {
        # absolute paths: the server's worker processes need not share our working directory
        "KG_ONTOLOGY": ctx.ontology.resolve() if ctx.ontology else None,
        "KG_DATA": [p.resolve() for p in ctx.data],
        "KG_CACHE_DIR": ctx.cache.resolve() if ctx.cache else None,
        "KG_QUERY_TIMEOUT": timeout,
        "KG_MAX_ROWS": max_rows,
        "KG_ALLOW_SERVICE_HOSTS": list(allow_service_host),
    }
    run(
        host=host, port=port, workers=workers, config={k: v for k, v in config.items() if v not in (None, [])}
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def queries(fmt: str) -> None:
    """List the named queries with their summaries and parameters."""
    catalog = default_catalog()
    if fmt == "json":
        items = [
            {
                "name": q.name,
                "summary": q.summary,
                "questions": list(q.questions),
                "params": [p.__dict__ for p in q.params],
            }
            for q in catalog
        ]
        click.echo(json.dumps(items, indent=2))
        return
    rows = []
    for q in catalog:
        params = ", ".join(f"{p.name}:{p.type}" + (f"={p.default}" if p.default else "") for p in q.params)
        rows.append([q.name, params, q.summary])
    click.echo(render(["name", "parameters", "summary"], rows, max_width=70))


@cli.command()
@click.option(
    "--format", "fmt", default="turtle", help="RDF format (turtle, ntriples, jsonld, rdfxml, trig, nquads)."
)
@click.option("--graphs", type=click.Choice(["all", "asserted", "inferred"]), default="all")
@click.option("-o", "--output", type=_path, help="Write to this file (default: stdout).")
@click.option("--void/--no-void", default=True, help="Append the VoID + provenance description.")
@pass_ctx
def export(ctx: Context, fmt: str, graphs: str, output: Path | None, void: bool) -> None:
    """Dump the graph in an RDF format, streamed, with a VoID description of the build."""
    from .export import export as dump

    chosen = lookup(fmt, (GRAPH, DATASET))
    if output is None:
        dump(ctx.store, sys.stdout.buffer, chosen, graphs, void)
        return
    with _atomic(output) as out:
        dump(ctx.store, out, chosen, graphs, void)
    click.echo(f"wrote {output}", err=True)


@contextmanager
def _atomic(path: Path):
    """Write to a temporary file beside `path` and rename it in place only when all went well."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main() -> None:
    """Console entry point: domain errors exit 1 with their message, never a traceback."""
    try:
        cli.main(standalone_mode=False, prog_name="kg")
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KGError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a file we were asked to read or write; say which, without a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
