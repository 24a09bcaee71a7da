"""Counts of the corpus, and paragraph coverage of each edition against its SOURCE.yaml ranges."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

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
        result["edition"][str(p.edition)] += 1
        result["chapter"][f"{p.edition} ch {p.chapter}: {p.chapter_title}"] += 1
        result["status"][f"{p.edition} {p.status}"] += 1
        result["force"][f"{p.edition} {p.force or 'advice'}"] += 1
    return result


@dataclass(frozen=True)
class ChapterCoverage:
    edition: int
    chapter: str
    title: str
    total: int
    covered: int
    uncovered: str

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "percent": round(self.percent, 1)}


def coverage(corpus: Corpus) -> list[ChapterCoverage]:
    """Per chapter listed in SOURCE.yaml: how many of its numbered paragraphs some provision cites."""
    rows = []
    for year, edition in sorted(corpus.editions.items()):
        cited: set[Para] = set()
        for p in corpus.provisions:
            if p.edition == year and p.para:
                cited |= expand_paras(p.para)
        for chapter in edition.source.get("chapters") or []:
            if not chapter.get("paras"):
                continue
            paras = expand_paras(str(chapter["paras"]))
            hit = paras & cited
            rows.append(
                ChapterCoverage(
                    year,
                    str(chapter["chapter"]),
                    str(chapter.get("title", "")),
                    len(paras),
                    len(hit),
                    compact(paras - hit),
                )
            )
    return rows
