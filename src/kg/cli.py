"""The `kg` command: thin argument parsing over the core; KGError becomes a one-paragraph message."""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pyoxigraph as ox

from . import build as build_mod
from .catalog import default_catalog
from .errors import KGError
from .export import SELECTIONS
from .formats import DATASET, GRAPH, RESULTS, format_names, lookup, write_boolean, write_graph, write_rows
from .namespaces import BASE, QUERY_PREFIXES, shorten
from .resolve import label
from .store import DatasetSpec, Store, open_store
from .table import render
from .terms import OxTerm
from .terms import literal as to_literal

if TYPE_CHECKING:
    from .sparql import Outcome


class Context:
    """Options shared by every command; the store is opened on first use."""

    def __init__(self, ontology: Path | None, data: tuple[Path, ...], cache: Path | None) -> None:
        # absolute: sources become file: IRIs (base IRIs for parsing), which a relative path cannot be
        self.ontology = ontology.absolute() if ontology else None
        self.data = tuple(p.absolute() for p in data)
        self.cache = cache.absolute() if cache else None
        self.store_url: str | None = None  # --store: answer from this SPARQL server
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None and self.store_url:
            from .remote import open_remote  # the remote must hold this build (`kg build --push`)

            snapshot = build_mod.build(self.ontology, self.data, self.cache)
            self._store = open_remote(self.store_url, snapshot)
        if self._store is None:
            self._store = open_store(self.ontology, self.data, self.cache)
        return self._store


def _use_store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.find_object(Context).store_url = value  # type: ignore[union-attr]


_STORE_HELP = (
    "Answer from this SPARQL 1.1 server (its query endpoint URL; default $KG_STORE_URL), which must "
    "hold this build (`kg build --push URL`); see docs/remote-store.md."
)
_store = click.option(
    "--store", metavar="URL", envvar="KG_STORE_URL", expose_value=False, callback=_use_store, help=_STORE_HELP
)


pass_ctx = click.make_pass_decorator(Context)
_path = click.Path(path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--ontology", type=_path, help="Folder of *.ttl sources (default: the packaged ontology).")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=_path,
    help="Extra Turtle data file (repeatable), loaded into the named graph …/graph/user/<file stem>.",
)
@click.option("--cache-dir", type=_path, help="Build cache (default: $KG_CACHE_DIR or ~/.cache/pharma-kg).")
@click.version_option(package_name="pharma-kg")
@click.pass_context
def cli(ctx: click.Context, ontology: Path | None, data: tuple[Path, ...], cache_dir: Path | None) -> None:
    """pharma-kg: a reasoned knowledge graph of outsourced drug development (CMOs, CROs, stages)."""
    ctx.obj = Context(ontology, data, cache_dir)


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even when the cache holds this build.")
@click.option(
    "--push",
    metavar="URL",
    help="Then load the build into this SPARQL 1.1 server (query endpoint URL; Graph Store Protocol + "
    "Update), replacing our graphs there in one step; see docs/remote-store.md.",
)
@pass_ctx
def build(ctx: Context, force: bool, push: str | None) -> None:
    """Validate (SHACL), reason (OWL 2 RL) and cache the dataset; print its graphs."""
    snapshot = build_mod.build(ctx.ontology, ctx.data, ctx.cache, force=force, thorough=True)
    rows = [[shorten(g), str(n)] for g, n in snapshot.manifest["graphs"].items()]
    click.echo(render(["graph", "triples"], rows))
    how = f"built in {snapshot.manifest['build_seconds']} s"
    if snapshot.cached:
        how = "reused from the cache"
    elif snapshot.damage:
        how = f"cache damaged ({snapshot.damage}); rebuilt in {snapshot.manifest['build_seconds']} s"
    click.echo(f"\nbuild {snapshot.key} {how}: {snapshot.folder}")
    if push:
        from .remote import Endpoint
        from .remote import push as load

        endpoint = Endpoint(push)
        load(snapshot, endpoint)
        total, graphs = sum(snapshot.manifest["graphs"].values()), len(snapshot.manifest["graphs"])
        click.echo(f"pushed {total} triples in {graphs} graphs to {endpoint.shown}")


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


_QUERY_HELP = f"""Run SPARQL given as TEXT, from --file, or a named query with --name and --param.

These prefixes are declared for every query (a query's own PREFIX wins): {", ".join(QUERY_PREFIXES)}.
A query naming IRIs of https://w3id.org/pharma-kg/ that the graph does not hold gets a warning on stderr.
"""


@cli.command(help=_QUERY_HELP)
@click.argument("text", required=False)
@click.option(
    "-f", "--file", "file", type=click.File("r", encoding="utf-8"), help="Read the query from a file."
)
@click.option("-n", "--name", help="Run a named query (see `kg queries`).")
@click.option("-p", "--param", multiple=True, help="Named-query parameter key=value (repeatable).")
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    help=f"table, a results format (SELECT, ASK) or an RDF format (CONSTRUCT, DESCRIBE): {format_names()}.",
)
@click.option("--wide", is_flag=True, help="Do not cut long values in the table.")
@click.option("--infer/--no-infer", default=True, show_default=True, help="Include inferred triples or not.")
@click.option("--max-rows", type=int, default=None, help="Stop after this many rows.")
@_store
@pass_ctx
def query(ctx, text, file, name, param, fmt, wide, infer, max_rows) -> None:
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
    _print_outcome(ctx.store, outcome, fmt, wide)
    for warning in absent_iris(ctx.store, text, substitutions):
        click.echo(f"warning: {warning}", err=True)


def _our_iris(text: str, substitutions) -> list[str]:
    """IRIs under our base (https://w3id.org/pharma-kg/, any scheme) that a query names: written whole
    or as prefixed names (our default prefixes, or its own PREFIX lines), or bound as parameters."""
    from .sparql import lex

    tokens = list(lex(text, strict=False))
    declared, skip = dict(QUERY_PREFIXES), set()
    for i, (kind, value) in enumerate(tokens[:-2]):
        following = [k for k, _ in tokens[i + 1 : i + 3]]
        if kind == "word" and value.upper() == "PREFIX" and following == ["pname", "iri"]:
            declared[tokens[i + 1][1].partition(":")[0]] = _unescape(tokens[i + 2][1][1:-1])
            skip |= {i + 1, i + 2}
    found = []
    for i, (kind, value) in enumerate(tokens):
        if i in skip:
            continue
        if kind == "iri":
            found.append(_unescape(value[1:-1]))
        elif kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix in declared and local:
                found.append(declared[prefix] + _unescape(local))
    found += [term.value for term in (substitutions or {}).values() if isinstance(term, ox.NamedNode)]
    ours = BASE.partition("://")[2]
    return [iri for iri in dict.fromkeys(found) if iri.partition("://")[2].startswith(ours)]


def _unescape(text: str) -> str:
    """Undo \\uXXXX escapes (IRIs) and \\x local-name escapes (prefixed names)."""
    text = re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})", lambda m: chr(int(m[1] or m[2], 16)), text)
    return re.sub(r"\\(.)", r"\1", text)


def absent_iris(store, text: str, substitutions=None) -> list[str]:
    """A warning for each IRI under our base that the query names and the graph does not hold (as a
    subject, predicate, object or graph name): a misspelt name or namespace otherwise gives 0 rows."""
    missing = []
    for iri in _our_iris(text, substitutions):
        node = ox.NamedNode(iri)
        if iri in store.graphs() or any(
            next(store.quads(**{position: node}), None) is not None
            for position in ("subject", "predicate", "obj")
        ):
            continue
        missing.append(iri)
    if not missing:
        return []
    known = {
        term.value
        for quad in store.quads()
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(BASE)
    } | set(store.graphs())
    warnings = []
    for iri in missing:
        text = f"{_iri_text(iri)} does not occur in the graph"
        close = difflib.get_close_matches(iri, known, n=1, cutoff=0.8)
        if close:
            text += f"; did you mean {_iri_text(close[0])}?"
        warnings.append(text)
    return warnings


def _iri_text(iri: str) -> str:
    shown = shorten(iri)
    return shown if shown != iri else f"<{iri}>"


class _EndsLine:
    """A binary stream that remembers whether what was written so far ends with a newline."""

    def __init__(self, out) -> None:
        self.out, self.ended = out, True

    def write(self, chunk: bytes) -> int:
        if chunk:
            self.ended = bytes(chunk).endswith(b"\n")
        return self.out.write(chunk)

    def flush(self) -> None:
        self.out.flush()


def _cell(store: Store, term: OxTerm | None) -> str:
    """A table cell: the term as `resolve.label` shows it, IRIs as CURIEs; empty when unbound."""
    return "" if term is None else label(store, term, curie=True)


#: Table cells longer than this are cut with "…" unless --wide is given.
TABLE_WIDTH = 60


def _table(headers, rows, wide: bool, hint: str, max_width: int = TABLE_WIDTH) -> tuple[str, str]:
    """`render`, and the note to print once under it when it cut values (else ""): how to see them."""
    text = render(headers, rows, max_width=sys.maxsize if wide else max_width)
    cut = not wide and any(len(" ".join(str(c).split())) > max_width for r in [headers, *rows] for c in r)
    return text, (f"long values are cut with “…”: {hint} to see them whole" if cut else "")


def _print_outcome(store: Store, outcome: Outcome, fmt_name: str, wide: bool = False) -> None:
    out = _EndsLine(sys.stdout.buffer)
    if fmt_name == "table":
        if outcome.form == "ASK":
            click.echo("true" if outcome.boolean else "false")
        elif outcome.form == "SELECT":
            rows = [[_cell(store, r[v]) for v in outcome.variables] for r in outcome.rows or ()]
            table, note = _table(outcome.variables, rows, wide, "use --wide or --format csv")
            click.echo(table)
            click.echo(f"\n{len(rows)} row(s)" + (" (cut by --max-rows)" if outcome.truncated() else ""))
            if note:
                click.echo(f"({note})")
            return
        else:
            write_graph(lookup("turtle"), outcome.triples or iter(()), out)
    elif outcome.form in ("SELECT", "ASK"):
        fmt = lookup(fmt_name, (RESULTS,))
        if outcome.form == "ASK":
            out.write(write_boolean(fmt, bool(outcome.boolean)))
        else:
            for chunk in write_rows(fmt, outcome.variables, outcome.rows or iter(())):
                out.write(chunk)
    else:
        write_graph(lookup(fmt_name, (GRAPH, DATASET)), outcome.triples or iter(()), out)
    if not out.ended:  # a terminal prompt after JSON should start on its own line
        out.write(b"\n")
    out.flush()


_as_json = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
_infer = click.option("--infer/--no-infer", default=True, help="Use inferred edges (default) or not.")


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
@click.argument("name")
@_infer
@_as_json
@_store
@pass_ctx
def describe(ctx: Context, name: str, infer: bool, as_json: bool) -> None:
    """Everything about a resource (IRI, CURIE or label): label, definition, types, links, and the
    source each statement cites (an article section, the FDA page, the examples; none when inferred)."""
    from .provenance import is_record_link, statement_sources
    from .resolve import resolve
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
@_store
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
        rows.append([edge.render_text(), other, label(ctx.store, term, curie=True)])
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
@_store
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
@_store
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
@click.option(
    "--store",
    metavar="URL",
    envvar="KG_STORE_URL",
    help="Answer from this SPARQL 1.1 server (query endpoint URL; default $KG_STORE_URL), pushing this "
    "build unless it holds it already; see docs/remote-store.md.",
)
@pass_ctx
def serve(ctx: Context, host, port, workers, timeout, max_rows, allow_service_host, store) -> None:
    """Serve SPARQL 1.1, the named-query API and resource pages over HTTP."""
    from .web.server import serve as run

    if store:  # build and push here, once: a store we cannot reach is one line and exit 1, not a crash loop
        from .remote import Endpoint, ensure_pushed

        endpoint = Endpoint(store)
        if ensure_pushed(build_mod.build(ctx.ontology, ctx.data, ctx.cache), endpoint):
            click.echo(f"pushed this build to {endpoint.shown}", err=True)

    config = {
        # absolute paths: the server's worker processes need not share our working directory
        "KG_ONTOLOGY": ctx.ontology.resolve() if ctx.ontology else None,
        "KG_DATA": [p.resolve() for p in ctx.data],
        "KG_CACHE_DIR": ctx.cache.resolve() if ctx.cache else None,
        "KG_QUERY_TIMEOUT": timeout,
        "KG_MAX_ROWS": max_rows,
        "KG_ALLOW_SERVICE_HOSTS": list(allow_service_host),
        "KG_STORE_URL": store,
    }
    run(
        host=host, port=port, workers=workers, config={k: v for k, v in config.items() if v not in (None, [])}
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--wide", is_flag=True, help="Do not cut long values in the table.")
def queries(fmt: str, wide: bool) -> None:
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
    table, note = _table(["name", "parameters", "summary"], rows, wide, "use --wide or --format json", 70)
    click.echo(table)
    if note:
        click.echo(f"\n({note})")


@cli.command()
@click.option(
    "--format",
    "fmt",
    default="turtle",
    show_default=True,
    help=f"RDF format, by name or media type: {format_names((GRAPH, DATASET))}.",
)
@click.option(
    "--graphs",
    type=click.Choice(SELECTIONS),
    default="all",
    show_default=True,
    help="asserted: the source files' graphs; inferred: the reasoner's graph; all: both. "
    "Graph formats merge the graphs; TriG and N-Quads keep them.",
)
@click.option("-o", "--output", type=_path, help="Write to this file (default: stdout).")
@click.option(
    "--void/--no-void",
    default=True,
    show_default=True,
    help="Append a VoID + PROV description of what the file holds and how it was built.",
)
@_store
@pass_ctx
def export(ctx: Context, fmt: str, graphs: str, output: Path | None, void: bool) -> None:
    """Dump the graph in an RDF format, with a VoID description of the export and its build.

    Turtle, TriG, RDF/XML and JSON-LD are grouped by subject and prefixed (JSON-LD with an @context);
    N-Triples and N-Quads are streamed.
    """
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
    """Write to a temporary file beside `path` and rename it in place only when all went well.

    The file gets the mode `open()` would give it: an existing file's, else 0666 minus the umask
    (mkstemp's own 0600 would hide exports from everyone else).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _misplaced_option(exc: click.exceptions.NoSuchOption, args: list[str]) -> str | None:
    """For an option of `kg` itself given after a command (`kg build --data x`): where it goes."""
    command = exc.ctx.info_name if exc.ctx is not None else None
    option = next((o for o in cli.params if exc.option_name in o.opts), None)
    if option is None or command is None or command == "kg" or command not in args:
        return None
    moved: list[str] = []
    rest = list(args)
    for i, arg in enumerate(rest):
        if arg == exc.option_name or arg.startswith(exc.option_name + "="):
            takes_value = not getattr(option, "is_flag", False) and "=" not in arg
            moved = rest[i : i + 1 + (takes_value and i + 1 < len(rest))]
            del rest[i : i + len(moved)]
            break
    at = rest.index(command)
    suggestion = shlex.join(["kg", *rest[:at], *moved, *rest[at:]])
    return (
        f"{exc.option_name} is an option of kg itself, not of `kg {command}`: "
        f"give it before the command, as in: {suggestion}"
    )


def main() -> None:
    """Console entry point: domain errors exit 1 with their message, never a traceback."""
    try:
        cli.main(standalone_mode=False, prog_name="kg")
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoSuchOption as exc:
        hint = _misplaced_option(exc, sys.argv[1:])
        if hint is None:
            exc.show()
        else:
            click.echo(f"error: {hint}", err=True)
        sys.exit(exc.exit_code)
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
