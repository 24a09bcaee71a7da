"""Read and validate the tagged-Markdown corpus (see docs/corpus-format.md).

Parsing and validation happen in one pass so that every problem carries the file and line where a
person has to fix it. Loading never stops at the first problem: ``wtkb check`` lists them all.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs
from mdit_py_plugins.front_matter import front_matter_plugin

from kb import yamlfile
from kb.flow import Flowchart, load_flowchart
from kb.local import Overlay, load_overlay
from kb.problems import CorpusInvalid, Problem, rel
from kb.timescale import Timescale, TimescaleError, parse_timescale

STATUSES = ("statutory", "advice")
FORCES = ("must", "should")
ATTRIBUTES = {"id", "para", "section", "force", "basis", "roles", "within", "from", "checked", "replaces"}
FRONT_MATTER_KEYS = {"edition", "chapter", "chapter_title"}
SOURCE_REQUIRED = ("title", "publisher", "published", "url", "licence")
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A chapter's printed paragraph range in SOURCE.yaml: first-last, both with the chapter prefix or neither.
PARAS_RANGE = re.compile(r"^(?:(\d+)\.)?(\d+)-(?:(\d+)\.)?(\d+)$")
PARA = re.compile(r"^[0-9A-Z]+(?:\.\d+)?[a-z]?(?:\s*[-,]\s*[0-9A-Z]+(?:\.\d+)?[a-z]?)*$")
CHAPTER = re.compile(r"^(?:\d{1,2}|[A-Z])$")

_MD = MarkdownIt("commonmark").use(front_matter_plugin)


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    includes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # words people use for the role in a question ("the council", "a GP")

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "includes": list(self.includes), "aliases": list(self.aliases)}


def chapter_name(number: str, long: bool = False) -> str:
    """How a chapter is named: chapter 0 is the introduction and letters are appendices.

    Short, as citations write it (``ch. 3``, ``introduction``, ``appendix A``), or long, as a heading
    (``Chapter 3``, ``Introduction``, ``Appendix A``)."""
    if number == "0":
        name = "introduction"
    elif number.isalpha():
        name = f"appendix {number}"
    else:
        name = f"{'chapter' if long else 'ch.'} {number}"
    return name[0].upper() + name[1:] if long else name


@dataclass(frozen=True)
class Provision:
    """One thing an edition of the guidance says, with where it says it and how binding it is."""

    key: str
    edition: int
    chapter: str
    chapter_title: str
    status: str
    title: str
    text: str
    roles: tuple[str, ...]
    checked: tuple[str, ...]
    path: str
    line: int
    force: str | None = None
    basis: str | None = None
    para: str | None = None
    section: str | None = None
    timescale: Timescale | None = None
    replaces: str | None = None

    @property
    def uid(self) -> str:
        """Unique across editions: the key alone is shared by the same provision in every edition."""
        return f"{self.edition}/{self.key}"

    @property
    def paragraph(self) -> str:
        """What a citation points at: the printed paragraph number, else the section heading."""
        return f"para {self.para}" if self.para else f"section '{self.section}'"

    def cite(self) -> str:
        """Human citation, e.g. ``WT 2023, ch. 3, para 158``."""
        return f"WT {self.edition}, {chapter_name(self.chapter)}, {self.paragraph}"

    def embedding_text(self) -> str:
        """What the dense model reads: the title carries much of the meaning of a short provision."""
        return f"{self.title}. {self.text}"

    def content_hash(self) -> str:
        """Hash of everything that is embedded, so unchanged provisions are never re-embedded."""
        return hashlib.sha256(self.embedding_text().encode("utf-8")).hexdigest()

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dictionary holding every field (stored with the index for answering queries)."""
        return {
            "key": self.key,
            "edition": self.edition,
            "chapter": self.chapter,
            "chapter_title": self.chapter_title,
            "status": self.status,
            "title": self.title,
            "text": self.text,
            "roles": list(self.roles),
            "checked": list(self.checked),
            "path": self.path,
            "line": self.line,
            "force": self.force,
            "basis": self.basis,
            "para": self.para,
            "section": self.section,
            "timescale": self.timescale.to_dict() if self.timescale else None,
            "replaces": self.replaces,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Provision:
        data = dict(record)
        ts = data.pop("timescale")
        data["timescale"] = Timescale(ts["amount"], ts["unit"], ts["from"]) if ts else None
        data["roles"] = tuple(data["roles"])
        data["checked"] = tuple(data["checked"])
        return cls(**data)


@dataclass(frozen=True)
class Edition:
    """One edition's SOURCE.yaml: what the official publication is and how it was checked."""

    year: int
    title: str
    url: str
    source: dict[str, Any]


@dataclass
class Corpus:
    provisions: list[Provision] = field(default_factory=list)
    editions: dict[int, Edition] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    flowcharts: dict[tuple[int, str], Flowchart] = field(default_factory=dict)
    overlays: dict[str, Overlay] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def current_edition(self) -> int:
        """The newest edition is the default everywhere: it is the one in force."""
        return max(self.editions) if self.editions else 0

    def get(self, edition: int, key: str) -> Provision | None:
        return next((p for p in self.provisions if p.edition == edition and p.key == key), None)

    def expand_role(self, role: str) -> set[str]:
        """A role and every narrower role it includes (``schools`` also finds ``dsl``)."""
        seen: set[str] = set()
        todo = [role]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(self.roles[current].includes if current in self.roles else ())
        return seen


# ---------------------------------------------------------------- roles and editions


def load_roles(path: Path, root: Path) -> tuple[dict[str, Role], list[Problem]]:
    """The controlled vocabulary; a role that includes an unknown role is itself a problem."""
    where = rel(path, root)
    if not path.exists():
        return {}, [Problem(where, 1, "roles vocabulary missing")]
    data, problems = yamlfile.read_mapping(path, where)
    if data is None:
        return {}, problems
    roles: dict[str, Role] = {}
    for key, value in data.items():
        if key == yamlfile.LINE:
            continue
        line = value.get(yamlfile.LINE, 1) if isinstance(value, dict) else 1
        if not isinstance(value, dict) or not isinstance(value.get("label"), str):
            problems.append(Problem(where, line, f"role {key!r} needs a label"))
            continue
        roles[key] = Role(
            key, value["label"], tuple(value.get("includes") or ()), tuple(value.get("aliases") or ())
        )
    for role in roles.values():
        for inner in role.includes:
            if inner not in roles:
                problems.append(Problem(where, 1, f"role {role.key!r} includes unknown role {inner!r}"))
    return roles, problems


def load_edition(folder: Path, root: Path) -> tuple[Edition | None, list[Problem]]:
    """Read SOURCE.yaml; an edition without provenance is not allowed in the corpus."""
    path = folder / "SOURCE.yaml"
    where = rel(path, root)
    if not path.exists():
        return None, [Problem(where, 1, "SOURCE.yaml missing: every edition records its source")]
    data, problems = yamlfile.read_mapping(path, where, with_lines=False)
    if data is None:
        return None, problems
    missing = [k for k in SOURCE_REQUIRED if not data.get(k)]
    if missing:
        return None, [Problem(where, 1, f"SOURCE.yaml lacks {', '.join(missing)}")]
    problems = _range_problems(data.get("chapters") or [], path.read_text(encoding="utf-8"), where)
    return Edition(int(folder.name), str(data["title"]), str(data["url"]), data), problems


def _range_problems(chapters: list[Any], text: str, where: str) -> list[Problem]:
    """Each chapter ``paras`` that is not one printed first-last range: coverage counts the
    paragraphs in it, so a typo would silently give a wrong share."""
    problems = []
    for chapter in chapters:
        spec = str(chapter.get("paras") or "") if isinstance(chapter, dict) else ""
        match = PARAS_RANGE.match(spec)
        if spec and not (match and match[1] == match[3] and int(match[2]) <= int(match[4])):
            line = next((n for n, row in enumerate(text.splitlines(), 1) if spec in row), 1)
            message = f"chapter {chapter['chapter']}: bad paras {spec!r}: give the first and last number"
            problems.append(Problem(where, line, message + ' printed, e.g. "1-86" or "5.1-5.151"'))
    return problems


# ---------------------------------------------------------------- chapter files


def _front_matter(tokens: list, where: str, folder_year: int) -> tuple[dict[str, Any] | None, list[Problem]]:
    if not tokens or tokens[0].type != "front_matter":
        return None, [Problem(where, 1, "no front matter: a chapter file starts with '---' YAML '---'")]
    token = tokens[0]
    try:
        meta = yamlfile.load_text(token.content, line_offset=1)
    except yamlfile.YamlError as exc:
        return None, [Problem(where, exc.line, str(exc))]
    if not isinstance(meta, dict):
        return None, [Problem(where, 2, "front matter must be a YAML mapping")]
    problems = [
        Problem(where, 2, f"unknown front matter key {k!r}") for k in sorted(set(meta) - FRONT_MATTER_KEYS)
    ]
    problems += [
        Problem(where, 2, f"front matter lacks {k!r}") for k in sorted(FRONT_MATTER_KEYS - set(meta))
    ]
    if "edition" in meta and meta["edition"] != folder_year:
        problems.append(Problem(where, 2, f"edition {meta['edition']!r} does not match folder {folder_year}"))
    if "chapter" in meta and not CHAPTER.match(str(meta["chapter"])):
        problems.append(Problem(where, 2, f"bad chapter {meta['chapter']!r}: a number, or a capital letter"))
    return (None if problems else meta), problems


def _split_heading(content: str) -> tuple[str, dict[str, str]]:
    """``'Title {#key a="b"}'`` -> (``'Title'``, attributes), using mdit-py-plugins' attribute grammar."""
    start = content.find("{")
    if start < 0:
        raise ValueError("heading has no attributes: end it with {#key para=... roles=... checked=...}")
    try:
        end, attrs = parse_attrs(content[start:])
    except ParseError as exc:
        raise ValueError(f"malformed attributes: {exc}") from exc
    if content[start + end + 1 :].strip():  # parse() returns the index of the closing brace
        raise ValueError("text after the attributes: the {...} block must end the heading")
    if "class" in attrs:
        raise ValueError(f"unknown attribute '.{attrs['class']}' (classes are not used)")
    return content[:start].strip(), attrs


def _provision_problems(attrs: dict[str, str], status: str, roles: dict[str, Role]) -> list[str]:
    """Everything wrong with one provision's attributes, as messages (the caller adds file:line)."""
    messages = [f"unknown attribute {name!r}" for name in sorted(set(attrs) - ATTRIBUTES)]
    key = attrs.get("id")
    if not key:
        messages.append("heading has no key: add {#some-key ...}")
    elif not KEY.match(key):
        messages.append(f"bad key {key!r}: use lower-case kebab-case")
    if not attrs.get("para") and not attrs.get("section"):
        messages.append('no citation: give para="..." or, where the number is unconfirmed, section="..."')
    if attrs.get("para") and not PARA.match(attrs["para"]):
        messages.append(f"bad para {attrs['para']!r}: e.g. 158, 158-160, 158,162 or 5.38")
    if status == "statutory":
        if attrs.get("force") not in FORCES:
            messages.append(
                f"statutory provision needs force=must or force=should, not {attrs.get('force')!r}"
            )
        if not attrs.get("basis"):
            messages.append('statutory provision needs basis="<Act>, s.<n>" (its legal basis)')
    else:
        messages += [f"advice provision cannot have {a!r}" for a in ("force", "basis") if a in attrs]
    named = [r.strip() for r in attrs.get("roles", "").split(",") if r.strip()]
    if not named:
        messages.append("no roles: name who it applies to, from corpus/roles.yaml")
    messages += [f"unknown role {r!r} (see corpus/roles.yaml)" for r in named if r not in roles]
    try:
        parse_timescale(attrs.get("within"), attrs.get("from"))
    except TimescaleError as exc:
        messages.append(str(exc))
    checked = attrs.get("checked", "").split()
    if not checked:
        messages.append('no checked="URL": say where the facts were checked')
    messages += [
        f"checked value {c!r} is not a URL" for c in checked if not c.startswith(("http://", "https://"))
    ]
    if "replaces" in attrs and not KEY.match(attrs["replaces"]):
        messages.append(f"bad replaces {attrs['replaces']!r}: name a key")
    return messages


def parse_chapter_file(
    path: Path, root: Path, roles: dict[str, Role]
) -> tuple[list[Provision], list[Problem]]:
    """Parse one chapter file into provisions, collecting every problem with its line."""
    where = rel(path, root)
    status = path.parent.name
    year = int(path.parent.parent.name)
    lines = path.read_text(encoding="utf-8").splitlines()
    tokens = _MD.parse("\n".join(lines))
    meta, problems = _front_matter(tokens, where, year)
    if meta is None:
        return [], problems
    headings = [(i, t) for i, t in enumerate(tokens) if t.type == "heading_open"]
    h2 = [(i, t) for i, t in headings if t.tag == "h2"]
    first_h2 = h2[0][1].map[0] if h2 else len(lines)
    stray = [
        t for t in tokens[1:] if t.map and t.level == 0 and t.map[0] < first_h2 and t.type != "front_matter"
    ]
    if stray:
        problems.append(Problem(where, stray[0].map[0] + 1, "text before the first provision heading (##)"))
    problems += [
        Problem(where, t.map[0] + 1, "use ## for provisions (# is not used)")
        for _, t in headings
        if t.tag == "h1"
    ]
    provisions = []
    for n, (i, token) in enumerate(h2):
        line = token.map[0] + 1
        body_end = h2[n + 1][1].map[0] if n + 1 < len(h2) else len(lines)
        body = "\n".join(lines[token.map[1] : body_end]).strip()
        try:
            title, attrs = _split_heading(tokens[i + 1].content)
        except ValueError as exc:
            problems.append(Problem(where, line, str(exc)))
            continue
        messages = _provision_problems(attrs, status, roles)
        if not body:
            messages.append("provision has no text")
        if not title:
            messages.append("provision has no title")
        if messages:
            problems += [Problem(where, line, m) for m in messages]
            continue
        provisions.append(
            Provision(
                key=attrs["id"],
                edition=year,
                chapter=str(meta["chapter"]),
                chapter_title=str(meta["chapter_title"]),
                status=status,
                title=title,
                text=body,
                roles=tuple(r.strip() for r in attrs["roles"].split(",") if r.strip()),
                checked=tuple(attrs["checked"].split()),
                path=where,
                line=line,
                force=attrs.get("force"),
                basis=attrs.get("basis"),
                para=attrs.get("para"),
                section=attrs.get("section"),
                timescale=parse_timescale(attrs.get("within"), attrs.get("from")),
                replaces=attrs.get("replaces"),
            )
        )
    return provisions, problems


# ---------------------------------------------------------------- the whole corpus


def _edition_folders(root: Path) -> list[Path]:
    editions = root / "editions"
    return (
        sorted(p for p in editions.iterdir() if p.is_dir() and p.name.isdigit()) if editions.is_dir() else []
    )


def _key_problems(provisions: list[Provision]) -> list[Problem]:
    """Duplicate keys within an edition, and successions that name no earlier provision."""
    problems = []
    first: dict[str, Provision] = {}
    for p in provisions:
        other = first.setdefault(p.uid, p)
        if other is not p:
            problems.append(
                Problem(p.path, p.line, f"duplicate key {p.key!r} (first at {other.path}:{other.line})")
            )
    keys = {(p.edition, p.key) for p in provisions}
    for p in provisions:
        if p.replaces and not any(q.key == p.replaces and q.edition < p.edition for q in provisions):
            problems.append(Problem(p.path, p.line, f"replaces {p.replaces!r}, which no earlier edition has"))
        if p.replaces and (p.edition, p.replaces) in keys:
            problems.append(Problem(p.path, p.line, f"replaces {p.replaces!r}, which this edition still has"))
    return problems


def load_corpus(root: Path) -> Corpus:
    """Load everything under ``root``; problems are collected in ``corpus.problems``, never raised."""
    corpus = Corpus()
    if not (root / "editions").is_dir():
        corpus.problems.append(Problem(str(root), 1, "no editions/ folder: is WTKB_CORPUS_DIR right?"))
        return corpus
    corpus.roles, corpus.problems = load_roles(root / "roles.yaml", root)
    for folder in _edition_folders(root):
        edition, problems = load_edition(folder, root)
        corpus.problems += problems
        if edition:
            corpus.editions[edition.year] = edition
        for status in STATUSES:
            for path in sorted((folder / status).glob("*.md")):
                provisions, problems = parse_chapter_file(path, root, corpus.roles)
                corpus.provisions += provisions
                corpus.problems += problems
        stray = [
            p
            for p in folder.iterdir()
            if p.suffix == ".md" or (p.is_dir() and p.name not in (*STATUSES, "flowcharts"))
        ]
        corpus.problems += [
            Problem(rel(p, root), 1, "not a statutory/, advice/ or flowcharts/ entry") for p in stray
        ]
    corpus.problems += _key_problems(corpus.provisions)
    for folder in _edition_folders(root):
        keys = {p.key for p in corpus.provisions if p.edition == int(folder.name)}
        for path in sorted((folder / "flowcharts").glob("*.yaml")):
            chart, problems = load_flowchart(path, root, keys, set(corpus.roles))
            corpus.problems += problems
            if chart:
                corpus.flowcharts[(int(folder.name), chart.key)] = chart
    for path in sorted((root / "local").glob("*/overlay.yaml")):
        overlay, problems = load_overlay(path, root, corpus.flowcharts)
        corpus.problems += problems
        if overlay:
            corpus.overlays[overlay.area] = overlay
    corpus.problems.sort()
    return corpus


def load_valid_corpus(root: Path) -> Corpus:
    """For work that must not run on a broken corpus (building an index): raise with every problem."""
    corpus = load_corpus(root)
    if corpus.problems:
        raise CorpusInvalid(corpus.problems)
    return corpus


def records_json(provisions: list[Provision]) -> str:
    return json.dumps([p.to_record() for p in provisions], ensure_ascii=False, indent=1)
