"""Counts of the corpus, and paragraph coverage of each edition against its SOURCE.yaml ranges."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kb.corpus import Corpus

Para = tuple[int, ...]


def _one(text: str) -> Para:
    return tuple(int(part) for part in text.strip().rstrip("abcdefgh").split("."))


def expand_paras(spec: str) -> set[Para]:
    """``'158-160,162'`` -> {(158,), (159,), (160,), (162,)}; ``'5.38-5.40'`` -> {(5, 38), ..., (5, 40)}."""
    paras: set[Para] = set()
    for part in spec.split(","):
        if "-" not in part:
            if part.strip()[:1].isdigit():
                paras.add(_one(part))
            continue
        low, high = (_one(x) for x in part.split("-", 1))
        if len(low) != len(high) or low[:-1] != high[:-1] or high[-1] < low[-1]:
            continue
        paras.update((*low[:-1], n) for n in range(low[-1], high[-1] + 1))
    return paras


def compact(paras: set[Para]) -> str:
    """The inverse of expand_paras for display: runs of consecutive numbers as ranges."""
    runs: list[str] = []
    ordered = sorted(paras)
    i = 0
    while i < len(ordered):
        j = i
        while (
            j + 1 < len(ordered)
            and ordered[j + 1][:-1] == ordered[i][:-1]
            and ordered[j + 1][-1] == ordered[j][-1] + 1
        ):
            j += 1
        first, last = (".".join(map(str, ordered[k])) for k in (i, j))
        runs.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return ", ".join(runs)


def counts(corpus: Corpus) -> dict[str, Counter]:
    """Provisions per edition, per (edition, chapter), per status and per force."""
    result: dict[str, Counter] = {
        "edition": Counter(),
        "chapter": Counter(),
        "status": Counter(),
        "force": Counter(),
    }
    for p in corpus.provisions:
        result["edition"][p.edition_id] += 1
        result["chapter"][f"{p.edition_id} ch {p.chapter}: {p.chapter_title}"] += 1
        result["status"][f"{p.edition_id} {p.status}"] += 1
        result["force"][f"{p.edition_id} {p.force or 'advice'}"] += 1
    return result


@dataclass(frozen=True)
class ChapterCoverage:
    """One chapter's provisions and, where SOURCE.yaml records its paragraph range, their coverage."""

    edition: int
    chapter: str
    title: str
    printed: str | None  # the range a copy prints (``5.1-5.151``); None when no copy shows both ends
    provisions: int
    document: str
    with_para: int
    cited: int  # distinct paragraph numbers the chapter's provisions cite
    total: int | None  # numbered paragraphs in the printed range; None when it is not recorded
    covered: int
    uncovered: str

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.covered / self.total, 1) if self.total else None

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "percent": self.percent}


def coverage(corpus: Corpus) -> list[ChapterCoverage]:
    """Per chapter of each edition's SOURCE.yaml: how many numbered paragraphs some provision cites.

    Chapters whose paragraph range is unknown still report how many of their provisions cite a
    paragraph number at all, so a gap in the citations is visible rather than silently skipped.
    """
    rows = []
    for (document, year), edition in sorted(corpus.editions.items()):
        in_edition = [p for p in corpus.provisions if (p.document, p.edition) == (document, year)]
        for chapter in edition.source.get("chapters") or []:
            number = str(chapter["chapter"])
            provisions = [p for p in in_edition if p.chapter == number]
            cited: set[Para] = set()
            for p in provisions:
                cited |= expand_paras(p.para) if p.para else set()
            printed = str(chapter["paras"]) if chapter.get("paras") else None
            paras = expand_paras(printed) if printed else set()
            rows.append(
                ChapterCoverage(
                    edition=year,
                    chapter=number,
                    title=str(chapter.get("title", "")),
                    printed=printed,
                    provisions=len(provisions),
                    document=document,
                    with_para=sum(1 for p in provisions if p.para),
                    cited=len(cited),
                    total=len(paras) if paras else None,
                    covered=len(paras & cited),
                    uncovered=compact(paras - cited),
                )
            )
    return rows


def editions_json(corpus: Corpus) -> list[dict[str, Any]]:
    """Each edition with its SOURCE.yaml provenance and paragraph coverage, oldest first.

    One function for ``wtkb editions --json`` and ``GET /api/editions`` so the two cannot drift.
    The SOURCE.yaml mapping is passed through whole (dates as ISO strings): what was checked and
    what is missing is the reader's to judge, not ours to summarise away.
    """
    rows = coverage(corpus)
    return [
        {
            "document": document,
            "edition": year,
            "id": edition.id,
            "title": edition.title,
            "url": edition.url,
            "published": str(edition.source.get("published")),
            "current": year == corpus.current(document),
            "provisions": sum(1 for p in corpus.provisions if p.edition_id == edition.id),
            "source": json.loads(json.dumps(edition.source, default=str)),
            "coverage": [r.to_dict() for r in rows if (r.document, r.edition) == (document, year)],
        }
        for (document, year), edition in sorted(corpus.editions.items())
    ]
