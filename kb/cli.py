"""``wtkb``: the command line over the kb library. Commands print for people by default and the
API's JSON with ``--json``; errors are one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kb import diff_render, handout
from kb import index as kb_index
from kb.corpus import Provision
from kb.diff import KINDS as DIFF_KINDS
from kb.embed import Embedder, ModelMissing
from kb.flow import Flowchart, FlowError, walk
from kb.index import IndexDamaged, IndexMissing
from kb.problems import CorpusInvalid
from kb.scenario import ScenarioInvalid, run_scenario, shipped
from kb.search import Query, QueryError, parse_edition
from kb.service import Knowledge
from kb.settings import get_settings
from kb.stats import ChapterCoverage, counts, coverage, editions_json
from kb.timescale import timescale_text

app = typer.Typer(
    help="Working Together to Safeguard Children: search the guidance, check the corpus, build the index.\n\n"
    "Not legal advice: always check the official guidance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EditionOpt = Annotated[
    str | None, typer.Option("--edition", "-e", help="Edition year (default: the current one), or 'all'.")
]
DocumentOpt = Annotated[
    str | None,
    typer.Option(
        "--document", "-d", help="wt or kcsie (default: every document, each at its current edition)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (the same shape as the API).")]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def knowledge() -> Knowledge:
    return Knowledge(get_settings())


@app.command()
def check() -> None:
    """Validate the corpus: prints file:line: message for each problem (exit 1), or a summary."""
    corpus = knowledge().corpus
    if corpus.problems:
        for problem in corpus.problems:
            out.print(str(problem), highlight=False, soft_wrap=True)
        err.print(f"{len(corpus.problems)} problem(s) found")
        raise typer.Exit(1)
    charts = len(corpus.flowcharts)
    out.print(
        f"ok: {len(corpus.provisions)} provisions, {charts} flowcharts, "
        f"{len(corpus.editions)} editions ({', '.join(e.id for e in corpus.editions.values())}), "
        f"{len(corpus.roles)} roles"
    )


@app.command()
def build(
    verify: Annotated[
        bool, typer.Option("--verify", help="Only check the live index: every file's hash and every vector.")
    ] = False,
) -> None:
    """Index the corpus (embeddings + BM25); the live index is replaced only when the new one is complete.

    Unchanged provisions are never re-embedded, and a damaged index is built again."""
    settings = get_settings()
    if verify:
        try:
            manifest = kb_index.verify(settings)
        except IndexMissing as exc:
            raise fail(str(exc), 1) from None
        files = len(manifest["files"])
        out.print(
            f"index ok: build {manifest['build']}, {files} files and {manifest['provisions']} vectors checked"
        )
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:

        def progress(total: int) -> Callable[[int], None]:
            task = bar.add_task("embedding new or changed provisions", total=total)
            return lambda n: bar.advance(task, n)

        try:
            report = kb_index.build(
                settings, lambda: Embedder(settings.model_package, settings.query_cache_size), progress
            )
        except CorpusInvalid as exc:
            for problem in exc.problems:
                err.print(str(problem), highlight=False, soft_wrap=True)
            raise fail(
                "the corpus has problems; the previous index is unchanged (run `wtkb check`)", 1
            ) from None
        except (ModelMissing, RuntimeError) as exc:
            raise fail(str(exc), 1) from None
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    if report.repaired:
        message = f"the index was damaged ({report.repaired}): built it again from the embedding cache"
        err.print(f"[yellow]repaired:[/yellow] {message}", highlight=False, soft_wrap=True)
    if not report.changed:
        out.print(f"index up to date: {report.provisions} provisions, nothing to embed")
        return
    out.print(
        f"built {report.build_id}: {report.provisions} provisions "
        f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f}s"
    )
    out.print(report.query_model, highlight=False)


def print_provision(p: Provision, score: float | None = None) -> None:
    status = f"{p.status}" + (f" ({p.force})" if p.force else "")
    head = f"[bold]{p.title}[/bold]  [dim]{p.uid}[/dim]"
    out.print(head + (f"  [dim]score {score:.4f}[/dim]" if score is not None else ""))
    out.print(f"  {status} · {p.cite()}" + (f" · basis: {p.basis}" if p.basis else ""), highlight=False)
    if p.timescale:
        out.print(f"  timescale: {p.timescale}", highlight=False)
    out.print(f"  roles: {', '.join(p.roles)}", highlight=False)
    out.print(f"  {p.text}", highlight=False, soft_wrap=True)
    out.print()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What you want to know, in plain words.")],
    edition: EditionOpt = None,
    document: DocumentOpt = None,
    status: Annotated[str | None, typer.Option(help="statutory or advice")] = None,
    force: Annotated[str | None, typer.Option(help="must or should (statutory only)")] = None,
    role: Annotated[
        str | None, typer.Option(help="Only provisions for this role (see `wtkb roles`).")
    ] = None,
    chapter: Annotated[
        str | None, typer.Option(help="Only this chapter (0 = introduction, A = appendix A).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many results.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search the guidance: ranked provisions with status, force, basis and citation."""
    kb = knowledge()
    try:
        hits = kb.search(Query(query, parse_edition(edition), document, status, force, role, chapter, limit))
    except (QueryError, IndexMissing) as exc:
        raise fail(str(exc), 1 if isinstance(exc, IndexDamaged) else 2) from None
    if as_json:
        print(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        out.print("no provisions match; try other words or fewer filters")
    for hit in hits:
        print_provision(hit.provision, hit.score)


VERDICT_STYLE = {"statutory": "green", "advice": "blue", "not_in_guidance": "yellow", "contradicts": "red"}


@app.command()
def statutory(
    statement: Annotated[str, typer.Argument(help="A claim to check, e.g. 'we must refer within 24 hours'.")],
    edition: Annotated[
        str | None, typer.Option("--edition", "-e", help="Edition year (default: the current one).")
    ] = None,
    role: Annotated[str | None, typer.Option(help="Who the statement is about, if it does not say.")] = None,
    document: DocumentOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Is this statutory? Verdict (statutory, advice, not_in_guidance or contradicts) with evidence."""
    kb = knowledge()
    try:
        result = kb.statutory(statement, parse_edition(edition), role, document)
    except (QueryError, IndexMissing) as exc:
        raise fail(str(exc), 1 if isinstance(exc, IndexDamaged) else 2) from None
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    verdict = result["verdict"]
    force = f" ({result['force']})" if result["force"] else ""
    style = VERDICT_STYLE[verdict]
    out.print(f"[bold {style}]{verdict}{force}[/]  confidence {result['confidence']:.2f}", highlight=False)
    out.print(result["explanation"], highlight=False, soft_wrap=True)
    out.print()
    for hit in result["evidence"]:
        print_provision(kb.provision(hit["edition"], hit["key"], hit["document"]), hit["score"])


def coverage_table(title: str, rows: list[ChapterCoverage]) -> Table:
    """One edition's chapters: the paragraph range a copy prints against the paragraphs cited."""
    table = Table(title=title, title_justify="left")
    table.add_column("chapter", max_width=20, no_wrap=True, overflow="ellipsis")
    table.add_column("printed", no_wrap=True)
    for column in ("provisions", "with para", "paras cited"):
        table.add_column(column, justify="right")
    table.add_column("covered", no_wrap=True)
    for r in rows:
        covered = f"{r.covered}/{r.total} ({r.percent:.0f}%)" if r.total else ""
        row = (r.printed or "not recorded", r.provisions, r.with_para, r.cited, covered)
        table.add_row(f"{r.chapter} {r.title}", *map(str, row))
    return table


@app.command()
def stats(
    coverage_: Annotated[bool, typer.Option("--coverage", help="Paragraph coverage per chapter.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Counts per edition, chapter, status and force (or, with --coverage, paragraph coverage)."""
    corpus = knowledge().corpus
    if coverage_:
        rows = coverage(corpus)
        if as_json:
            print(json.dumps([r.to_dict() for r in rows], indent=2))
            return
        for document, year in corpus.editions:
            title = f"{corpus.documents[document].short} {year}"
            out.print(coverage_table(title, [r for r in rows if (r.document, r.edition) == (document, year)]))
        return
    data = counts(corpus)
    if as_json:
        print(json.dumps({k: dict(sorted(v.items())) for k, v in data.items()}, indent=2))
        return
    for name, counter in data.items():
        table = Table(f"per {name}", "provisions")
        for label, n in sorted(counter.items()):
            table.add_row(label, str(n))
        out.print(table)


@app.command()
def roles(as_json: JsonOpt = False) -> None:
    """The roles vocabulary used to say whom a provision applies to."""
    corpus = knowledge().corpus
    if as_json:
        print(json.dumps({k: r.to_dict() for k, r in corpus.roles.items()}, indent=2))
        return
    table = Table("role", "who", "includes")
    for key, role in corpus.roles.items():
        table.add_row(key, role.label, ", ".join(role.includes))
    out.print(table)


@app.command()
def duties(
    role: Annotated[str, typer.Option("--role", help="A role key (see `wtkb roles`), e.g. schools or dsl.")],
    edition: EditionOpt = None,
    document: DocumentOpt = None,
    general: Annotated[
        bool, typer.Option("--general", help="Also list what applies to all practitioners.")
    ] = False,
    offset: Annotated[int, typer.Option(help="Skip this many provisions (for the next page).")] = 0,
    limit: Annotated[
        int | None, typer.Option(help="Provisions per page (default WTKB_DEFAULT_PAGE, most WTKB_MAX_PAGE).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """What falls on a role: legal duties (must), statutory guidance (should), then advice, by chapter."""
    kb = knowledge()
    page = kb.settings.default_page if limit is None else limit
    try:
        result = kb.duties(role, parse_edition(edition), general, offset, page, document)
    except QueryError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    shown = len(result["provisions"])
    where = ", then ".join(result["editions"])
    out.print(f"[bold]{result['label']}[/bold] in {where}: {result['total']} provisions", highlight=False)
    if shown < result["total"] or offset:
        out.print(f"showing {offset + 1}-{offset + shown}; --offset {offset + shown} for the next page")
    sections = [("", result["provisions"])] + ([("All practitioners", result["general"])] if general else [])
    for heading, provisions in sections:
        if heading:
            out.print(f"\n[bold]{heading}[/bold]: {len(provisions)} provisions")
        chapter = None
        for p in provisions:
            citation = p["citation"]
            if (p["document"], citation["chapter"]) != chapter:
                chapter = (p["document"], citation["chapter"])
                name = f"{p['document'].upper()} {p['edition']}: {citation['chapter_title']}"
                out.print(f"\n[underline]{name}[/underline]", highlight=False)
            label = f"{p['status']} ({p['force']})" if p["force"] else p["status"]
            timescale = f" · {timescale_text(p['timescale'])}" if p["timescale"] else ""
            out.print(f"- {p['title']} [dim]{label} · {citation['text']}{timescale}[/dim]", highlight=False)


flow_app = typer.Typer(
    help="Flowcharts for managing individual cases: list, show, walk.", no_args_is_help=True
)
app.add_typer(flow_app, name="flow")


def parse_pairs(values: list[str] | None, what: str) -> dict[str, str]:
    """``step=value`` options into a dict, refusing anything else with a clear message."""
    pairs: dict[str, str] = {}
    for value in values or []:
        step, sep, rest = value.partition("=")
        if not sep or not step.strip() or not rest.strip():
            raise fail(f"{what} must look like STEP=VALUE, not {value!r}")
        pairs[step.strip()] = rest.strip()
    return pairs


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"dates are written YYYY-MM-DD, not {value!r}") from None


def chart_or_fail(kb: Knowledge, key: str, edition: str | None) -> Flowchart:
    try:
        return kb.flowchart(key, parse_edition(edition))
    except QueryError as exc:
        raise fail(str(exc)) from None


@flow_app.command("list")
def flow_list(edition: EditionOpt = None, as_json: JsonOpt = False) -> None:
    """The flowcharts of an edition."""
    kb = knowledge()
    try:
        charts = kb.flowcharts(parse_edition(edition))
    except QueryError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps([c.summary() for c in charts], indent=2))
        return
    if not charts:
        out.print("this edition has no flowcharts for managing individual cases")
    for c in charts:
        derived = ", derived from the text" if c.derived else ""
        out.print(f"[bold]{c.key}[/bold]  {c.title} (WT {c.edition}, {len(c.steps)} steps{derived})")


@flow_app.command("show")
def flow_show(key: str, edition: EditionOpt = None, as_json: JsonOpt = False) -> None:
    """Every step of a flowchart with roles, timescale, provisions and where it leads."""
    chart = chart_or_fail(knowledge(), key, edition)
    if as_json:
        print(json.dumps(chart.to_dict(), indent=2))
        return
    out.print(f"[bold]{chart.title}[/bold] (WT {chart.edition})")
    if chart.note:
        out.print(f"[dim]{chart.note}[/dim]", highlight=False)
    for n, step in enumerate(chart.steps, 1):
        out.print(f"{n}. [bold]{step.title}[/bold] [dim]({step.id})[/dim]", highlight=False)
        if step.timescale:
            out.print(f"   due {step.timescale}", highlight=False)
        if step.roles:
            out.print(f"   who: {', '.join(step.roles)}", highlight=False)
        if step.provisions:
            out.print(f"   provisions: {', '.join(step.provisions)}", highlight=False)
        for b in step.next:
            out.print(f"   -> {b.to}" + (f" when {b.when}" if b.when else ""), highlight=False)


@flow_app.command("walk")
def flow_walk(
    key: str,
    answer: Annotated[
        list[str] | None, typer.Option(help="STEP=CONDITION taken at a branching step.")
    ] = None,
    edition: EditionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Follow a flowchart from its first step, taking the branches your answers choose."""
    chart = chart_or_fail(knowledge(), key, edition)
    try:
        result = walk(chart, parse_pairs(answer, "--answer"))
    except FlowError as exc:
        raise fail(str(exc)) from None
    if as_json:
        data = {
            "path": [s.id for s in result.path],
            "waiting_at": result.waiting_at.id if result.waiting_at else None,
        }
        print(json.dumps({**data, "options": result.options}, indent=2))
        return
    for n, step in enumerate(result.path, 1):
        out.print(
            f"{n}. {step.title}" + (f"  (due {step.timescale})" if step.timescale else ""), highlight=False
        )
    if result.waiting_at:
        out.print(f"\nTo go on, answer --answer {result.waiting_at.id}=... with one of:")
        for option in result.options:
            out.print(f"  - {option}", highlight=False)


@app.command()
def due(
    flow: Annotated[str, typer.Option("--flow", help="Flowchart key (see `wtkb flow list`).")],
    start: Annotated[str, typer.Option("--from", help="Date of the first step, YYYY-MM-DD.")],
    actual: Annotated[list[str] | None, typer.Option(help="STEP=YYYY-MM-DD when a step happened.")] = None,
    local: Annotated[str | None, typer.Option(help="Local area overlay (corpus/local/AREA).")] = None,
    edition: EditionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each step's due date in working days (England bank holidays), with drift where dates are given."""
    kb = knowledge()
    dates = {k: parse_date(v) for k, v in parse_pairs(actual, "--actual").items()}
    try:
        result = kb.deadlines(flow, parse_date(start), parse_edition(edition), dates, local)
    except QueryError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table("step", "timescale", "due", "actual", "drift (working days)", title=result["title"])
    for row in result["steps"]:
        ts = row["timescale"]
        figure = f"{ts['within']} from {ts['from']} ({row['origin']})" if ts else ""
        due_text = (row["due"] or "") + (" (projected)" if row["projected"] else "")
        drift = "" if row["drift_working_days"] is None else f"{row['drift_working_days']:+d}"
        table.add_row(row["title"], figure, due_text, row["actual"] or "", drift)
    out.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default WTKB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default WTKB_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default WTKB_WORKERS).")
    ] = None,
) -> None:
    """Serve the API and the pages with uvicorn.

    Without a usable index it still starts, says what to run, and answers searches with 503 until
    `wtkb build` has run."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    settings = get_settings()
    log_config = copy.deepcopy(LOGGING_CONFIG)  # uvicorn's format for the app's own startup messages
    log_config["loggers"]["wtkb"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run(
        "api.app:create_app",  # an import string, so that each worker process builds its own app
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_config=log_config,
    )


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(metavar="FROM", help="The older edition, e.g. 2018.")],
    new: Annotated[
        str, typer.Argument(metavar="TO", help="The newer edition, e.g. 2023, or an overlay: local/AREA.")
    ],
    role: Annotated[
        str | None, typer.Option(help="Only changes to provisions for this role (see `wtkb roles`).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Only these kinds, comma-separated: " + ", ".join(DIFF_KINDS) + "."),
    ] = None,
    chapter: Annotated[
        str | None, typer.Option(help="Only this chapter (of the newer edition; removed: of the older).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json, csv or html (to stdout).")] = "text",
    as_json: JsonOpt = False,
) -> None:
    """What changed between two editions, or where a local overlay departs from the national figures.

    Kinds of change: added, removed, replaced, reworded, moved, reclassified, timescale, roles."""
    if fmt not in diff_render.FORMATS:
        raise fail(f"unknown format {fmt!r}; use {', '.join(diff_render.FORMATS)}")
    try:
        report = knowledge().diff(old, new, role, kind, chapter)
    except (QueryError, ModelMissing) as exc:
        raise fail(str(exc)) from None
    if as_json or fmt == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        print(diff_render.to_csv(report), end="")
    elif fmt == "html":
        print(diff_render.to_html(report), end="")
    else:
        diff_render.print_text(report, out)


@app.command()
def editions(as_json: JsonOpt = False) -> None:
    """The editions: where each was checked (SOURCE.yaml), its provisions, paragraph coverage and gaps."""
    rows = editions_json(knowledge().corpus)
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("edition", "title", "published", "provisions", "paras covered", "gaps recorded")
    for row in rows:
        recorded = [c for c in row["coverage"] if c["total"]]
        covered = sum(c["covered"] for c in recorded)
        paras = f"{covered}/{sum(c['total'] for c in recorded)}" if recorded else "ranges not recorded"
        title = str(row["source"].get("short_title") or row["title"])
        title += " (current)" if row["current"] else ""
        gaps = str(len(row["source"].get("gaps") or []))
        table.add_row(str(row["edition"]), title, row["published"], str(row["provisions"]), paras, gaps)
    out.print(table)
    out.print("Provenance, checks and gaps in full: `wtkb editions --json` or corpus/*/*/SOURCE.yaml")


scenario_app = typer.Typer(
    help="Trainer scenarios: a fictional case through the flowcharts, with due dates, drift and a handout.",
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("run")
def scenario_run(
    file: Annotated[Path, typer.Argument(help="A scenario YAML file (format: docs/scenarios.md).")],
    fmt: Annotated[
        str, typer.Option("--format", help="md (Markdown), html (a print-ready page) or json.")
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the handout to this file, not to stdout.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a scenario and render its handout: due dates in working days, drift, the guidance cited.

    Mistakes in the file are listed as FILE:LINE: message (exit code 2)."""
    fmt = "json" if as_json else fmt
    if fmt not in handout.FORMATS:
        raise fail(f"unknown format {fmt!r}; use {', '.join(handout.FORMATS)}")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    try:
        data = run_scenario(knowledge(), text, str(file))
    except ScenarioInvalid as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, soft_wrap=True)
        raise fail(f"{len(exc.problems)} problem(s) in {file}; no handout was made") from None
    rendered = handout.render(data, fmt)
    if output is None:
        print(rendered, end="")
        return
    try:
        output.write_text(rendered, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc}") from None
    err.print(f"wrote {output}", highlight=False)


@scenario_app.command("list")
def scenario_list(as_json: JsonOpt = False) -> None:
    """The scenarios shipped in the scenarios folder (WTKB_SCENARIOS_DIR), ready for `wtkb scenario run`."""
    kb = knowledge()
    listed = shipped(kb)
    if as_json:
        print(json.dumps(listed, indent=2, ensure_ascii=False))
        return
    for entry in listed:
        if entry["problems"]:
            problem = entry["problems"][0]
            out.print(f"[bold]{entry['name']}[/bold]  [red]invalid:[/red] {problem}", highlight=False)
            continue
        local = f", local: {entry['local']}" if entry["local"] else ""
        flows = " -> ".join(entry["flows"])
        out.print(f"[bold]{entry['name']}[/bold]  {entry['title']} (WT {entry['edition']}: {flows}{local})")
    folder = kb.settings.scenarios_dir
    out.print(f"Run one: wtkb scenario run {folder}/NAME.yaml --format html --output handout.html")


if __name__ == "__main__":  # pragma: no cover
    app(prog_name="wtkb")
