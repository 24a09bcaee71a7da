"""What a new edition changed: provisions of two editions aligned, then compared field by field.

Alignment goes from the most certain evidence to the least:

1. the same key (the corpus promises that a key means the same provision in every edition);
2. a recorded succession (``replaces``, e.g. safeguarding partners replacing LSCBs), followed through
   every edition, so that 2015 -> 2023 still pairs an LSCB duty with its successor;
3. semantic similarity (embedding cosine blended with difflib's word ratio), one-to-one and greedy, and
   only between provisions the corpus gives no lineage at all: a key that reappears in a later edition
   is the same provision missing from this one (often a gap in the corpus), not a renamed one.

Each aligned pair is then compared on what a reader acts on: the text (with a word diff), where it
stands (chapter or paragraph), whether it is statutory and with what force, its structured timescale
and its roles. A local overlay is compared with the national figures it replaces.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.corpus import WT, Corpus, Provision
from kb.local import LocalRule, Overlay
from kb.search import QueryError, provision_json
from kb.timescale import Timescale

KINDS = ("added", "removed", "replaced", "reworded", "moved", "reclassified", "timescale", "roles", "note")
MATCHES = ("key", "replaces", "similar")
# The match score is MATCH_WEIGHT * cosine + (1 - MATCH_WEIGHT) * word ratio. Both figures were chosen
# by the calibration in `python bench/diff.py`: aligning consecutive editions blind to keys, the blend beats
# either signal alone, and 0.55 gives the best F0.5 (precision counts double: a false match hides an
# addition and a removal behind a bogus rewording). See docs/diff.md.
MATCH_WEIGHT = 0.5
MATCH_THRESHOLD = 0.55
LOCAL_PREFIX = "local/"

Embed = Callable[[list[Provision]], np.ndarray]
_WORD = re.compile(r"\w+")
_PUNCTUATION = string.punctuation + "\u201c\u201d\u2018\u2019"  # and curly quotes


# ---------------------------------------------------------------- what is compared with what


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a national edition, or a local area's overlay."""

    edition: int
    overlay: Overlay | None = None
    document: str = WT.key

    def to_dict(self, corpus: Corpus) -> dict[str, Any]:
        if self.overlay:
            o = self.overlay
            return {
                "local": o.area,
                "title": o.title,
                "document": WT.key,
                "edition": o.edition,
                "label": LOCAL_PREFIX + o.area,
            }
        e = corpus.edition(self.edition, self.document)
        short = corpus.documents[self.document].short
        return {
            "document": self.document,
            "edition": self.edition,
            "title": e.title,
            "url": e.url,
            "label": f"{short} {self.edition}",
        }


def parse_side(corpus: Corpus, value: str) -> Side:
    """``'2018'`` (Working Together), ``'kcsie/2025'`` or ``'local/example-area'``, refused with the
    values that would work."""
    text = value.strip()
    if text.startswith(LOCAL_PREFIX):
        overlay = corpus.overlays.get(text[len(LOCAL_PREFIX) :])
        if overlay is None:
            known = ", ".join(LOCAL_PREFIX + a for a in sorted(corpus.overlays)) or "none"
            raise QueryError(f"unknown local area {text!r}; known: {known}")
        return Side(overlay.edition, overlay)
    document, _, year = text.rpartition("/")
    document = document or WT.key
    if not year.isdigit() or (document, int(year)) not in corpus.editions:
        known = (
            ", ".join(str(y) for y in corpus.years())
            + ", "
            + ", ".join(e.id for (doc, _), e in sorted(corpus.editions.items()) if doc != WT.key)
        )
        raise QueryError(f"unknown edition {value!r}; compare editions {known.strip(', ')} or local/AREA")
    return Side(int(year), document=document)


def document_view(corpus: Corpus, document: str) -> Corpus:
    """The corpus narrowed to one document, so that editions within it are told apart by year."""
    return dataclasses.replace(
        corpus,
        provisions=[p for p in corpus.provisions if p.document == document],
        editions={k: e for k, e in corpus.editions.items() if k[0] == document},
    )


@dataclass(frozen=True)
class Filters:
    """What the reader asked to see; the summary counts only what passes."""

    role: str | None = None
    kinds: tuple[str, ...] = ()
    chapter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "kind": list(self.kinds), "chapter": self.chapter}


def parse_filters(corpus: Corpus, role: str | None, kind: str | None, chapter: str | None) -> Filters:
    """Check the filters against the corpus so a typo is an error, not an empty report."""
    if role and role not in corpus.roles:
        raise QueryError(f"unknown role {role!r}; see `wtkb roles` or GET /api/roles")
    kinds = tuple(k.strip() for k in (kind or "").split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise QueryError(f"unknown change kind {unknown[0]!r}; kinds: {', '.join(KINDS)}")
    return Filters(role or None, kinds, (chapter or "").strip() or None)


# ---------------------------------------------------------------- alignment


@dataclass(frozen=True)
class Pair:
    old: Provision
    new: Provision
    by: str  # one of MATCHES
    score: float | None = None


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def word_ratio(a: str, b: str) -> float:
    """difflib's similarity of two texts as word sequences, ignoring case and punctuation."""
    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


def _lineage(corpus: Corpus) -> tuple[dict[str, set[str]], dict[str, set[int]]]:
    """Successors of each key (from every ``replaces``) and the editions each key appears in."""
    successors: dict[str, set[str]] = {}
    editions: dict[str, set[int]] = {}
    for p in corpus.provisions:
        editions.setdefault(p.key, set()).add(p.edition)
        if p.replaces:
            successors.setdefault(p.replaces, set()).add(p.key)
    return successors, editions


def _descendants(key: str, successors: dict[str, set[str]]) -> list[str]:
    """Every key that succeeds ``key``, nearest first (a succession can span several editions)."""
    found: list[str] = []
    todo = sorted(successors.get(key, ()))
    while todo:
        current = todo.pop(0)
        if current not in found:
            found.append(current)
            todo += sorted(successors.get(current, ()))
    return found


def similarity_parts(
    old: list[Provision], new: list[Provision], vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Embedding cosine and word ratio for every old x new pair (``vectors``: old rows first)."""
    cosine = vectors[: len(old)] @ vectors[len(old) :].T
    ratios = np.array([[word_ratio(o.embedding_text(), n.embedding_text()) for n in new] for o in old])
    return cosine, ratios.reshape(cosine.shape)


def blend(cosine: np.ndarray, ratios: np.ndarray, weight: float = MATCH_WEIGHT) -> np.ndarray:
    """The match score: meaning (the model) and wording (difflib) each catch what the other misses."""
    return weight * cosine + (1 - weight) * ratios


def greedy_pairs(scores: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """One-to-one pairs, best score first, while the score reaches the threshold."""
    if scores.size == 0:
        return []
    order = np.dstack(np.unravel_index(np.argsort(-scores, axis=None, kind="stable"), scores.shape))[0]
    rows: set[int] = set()
    cols: set[int] = set()
    chosen = []
    for i, j in order:
        if scores[i, j] < threshold:
            break
        if i not in rows and j not in cols:
            rows.add(int(i))
            cols.add(int(j))
            chosen.append((int(i), int(j), float(scores[i, j])))
    return chosen


def align(corpus: Corpus, old_year: int, new_year: int, embed: Embed) -> list[Pair]:
    """Pairs of provisions that are the same (or succeeding) provision in the two editions."""
    old = [p for p in corpus.provisions if p.edition == old_year]
    new = [p for p in corpus.provisions if p.edition == new_year]
    by_key = {p.key: p for p in new}
    pairs = [Pair(p, by_key[p.key], "key") for p in old if p.key in by_key]
    successors, editions = _lineage(corpus)
    for p in old:
        if p.key not in by_key:
            pairs += [Pair(p, by_key[k], "replaces") for k in _descendants(p.key, successors) if k in by_key]
    taken_old = {pair.old.key for pair in pairs}
    taken_new = {pair.new.key for pair in pairs}
    predecessors = set().union(*successors.values())  # keys that record what they replace
    loose_old = [
        p
        for p in old
        if p.key not in taken_old and p.key not in successors and max(editions[p.key]) <= new_year
    ]
    loose_new = [
        p
        for p in new
        if p.key not in taken_new and p.key not in predecessors and min(editions[p.key]) >= old_year
    ]
    return pairs + similar_pairs(loose_old, loose_new, embed)


def similar_pairs(old: list[Provision], new: list[Provision], embed: Embed) -> list[Pair]:
    """Semantic matches among provisions with no lineage; the model is only loaded if there are any."""
    if not old or not new:
        return []
    scores = blend(*similarity_parts(old, new, embed(old + new)))
    return [Pair(old[i], new[j], "similar", s) for i, j, s in greedy_pairs(scores, MATCH_THRESHOLD)]


# ---------------------------------------------------------------- changes


@dataclass
class Change:
    """One provision (or local step) that changed, with every kind of change it shows."""

    kinds: tuple[str, ...]
    old: Provision | None = None
    new: Provision | None = None
    by: str | None = None
    score: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()
    step: dict[str, Any] | None = None

    @property
    def anchor(self) -> Provision | None:
        """Where the change is filed: the newer provision, or the older one if it was removed."""
        return self.new or self.old

    @property
    def roles(self) -> set[str]:
        found = set(self.step["roles"]) if self.step else set()
        return found.union(*(p.roles for p in (self.old, self.new) if p))

    def to_dict(self, urls: dict[int, str]) -> dict[str, Any]:
        anchor = self.anchor
        return {
            "kinds": list(self.kinds),
            "key": anchor.key if anchor else None,
            "title": self.step["title"] if self.step else anchor.title if anchor else None,
            "chapter": _chapter_ref(anchor),
            "match": {"by": self.by, "score": _round(self.score)} if self.by else None,
            "old": provision_json(self.old, urls[self.old.edition]) if self.old else None,
            "new": provision_json(self.new, urls[self.new.edition]) if self.new else None,
            "step": self.step,
            "details": self.details,
            "caveats": list(self.caveats),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _chapter_ref(p: Provision | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"document": p.document, "edition": p.edition, "chapter": p.chapter, "title": p.chapter_title}


def word_diff(old: str, new: str) -> list[dict[str, str]]:
    """The new text against the old, word by word: runs of equal, deleted and inserted words.

    Words are aligned ignoring case and the punctuation around them, so ``enquiries.`` still anchors
    on ``enquiries``; such a word is then shown deleted and inserted, so both texts can be rebuilt.
    """
    a, b = old.split(), new.split()
    runs: list[tuple[str, list[str]]] = []
    matcher = difflib.SequenceMatcher(None, [_bare(t) for t in a], [_bare(t) for t in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                _extend(runs, [("equal", x)] if x == y else [("delete", x), ("insert", y)])
        else:
            _extend(runs, [("delete", x) for x in a[i1:i2]] + [("insert", y) for y in b[j1:j2]])
    return [{"op": op, "text": " ".join(tokens)} for op, tokens in runs]


def _bare(token: str) -> str:
    return token.lower().strip(_PUNCTUATION)


def _extend(runs: list[tuple[str, list[str]]], tokens: list[tuple[str, str]]) -> None:
    """Append tokens, joining each to the run before it when the operation is the same."""
    for op, token in tokens:
        if runs and runs[-1][0] == op:
            runs[-1][1].append(token)
        else:
            runs.append((op, [token]))


def _standing(p: Provision) -> dict[str, str | None]:
    return {"status": p.status, "force": p.force}


def _timescale(ts: Timescale | None) -> dict[str, object] | None:
    return ts.to_dict() if ts else None


def compare_pair(pair: Pair) -> dict[str, Any]:
    """Every difference between the two provisions of a pair, by kind (empty: unchanged)."""
    old, new = pair.old, pair.new
    found: dict[str, Any] = {}
    if pair.by == "replaces":
        found["replaced"] = {"from": old.key, "to": new.key}
    if words(old.text) != words(new.text):
        found["reworded"] = {
            "similarity": round(word_ratio(old.text, new.text), 3),
            "diff": word_diff(old.text, new.text),
        }
    if old.chapter != new.chapter or (old.para and new.para and old.para != new.para):
        found["moved"] = {"from": old.cite(), "to": new.cite()}
    if (old.status, old.force) != (new.status, new.force):
        found["reclassified"] = {"from": _standing(old), "to": _standing(new)}
    if old.timescale != new.timescale:
        found["timescale"] = {"from": _timescale(old.timescale), "to": _timescale(new.timescale)}
    if set(old.roles) != set(new.roles):
        found["roles"] = {
            "added": sorted(set(new.roles) - set(old.roles)),
            "removed": sorted(set(old.roles) - set(new.roles)),
        }
    return found


def _gap_caveats(corpus: Corpus, years: Iterable[int], keys: Iterable[str]) -> tuple[str, ...]:
    """Gaps an edition's SOURCE.yaml records for these keys (named as the key, or in words: ``referral
    decision``): the change may be the corpus's, not the guidance's (e.g. a timescale left out because
    no copy of that edition confirmed it)."""
    names = {name for k in keys for name in (k, k.replace("-", " "))}
    pattern = re.compile(
        "|".join(rf"(?<![\w-]){re.escape(n)}(?![\w-])" for n in sorted(names)), re.IGNORECASE
    )
    return tuple(
        f"{corpus.documents[doc].short if doc in corpus.documents else doc} {year} SOURCE.yaml gap: {gap}"
        for (doc, year), e in sorted(corpus.editions.items())
        if year in set(years)
        for gap in e.source.get("gaps") or ()
        if pattern.search(str(gap))
    )


def edition_changes(
    corpus: Corpus, old_year: int, new_year: int, embed: Embed
) -> tuple[list[Change], Counter[str]]:
    """The changes between two editions, and how many pairs were aligned by each method (for context)."""
    pairs = align(corpus, old_year, new_year, embed)
    changes = []
    for pair in pairs:
        found = compare_pair(pair)
        if found:
            kinds = tuple(k for k in KINDS if k in found)
            caveats = _gap_caveats(corpus, (old_year, new_year), {pair.old.key, pair.new.key})
            changes.append(Change(kinds, pair.old, pair.new, pair.by, pair.score, found, caveats))
    paired_old = {id(p.old) for p in pairs}
    paired_new = {id(p.new) for p in pairs}
    for p in corpus.provisions:
        if p.edition == old_year and id(p) not in paired_old:
            changes.append(
                Change(("removed",), old=p, caveats=_gap_caveats(corpus, (old_year, new_year), [p.key]))
            )
        elif p.edition == new_year and id(p) not in paired_new:
            changes.append(
                Change(("added",), new=p, caveats=_gap_caveats(corpus, (old_year, new_year), [p.key]))
            )
    counts = Counter(pair.by for pair in pairs)
    counts["unchanged"] = len(pairs) - sum(1 for c in changes if c.old and c.new)
    return changes, counts


# ---------------------------------------------------------------- local overlays


def national_figure(
    corpus: Corpus, year: int, overlay: Overlay, rule: LocalRule
) -> tuple[Timescale | None, Provision | None]:
    """The national timescale a local rule stands in for, and the provision that governs the step.

    The edition's own flowchart step gives the national figure where the edition has that chart. An
    edition without it (2023 has no flowcharts) is read through the provisions the overlay's step
    links to, as they stand in that edition, taking only a timescale that runs from the same event.
    """
    chart = corpus.flowcharts.get((year, rule.flow))
    own_chart = chart is not None and rule.step in chart.ids
    step = (chart if own_chart else corpus.flowcharts[(overlay.edition, rule.flow)]).step(rule.step)
    linked = [p for k in step.provisions if (p := corpus.get(year, k))]
    figure = step.timescale or rule.timescale
    timed = [p for p in linked if p.timescale and figure and p.timescale.start == figure.start]
    governing = timed[0] if timed else linked[0] if linked else None
    if own_chart:
        return step.timescale, governing
    return (timed[0].timescale if timed else None), governing


def local_changes(corpus: Corpus, year: int, overlay: Overlay) -> list[Change]:
    """Each step where the local figure differs from the national one, and each local note."""
    changes = []
    for rule in overlay.rules:
        national, governing = national_figure(corpus, year, overlay, rule)
        found: dict[str, Any] = {}
        if rule.timescale and rule.timescale != national:
            found["timescale"] = {"from": _timescale(national), "to": _timescale(rule.timescale)}
        if rule.note:
            found["note"] = {"text": rule.note}
        if not found:
            continue
        step = corpus.flowcharts[(overlay.edition, rule.flow)].step(rule.step)
        where = {"flow": rule.flow, "step": rule.step, "title": step.title, "roles": list(step.roles)}
        changes.append(
            Change(tuple(k for k in KINDS if k in found), old=governing, details=found, step=where)
        )
    return changes


# ---------------------------------------------------------------- the report


def _chapter_order(p: Provision) -> tuple[int, int, str]:
    return (0, int(p.chapter), "") if p.chapter.isdigit() else (1, 0, p.chapter)


def _sort_key(change: Change, new_year: int) -> tuple[Any, ...]:
    """Newer edition's order first (its chapters, files, lines), then what was removed, in old order."""
    p = change.anchor
    assert p is not None  # every edition change has a provision on one side at least
    return (p.edition != new_year, _chapter_order(p), p.path, p.line)


def keep(change: Change, filters: Filters, corpus: Corpus) -> bool:
    """Does a change pass the reader's filters? A role also finds the narrower roles it includes."""
    if filters.kinds and not set(filters.kinds) & set(change.kinds):
        return False
    if filters.role and not corpus.expand_role(filters.role) & change.roles:
        return False
    anchor = change.anchor
    return not filters.chapter or (anchor is not None and anchor.chapter == filters.chapter)


def summarise(changes: list[Change]) -> dict[str, Any]:
    """Counts per kind and per chapter, so a reader sees the shape of the change before the detail."""
    chapters: dict[tuple[Any, ...], dict[str, Any]] = {}
    for change in changes:
        ref = _chapter_ref(change.anchor) or {"edition": None, "chapter": None, "title": None}
        row = chapters.setdefault(tuple(ref.values()), {**ref, "total": 0, "by_kind": Counter()})
        row["total"] += 1
        row["by_kind"].update(change.kinds)
    return {
        "total": len(changes),
        "by_kind": {k: sum(k in c.kinds for c in changes) for k in KINDS},
        "by_chapter": [
            {**row, "by_kind": {k: row["by_kind"][k] for k in KINDS if row["by_kind"][k]}}
            for row in chapters.values()
        ],
    }


def _check_chapter(corpus: Corpus, chapter: str | None, years: set[int]) -> None:
    if chapter is None:
        return
    known = sorted(
        {p.chapter for p in corpus.provisions if p.edition in years},
        key=lambda c: (not c.isdigit(), c.zfill(3)),
    )
    if chapter not in known:
        editions = " and ".join(map(str, sorted(years)))
        short = next((corpus.documents[d].short for d, _ in corpus.editions if d in corpus.documents), "")
        raise QueryError(f"{short} {editions} has no chapter {chapter!r}; chapters: {', '.join(known)}")


def _check_order(a: Side, b: Side) -> None:
    """An edition, then a later edition or a local overlay: 'added' and 'removed' read that way round."""
    if a.overlay:
        raise QueryError(f"put the local overlay second, e.g. {a.edition} {LOCAL_PREFIX}{a.overlay.area}")
    if b.overlay:
        return
    if a.edition == b.edition:
        raise QueryError(f"compare two different editions, not {a.edition} with itself")
    if a.edition > b.edition:
        raise QueryError(f"put the older edition first, e.g. {b.edition} {a.edition}")


def compare(corpus: Corpus, old: str, new: str, embed: Embed, filters: Filters) -> dict[str, Any]:
    """The report the CLI prints and the API returns: sides, filters, summary, alignment, changes."""
    a, b = parse_side(corpus, old), parse_side(corpus, new)
    if a.document != b.document:
        raise QueryError(f"compare two editions of one document, not {old} with {new}")
    corpus = document_view(corpus, a.document)
    _check_order(a, b)
    _check_chapter(corpus, filters.chapter, {a.edition, b.edition})
    alignment = None
    if b.overlay:
        changes = local_changes(corpus, a.edition, b.overlay)
    else:
        changes, counts = edition_changes(corpus, a.edition, b.edition, embed)
        changes.sort(key=lambda c: _sort_key(c, b.edition))
        alignment = {
            **{m: counts[m] for m in MATCHES},
            "unchanged": counts["unchanged"],
            "threshold": MATCH_THRESHOLD,
        }
    shown = [c for c in changes if keep(c, filters, corpus)]
    urls = {year: e.url for (_, year), e in corpus.editions.items()}
    return {
        "from": a.to_dict(corpus),
        "to": b.to_dict(corpus),
        "filters": filters.to_dict(),
        "summary": summarise(shown),
        "alignment": alignment,
        "changes": [c.to_dict(urls) for c in shown],
    }
