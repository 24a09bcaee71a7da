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
from kb.problems import CorpusInvalid, NotUtf8, Problem, read_utf8, rel
from kb.timescale import Timescale, TimescaleError, parse_timescale, parse_within

STATUSES = ("statutory", "advice")
FORCES = ("must", "should")
ATTRIBUTES = {
    "id",
    "para",
    "section",
    "force",
    "basis",
    "roles",
    "within",
    "from",
    "checked",
    "replaces",
    "see",
    "members",
    "participants",
    "every",
}
FRONT_MATTER_KEYS = {"edition", "chapter", "chapter_title"}
SOURCE_REQUIRED = ("title", "publisher", "published", "url", "licence")
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A chapter's printed paragraph range in SOURCE.yaml: first-last, both with the chapter prefix or neither.
PARAS_RANGE = re.compile(r"^(?:(\d+)\.)?(\d+)-(?:(\d+)\.)?(\d+)$")
PARA = re.compile(r"^[0-9A-Z]+(?:\.\d+)?[a-z]?(?:\s*[-,]\s*[0-9A-Z]+(?:\.\d+)?[a-z]?)*$")
CHAPTER = re.compile(r"^(?:\d{1,2}|[A-Z])$")
# A basis names an instrument with its year: "Children Act 2004, s.16E(3)", "... Regulations 2018, reg.11".
# An Act is always cited with a section (or schedule) number; a set of regulations may be cited whole
# (KCSIE's safer recruitment rests on several sets of regulations at once).
INSTRUMENT = re.compile(r"\b(?:Act|Regulations|Rules|Order|Measure)\s+\d{4}\b")
ACT = re.compile(r"\bAct\s+\d{4}\b")
PROVISION_NUMBER = re.compile(r"\b(?:ss?|regs?|r|rr|Sch|art|para)\.\s*\d")
SEE = re.compile(r"^([a-z]+)/(\d{4})/([a-z0-9]+(?:-[a-z0-9]+)*)$")  # document/year/key

_MD = MarkdownIt("commonmark").use(front_matter_plugin)


@dataclass(frozen=True)
class Event:
    """An event a timescale runs from (corpus/events.yaml): how explanations name it, the words people
    use for it, and the key of the event it is the same as, if any."""

    key: str
    name: str
    synonyms: tuple[str, ...] = ()
    same_as: str | None = None


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    includes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # words people use for the role in a question ("the council", "a GP")

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "includes": list(self.includes), "aliases": list(self.aliases)}


@dataclass(frozen=True)
class Document:
    """A publication the corpus holds in one or more editions (corpus/documents.yaml).

    Documents differ in how they are cited: WT numbers paragraphs within chapters, so a citation needs
    the chapter; KCSIE numbers them through the whole document and names its divisions parts and
    annexes."""

    key: str
    short: str
    title: str
    number_word: str = "chapter"
    letter_word: str = "appendix"
    zero_word: str = "introduction"
    paragraphs: str = "per-chapter"  # or "document"

    def chapter_name(self, number: str, long: bool = False) -> str:
        """How a chapter is named: ``ch. 3``/``Chapter 3``, ``appendix A``, ``part 2``/``Annex C``."""
        if number == "0":
            name = self.zero_word
        elif number.isalpha():
            name = f"{self.letter_word} {number}"
        elif self.number_word == "chapter" and not long:
            name = f"ch. {number}"
        else:
            name = f"{self.number_word} {number}"
        return name[0].upper() + name[1:] if long else name

    def cite(self, edition: int, chapter: str, para: str | None, section: str | None) -> str:
        """``WT 2023, ch. 3, para 158``; ``KCSIE 2025, para 103``; ``KCSIE 2025, annex C, section '...'``."""
        where = f"para {para}" if para else f"section '{section}'"
        if para and self.paragraphs == "document":
            return f"{self.short} {edition}, {where}"
        return f"{self.short} {edition}, {self.chapter_name(chapter)}, {where}"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "short": self.short, "title": self.title, "paragraphs": self.paragraphs}


# The two documents' citation styles, for code that renders a JSON report without the corpus at hand;
# corpus/documents.yaml is the source the loader reads.
WT = Document("wt", "WT", "Working Together to Safeguard Children")
KCSIE = Document(
    "kcsie", "KCSIE", "Keeping children safe in education", "part", "annex", paragraphs="document"
)


def document_style(key: str) -> Document:
    """The citation style of a document named in a JSON report (WT's for an unknown one)."""
    return {d.key: d for d in (WT, KCSIE)}.get(key, WT)


def chapter_name(number: str, long: bool = False, document: Document = WT) -> str:
    """How a chapter of a document is named (WT's naming unless another document is given)."""
    return document.chapter_name(number, long)


@dataclass(frozen=True)
class Provision:
    """One thing an edition of a document says, with where it says it and how binding it is."""

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
    document: str = WT.key
    citation: str = ""  # set by the loader from the document's citation style (Document.cite)
    see: tuple[str, ...] = ()  # cross-references to other documents' provisions: "wt/2023/referral-decision"
    members: tuple[
        str, ...
    ] = ()  # the whole membership a provision sets (roles): "local-authority,icb,police"
    participants: tuple[str, ...] = ()  # who must take part (roles), at least: "la-social-care,police,health"
    every: str | None = None  # how often it recurs at least, e.g. "12 months"

    @property
    def uid(self) -> str:
        """Unique across documents and editions: the key alone is shared by the same provision in every
        edition of a document."""
        return f"{self.document}/{self.edition}/{self.key}"

    @property
    def edition_id(self) -> str:
        """The edition this provision belongs to, as users name it: ``wt/2023``, ``kcsie/2025``."""
        return f"{self.document}/{self.edition}"

    @property
    def paragraph(self) -> str:
        """What a citation points at: the printed paragraph number, else the section heading."""
        return f"para {self.para}" if self.para else f"section '{self.section}'"

    def cite(self) -> str:
        """Human citation, e.g. ``WT 2023, ch. 3, para 158`` or ``KCSIE 2025, para 103``."""
        return self.citation or WT.cite(self.edition, self.chapter, self.para, self.section)

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
            "document": self.document,
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
            "citation": self.citation,
            "see": list(self.see),
            "members": list(self.members),
            "participants": list(self.participants),
            "every": self.every,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Provision:
        data = dict(record)
        ts = data.pop("timescale")
        data["timescale"] = Timescale(ts["amount"], ts["unit"], ts["from"]) if ts else None
        data["roles"] = tuple(data["roles"])
        data["checked"] = tuple(data["checked"])
        data["see"] = tuple(data.get("see", ()))
        data["members"] = tuple(data.get("members", ()))
        data["participants"] = tuple(data.get("participants", ()))
        return cls(**data)


@dataclass(frozen=True)
class Edition:
    """One edition's SOURCE.yaml: what the official publication is and how it was checked."""

    year: int
    title: str
    url: str
    source: dict[str, Any]
    document: str = WT.key

    @property
    def id(self) -> str:
        return f"{self.document}/{self.year}"


EditionKey = tuple[str, int]  # (document, year): how the corpus keys editions


@dataclass
class Vocabulary:
    """The documents, their editions (SOURCE.yaml), roles and events: what a search or a verdict needs
    from the corpus, since the provisions they rank come from the index's own copy. Loading it skips
    parsing every chapter file, a third of a cold `wtkb search`'s own time."""

    documents: dict[str, Document] = field(default_factory=dict)
    editions: dict[EditionKey, Edition] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def years(self, document: str = WT.key) -> list[int]:
        """The editions of one document, oldest first."""
        return sorted(year for doc, year in self.editions if doc == document)

    def current(self, document: str = WT.key) -> int:
        """A document's newest edition is its default everywhere: it is the one in force."""
        years = self.years(document)
        return years[-1] if years else 0

    @property
    def current_edition(self) -> int:
        """The current edition of Working Together, the primary document (flowcharts, deadlines)."""
        return self.current(WT.key)

    def current_editions(self) -> list[EditionKey]:
        """The edition in force of every document."""
        return [(doc, self.current(doc)) for doc in self.documents if self.years(doc)]

    def edition(self, year: int, document: str = WT.key) -> Edition:
        return self.editions[(document, year)]

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


@dataclass
class Corpus(Vocabulary):
    """The vocabulary with every provision, flowchart and local overlay."""

    provisions: list[Provision] = field(default_factory=list)
    flowcharts: dict[tuple[int, str], Flowchart] = field(default_factory=dict)  # WT only: (year, key)
    overlays: dict[str, Overlay] = field(default_factory=dict)

    def get(self, edition: int, key: str, document: str = WT.key) -> Provision | None:
        return next(
            (p for p in self.provisions if (p.document, p.edition, p.key) == (document, edition, key)), None
        )


# ---------------------------------------------------------------- roles and editions


def read_vocabulary(
    path: Path, root: Path, missing: str
) -> tuple[str, list[tuple[Any, Any, int]] | None, list[Problem]]:
    """A vocabulary file (roles, events, documents) as (key, value, line) entries, with its problems;
    ``None`` entries when it is missing or unreadable, so each loader only says what an entry needs."""
    where = rel(path, root)
    if not path.exists():
        return where, None, [Problem(where, 1, missing)]
    data, problems = yamlfile.read_mapping(path, where)
    if data is None:
        return where, None, problems
    entries = [
        (key, value, value.get(yamlfile.LINE, 1) if isinstance(value, dict) else 1)
        for key, value in data.items()
        if key != yamlfile.LINE
    ]
    return where, entries, problems


def load_roles(path: Path, root: Path) -> tuple[dict[str, Role], list[Problem]]:
    """The controlled vocabulary; a role that includes an unknown role is itself a problem."""
    where, entries, problems = read_vocabulary(path, root, "roles vocabulary missing")
    if entries is None:
        return {}, problems
    roles: dict[str, Role] = {}
    for key, value, line in entries:
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


def load_events(path: Path, root: Path) -> tuple[dict[str, Event], list[Problem]]:
    """The start events of timescales; a ``same_as`` naming an unknown event is a problem."""
    where, entries, problems = read_vocabulary(path, root, "events vocabulary missing")
    if entries is None:
        return {}, problems
    known = {key for key, _, _ in entries}
    events: dict[str, Event] = {}
    for key, value, line in entries:
        synonyms = value.get("synonyms", []) if isinstance(value, dict) else None
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("name"), str)
            or not isinstance(synonyms, list)
        ):
            problems.append(Problem(where, line, f"event {key!r} needs a name and a list of synonyms"))
            continue
        events[key] = Event(key, value["name"], tuple(str(s).lower() for s in synonyms), value.get("same_as"))
        if value.get("same_as") is not None and value["same_as"] not in known:
            problems.append(
                Problem(where, line, f"event {key!r} is the same as unknown event {value['same_as']!r}")
            )
    return events, problems


def _event_problems(provisions: list[Provision], events: dict[str, Event]) -> list[Problem]:
    """A timescale must run from an event of the vocabulary, so a claim's event can be compared with it."""
    return [
        Problem(p.path, p.line, f"unknown event {p.timescale.start!r} in from= (see corpus/events.yaml)")
        for p in provisions
        if p.timescale and p.timescale.start not in events
    ]


def load_documents(path: Path, root: Path) -> tuple[dict[str, Document], list[Problem]]:
    """corpus/documents.yaml: each document's short name and citation style."""
    missing = "documents.yaml missing: it names the documents the corpus holds"
    where, entries, problems = read_vocabulary(path, root, missing)
    if entries is None:
        return {}, problems
    documents: dict[str, Document] = {}
    for key, value, line in entries:
        if not KEY.match(str(key)) or not isinstance(value, dict):
            problems.append(Problem(where, line, f"document {key!r}: a lower-case key with short and title"))
            continue
        words = value.get("chapters") or {}
        if not value.get("short") or not value.get("title") or not isinstance(words, dict):
            problems.append(Problem(where, line, f"document {key!r} needs short and title"))
            continue
        if value.get("paragraphs", "per-chapter") not in ("per-chapter", "document"):
            problems.append(Problem(where, line, f"document {key!r}: paragraphs is per-chapter or document"))
            continue
        documents[key] = Document(
            key,
            str(value["short"]),
            str(value["title"]),
            str(words.get("number", "chapter")),
            str(words.get("letter", "appendix")),
            str(words.get("zero", "introduction")),
            str(value.get("paragraphs", "per-chapter")),
        )
    return documents, problems


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
    return Edition(int(folder.name), str(data["title"]), str(data["url"]), data, folder.parent.name), problems


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
        elif not INSTRUMENT.search(attrs["basis"]):
            messages.append(
                f"basis {attrs['basis']!r} must name an Act or Regulations with its year, "
                "e.g. 'Children Act 2004, s.16E(3)'"
            )
        elif ACT.search(attrs["basis"]) and not PROVISION_NUMBER.search(attrs["basis"]):
            messages.append(
                f"basis {attrs['basis']!r} must give the Act's section, e.g. 'Children Act 2004, s.16E(3)'"
            )
    else:
        messages += [f"advice provision cannot have {a!r}" for a in ("force", "basis") if a in attrs]
    for attribute in ("members", "participants"):
        listed = _listed(attrs.get(attribute))
        if attribute in attrs and not listed:
            messages.append(f"empty {attribute}: name roles from corpus/roles.yaml, comma-separated")
        messages += [
            f"unknown role {r!r} in {attribute} (see corpus/roles.yaml)" for r in listed if r not in roles
        ]
    if "every" in attrs:
        try:
            parse_within(attrs["every"])
        except TimescaleError as exc:
            messages.append(f"every: {exc}")
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
    messages += [
        f"bad see {ref!r}: write document/year/key, e.g. wt/2023/referral-decision"
        for ref in attrs.get("see", "").split()
        if not SEE.match(ref)
    ]
    return messages


def _listed(value: str | None) -> tuple[str, ...]:
    """A comma-separated attribute as a tuple of its non-empty items."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def parse_chapter_file(
    path: Path, root: Path, roles: dict[str, Role], document: Document = WT
) -> tuple[list[Provision], list[Problem]]:
    """Parse one chapter file into provisions, collecting every problem with its line."""
    where = rel(path, root)
    status = path.parent.name
    year = int(path.parent.parent.name)
    try:
        lines = read_utf8(path).splitlines()
    except NotUtf8 as exc:
        return [], [Problem(where, exc.line, str(exc))]
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
                document=document.key,
                citation=document.cite(year, str(meta["chapter"]), attrs.get("para"), attrs.get("section")),
                see=tuple(attrs.get("see", "").split()),
                members=_listed(attrs.get("members")),
                participants=_listed(attrs.get("participants")),
                every=attrs.get("every"),
            )
        )
    return provisions, problems


# ---------------------------------------------------------------- the whole corpus


def _edition_folders(root: Path, documents: dict[str, Document]) -> list[tuple[Document, Path]]:
    """Every ``corpus/<document>/<year>/`` folder of a known document."""
    return [
        (document, folder)
        for document in documents.values()
        if (root / document.key).is_dir()
        for folder in sorted(p for p in (root / document.key).iterdir() if p.is_dir() and p.name.isdigit())
    ]


def _key_problems(provisions: list[Provision]) -> list[Problem]:
    """Duplicate keys within an edition, successions that name no earlier provision of the same
    document, and cross-references to provisions the corpus lacks."""
    problems = []
    first: dict[str, Provision] = {}
    for p in provisions:
        other = first.setdefault(p.uid, p)
        if other is not p:
            problems.append(
                Problem(p.path, p.line, f"duplicate key {p.key!r} (first at {other.path}:{other.line})")
            )
    editions_of: dict[tuple[str, str], list[int]] = {}
    for p in provisions:
        editions_of.setdefault((p.document, p.key), []).append(p.edition)
    for p in provisions:
        earlier = editions_of.get((p.document, p.replaces or ""), [])
        if p.replaces and not any(year < p.edition for year in earlier):
            problems.append(Problem(p.path, p.line, f"replaces {p.replaces!r}, which no earlier edition has"))
        if p.replaces and f"{p.edition_id}/{p.replaces}" in first:
            problems.append(Problem(p.path, p.line, f"replaces {p.replaces!r}, which this edition still has"))
        problems += [
            Problem(p.path, p.line, f"see {ref!r}: no such provision (document/year/key) in the corpus")
            for ref in p.see
            if ref not in first
        ]
    return problems


def _load_chapters(corpus: Corpus, document: Document, folder: Path, root: Path) -> None:
    """One edition's chapter files, and a problem for anything else in its folder."""
    for status in STATUSES:
        for path in sorted((folder / status).glob("*.md")):
            provisions, problems = parse_chapter_file(path, root, corpus.roles, document)
            corpus.provisions += provisions
            corpus.problems += problems
    allowed = (*STATUSES, "flowcharts") if document.key == WT.key else STATUSES
    stray = [p for p in folder.iterdir() if p.suffix == ".md" or (p.is_dir() and p.name not in allowed)]
    corpus.problems += [
        Problem(rel(p, root), 1, f"not a {'/, '.join(allowed)}/ entry of this edition") for p in stray
    ]


def _load_vocabulary_into(target: Vocabulary, root: Path) -> list[tuple[Document, Path]] | None:
    """Fill ``target`` with documents, roles, events and each edition's SOURCE.yaml (problems
    collected, never raised); the edition folders, for the chapters to be read from (None: this is
    no corpus, having no documents.yaml)."""
    if not (root / "documents.yaml").is_file():
        target.problems.append(Problem(str(root), 1, "no documents.yaml: is WTKB_CORPUS_DIR right?"))
        return None
    target.documents, target.problems = load_documents(root / "documents.yaml", root)
    target.roles, problems = load_roles(root / "roles.yaml", root)
    target.problems += problems
    target.events, problems = load_events(root / "events.yaml", root)
    target.problems += problems
    folders = _edition_folders(root, target.documents)
    for document, folder in folders:
        edition, problems = load_edition(folder, root)
        target.problems += problems
        if edition:
            target.editions[(document.key, edition.year)] = edition
    return folders


def load_vocabulary(root: Path) -> Vocabulary:
    """Documents, editions, roles and events only: enough to search and to check a statement."""
    vocabulary = Vocabulary()
    _load_vocabulary_into(vocabulary, root)
    vocabulary.problems.sort()
    return vocabulary


def load_corpus(root: Path) -> Corpus:
    """Load everything under ``root``; problems are collected in ``corpus.problems``, never raised."""
    corpus = Corpus()
    folders = _load_vocabulary_into(corpus, root)
    if folders is None:
        return corpus
    for document, folder in folders:
        _load_chapters(corpus, document, folder, root)
    known = {*corpus.documents, "local", "documents.yaml", "roles.yaml", "events.yaml"}
    corpus.problems += [
        Problem(rel(p, root), 1, f"not a document folder: add {p.name!r} to documents.yaml or remove it")
        for p in sorted(root.iterdir())
        if p.name not in known and not p.name.startswith(".")
    ]
    corpus.problems += _key_problems(corpus.provisions)
    if corpus.events:
        corpus.problems += _event_problems(corpus.provisions, corpus.events)
    for document, folder in folders:
        if document.key != WT.key:
            continue
        keys = {p.key for p in corpus.provisions if p.edition_id == f"wt/{folder.name}"}
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
