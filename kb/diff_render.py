"""The diff report (the JSON of kb.diff.compare) as text for a terminal, CSV for a spreadsheet and HTML
for a browser or an email. All three read the same JSON, so they never say different things.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kb.corpus import chapter_name, document_style
from kb.timescale import timescale_text

FORMATS = ("text", "json", "csv", "html")
MARK = {"added": "+", "removed": "-"}
# Below this word similarity an interleaved word diff hides more than it shows: the old and the new
# text are shown one after the other instead (the JSON always carries the word diff).
INLINE_DIFF_MIN = 0.5
CSV_COLUMNS = ("kinds", "key", "title", "chapter", "match", "score", "from", "to", "details", "caveats")

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def force_label(status: dict[str, Any]) -> str:
    """``statutory (must)`` or ``advice``."""
    return f"{status['status']} ({status['force']})" if status.get("force") else str(status["status"])


def chapter_label(ref: dict[str, Any] | None) -> str:
    if not ref:
        return "not linked to a provision"
    document = document_style(ref.get("document", "wt"))
    return (
        f"{document.short} {ref['edition']} {chapter_name(ref['chapter'], document=document)}: {ref['title']}"
    )


def detail_lines(change: dict[str, Any]) -> list[str]:
    """One plain line per kind of change (the word diff is shown separately)."""
    d = change["details"]
    lines = []
    if "replaced" in d:
        lines.append(f"replaced: {d['replaced']['from']} -> {d['replaced']['to']}")
    if "moved" in d:
        lines.append(f"moved: {d['moved']['from']} -> {d['moved']['to']}")
    if "reclassified" in d:
        r = d["reclassified"]
        lines.append(f"reclassified: {force_label(r['from'])} -> {force_label(r['to'])}")
    if "timescale" in d:
        t = d["timescale"]
        national = " (national -> local)" if change["step"] else ""
        was, now = (timescale_text(t[side]) or "none" for side in ("from", "to"))
        lines.append(f"timescale: {was} -> {now}{national}")
    if "roles" in d:
        r = d["roles"]
        lines.append("roles: " + " ".join([f"+{x}" for x in r["added"]] + [f"-{x}" for x in r["removed"]]))
    if "reworded" in d:
        lines.append(f"reworded: word similarity {d['reworded']['similarity']:.2f}")
    if "note" in d:
        lines.append(f"local note: {d['note']['text']}")
    return lines


def _citation(p: dict[str, Any] | None) -> str:
    return f"{p['key']} ({p['citation']['text']})" if p else ""


def headline(report: dict[str, Any]) -> str:
    """``WT 2018 -> WT 2023: 235 changes (role: schools)``."""
    active = [f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in report["filters"].items() if v]
    shown = f" ({'; '.join(active)})" if active else ""
    total = report["summary"]["total"]
    return f"{report['from']['label']} -> {report['to']['label']}: {total} change{'s' * (total != 1)}{shown}"


def alignment_line(report: dict[str, Any]) -> str | None:
    a = report["alignment"]
    if not a:
        return None
    return (
        f"aligned {a['key']} by key, {a['replaces']} by recorded succession, {a['similar']} by similarity "
        f"(threshold {a['threshold']}); {a['unchanged']} unchanged"
    )


# ---------------------------------------------------------------- text


def _word_diff_text(segments: list[dict[str, str]]) -> Text:
    text = Text("    ")
    styles = {"equal": "", "delete": "red strike", "insert": "green underline"}
    for n, seg in enumerate(segments):
        text.append((" " if n else "") + seg["text"], style=styles[seg["op"]])
    return text


def print_text(report: dict[str, Any], console: Console) -> None:
    """The summary tables, then each change grouped by chapter, with word diffs."""
    console.print(f"[bold]{headline(report)}[/bold]", highlight=False)
    if line := alignment_line(report):
        console.print(line, highlight=False, style="dim")
    summary = report["summary"]
    kinds = Table("kind", "changes")
    for kind, n in summary["by_kind"].items():
        if n:
            kinds.add_row(kind, str(n))
    console.print(kinds)
    chapters = Table("chapter", "changes", "kinds")
    for row in summary["by_chapter"]:
        ref = row if row["chapter"] is not None else None
        detail = ", ".join(f"{k} {n}" for k, n in row["by_kind"].items())
        chapters.add_row(chapter_label(ref), str(row["total"]), detail)
    console.print(chapters)
    current = None
    for change in report["changes"]:
        if change["chapter"] != current:
            current = change["chapter"]
            console.print(f"\n[underline]{chapter_label(current)}[/underline]", highlight=False)
        _print_change(change, console)


def _print_change(change: dict[str, Any], console: Console) -> None:
    mark = next((MARK[k] for k in change["kinds"] if k in MARK), "~")
    name = f"{change['step']['flow']}/{change['step']['step']}" if change["step"] else change["key"]
    console.print(
        f"{mark} [bold]{change['title']}[/bold] [dim]{name}[/dim]  {', '.join(change['kinds'])}",
        highlight=False,
    )
    side = change["new"] or change["old"]
    if side and not change["step"]:
        console.print(f"    {force_label(side)} · {side['citation']['text']}", highlight=False)
    for line in detail_lines(change):
        console.print(f"    {line}", highlight=False, soft_wrap=True)
    reworded = change["details"].get("reworded")
    if reworded and reworded["similarity"] >= INLINE_DIFF_MIN:
        console.print(_word_diff_text(reworded["diff"]), soft_wrap=True)
    elif reworded:
        console.print(Text("    was: ") + Text(change["old"]["text"], style="red"), soft_wrap=True)
        console.print(Text("    now: ") + Text(change["new"]["text"], style="green"), soft_wrap=True)
    for caveat in change["caveats"]:
        console.print(f"    [yellow]caveat:[/yellow] {caveat}", highlight=False, soft_wrap=True)


# ---------------------------------------------------------------- csv and html


def to_csv(report: dict[str, Any]) -> str:
    """One row per change; the details column holds the same lines as the text view."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for c in report["changes"]:
        match = c["match"] or {}
        writer.writerow(
            {
                "kinds": ";".join(c["kinds"]),
                "key": c["key"] or "",
                "title": c["title"] or "",
                "chapter": chapter_label(c["chapter"]) if c["chapter"] else "",
                "match": match.get("by") or "",
                "score": "" if match.get("score") is None else match["score"],
                "from": _citation(c["old"]),
                "to": f"{c['step']['flow']}/{c['step']['step']} (local)"
                if c["step"]
                else _citation(c["new"]),
                "details": "; ".join(detail_lines(c)),
                "caveats": " | ".join(c["caveats"]),
            }
        )
    return buffer.getvalue()


def to_html(report: dict[str, Any]) -> str:
    """A standalone page (no scripts, no external files) that can be saved or mailed."""
    template = _TEMPLATES.get_template("diff.html")
    return template.render(
        report=report,
        headline=headline(report),
        alignment=alignment_line(report),
        detail_lines=detail_lines,
        chapter_label=chapter_label,
        force_label=force_label,
        inline_min=INLINE_DIFF_MIN,
    )
