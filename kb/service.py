"""The library's front door: one object the CLI, the API and the pages share, so all three give the
same answer to the same question.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any

import numpy as np

from kb.checker import Checker
from kb.corpus import WT, Corpus, Provision, Vocabulary, load_corpus, load_vocabulary
from kb.deadlines import deadlines
from kb.diff import compare, parse_filters
from kb.duties import duties_for
from kb.embed import Embedder
from kb.flow import Flowchart, FlowError
from kb.index import EMBEDDINGS, EmbeddingCache, embed_all
from kb.local import edition_mismatch
from kb.search import Hit, Query, QueryError, Searcher, edition_scope, parse_document, provision_json
from kb.settings import Settings
from kb.statutory import Calibration
from kb.verdict_model import load_model


class Knowledge:
    """Corpus, index and models for one set of settings, each loaded on first use only (or all at
    once by ``warm``, before a server reports ready)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder

    @cached_property
    def corpus(self) -> Corpus:
        return load_corpus(self.settings.corpus_dir)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The corpus when it is loaded already, else only its vocabulary files (search and verdicts
        need no more, which keeps a cold CLI search from parsing every chapter)."""
        return self.__dict__.get("corpus") or load_vocabulary(self.settings.corpus_dir)

    @property
    def embedder(self) -> Embedder:
        """sentence-transformers: embeds provisions, and queries only for a build without an ONNX
        query model (the searcher says which it uses)."""
        if self._embedder is None:
            self._embedder = Embedder(self.settings.model_package, self.settings.query_cache_size)
        return self._embedder

    @cached_property
    def searcher(self) -> Searcher:
        roles = {r: self.vocabulary.expand_role(r) for r in self.vocabulary.roles}
        editions = {key: e.url for key, e in self.vocabulary.editions.items()}
        return Searcher(self.settings, lambda: self.embedder, roles, editions)

    def search(self, query: Query) -> list[Hit]:
        return self.searcher.search(query)

    @cached_property
    def checker(self) -> Checker:
        calibration = Calibration.load(self.settings.calibration_file)
        model, note = load_model(self.settings.verdict_model_file)
        return Checker(self.vocabulary, self.searcher, self.searcher.embed_query, calibration, model, note)

    def warm(self) -> None:
        """Load everything a search and a verdict need (corpus, index, query encoder, calibration)
        and answer once, so that the first request is as fast as the hundredth. Raises IndexMissing
        when there is no usable index. The whole corpus too, for the pages and endpoints that list
        provisions, loaded first so that the vocabulary is taken from it rather than read twice."""
        _ = self.corpus
        self.statutory("warm up")

    def statutory(
        self,
        statement: str,
        edition: int | None = None,
        role: str | None = None,
        document: str | None = None,
    ) -> dict[str, Any]:
        """Is this statement statutory, advice, not in the guidance, or contradicted by it, and why."""
        return self.checker.check(statement, edition, role, document)

    def document(self, value: str | None) -> str | None:
        """A document key as a user gave it, checked against the corpus (None: every document)."""
        return parse_document(value, list(self.vocabulary.documents))

    def provision(self, edition: int, key: str, document: str = WT.key) -> Provision:
        """One provision as the live index holds it, so it always agrees with search results."""
        self.document(document)
        live = self.searcher.index.provisions
        if (document, edition) not in self.vocabulary.editions:  # also when a stale index still holds one
            raise QueryError(f"unknown edition {document}/{edition}")
        found = next((p for p in live if (p.document, p.edition, p.key) == (document, edition, key)), None)
        if found is None:
            raise QueryError(f"edition {document}/{edition} has no provision {key!r}")
        return found

    def cross_references(self, p: Provision) -> list[Provision]:
        """Provisions this one sends the reader to (``see=``) and those that send the reader here."""
        return [q for q in self.corpus.provisions if q.uid in p.see or p.uid in q.see]

    def duties(
        self,
        role: str,
        edition: int | None = None,
        include_general: bool = False,
        offset: int = 0,
        limit: int | None = None,
        document: str | None = None,
    ) -> dict[str, Any]:
        """Everything that falls on a role, as the CLI prints it and the API returns it: by default in
        the edition in force of every document, the document holding most of the role's duties first.

        ``offset``/``limit`` page both lists alike (``None``: no limit, for library callers);
        ``total`` and ``total_general`` count the whole lists so a client knows when it has them all.
        """
        if role not in self.corpus.roles:
            raise QueryError(f"unknown role {role!r}; see `wtkb roles` or GET /api/roles")
        window = self._page(offset, limit)
        if edition == 0:
            raise QueryError("this needs one edition: give a year, not 'all'")
        scope = edition_scope(list(self.corpus.editions), self.document(document), edition)
        found = duties_for(self.corpus, role, scope, include_general)
        url = self.searcher.url
        return {
            "role": role,
            "label": self.corpus.roles[role].label,
            "includes": sorted(self.corpus.expand_role(role) - {role}),
            "edition": found.editions[0][1],
            "editions": [f"{doc}/{year}" for doc, year in found.editions],
            "provisions": [provision_json(p, url(p)) for p in found.specific[window]],
            "general": [provision_json(p, url(p)) for p in found.general[window]],
            "total": len(found.specific),
            "total_general": len(found.general),
            "offset": offset,
            "limit": limit,
        }

    def _page(self, offset: int, limit: int | None) -> slice:
        """A window on a long list, bounded so that no request can ask for an unbounded page."""
        most = self.settings.max_page
        if offset < 0:
            raise QueryError(f"offset must be 0 or more, not {offset}")
        if limit is not None and not 1 <= limit <= most:
            raise QueryError(f"limit must be between 1 and {most}, not {limit}")
        return slice(offset, None if limit is None else offset + limit)

    # ------------------------------------------------------------ flowcharts and deadlines

    def _edition(self, edition: int | None) -> int:
        """One edition of Working Together (the document with flowcharts): the one asked for, or the
        current one; 'all' (0) is refused, not ignored."""
        if edition == 0:
            raise QueryError("this needs one edition: give a year, not 'all'")
        year = edition or self.corpus.current_edition
        if year not in self.corpus.years(WT.key):
            known = ", ".join(map(str, self.corpus.years(WT.key)))
            raise QueryError(f"unknown edition {year} of Working Together; known: {known}")
        return year

    def flowcharts(self, edition: int | None = None) -> list[Flowchart]:
        """The flowcharts of one edition (default: the current one)."""
        year = self._edition(edition)
        return [chart for (y, _), chart in sorted(self.corpus.flowcharts.items()) if y == year]

    def flowchart(self, key: str, edition: int | None = None) -> Flowchart:
        year = self._edition(edition)
        chart = self.corpus.flowcharts.get((year, key))
        if chart is None:
            elsewhere = sorted(y for (y, k) in self.corpus.flowcharts if k == key)
            hint = f"; editions that have it: {', '.join(map(str, elsewhere))}" if elsewhere else ""
            here = ", ".join(c.key for c in self.flowcharts(year)) or "none"
            raise QueryError(f"edition {year} has no flowchart {key!r} (it has: {here}){hint}")
        return chart

    def deadlines(
        self,
        flow: str,
        start: date,
        edition: int | None = None,
        actual: dict[str, date] | None = None,
        local: str | None = None,
    ) -> dict[str, Any]:
        """Every step's due date for a case, as the CLI prints it and the API returns it."""
        chart = self.flowchart(flow, edition)
        overlay = None
        if local is not None:
            overlay = self.corpus.overlays.get(local)
            if overlay is None:
                known = ", ".join(sorted(self.corpus.overlays)) or "none"
                raise QueryError(f"unknown local area {local!r}; known: {known}")
            mismatch = edition_mismatch(local, self.corpus.overlays, chart.edition, "the flowchart")
            if mismatch:
                raise QueryError(mismatch)
        check_dates([start, *(actual or {}).values()], self.settings.max_dates)
        try:
            rows = deadlines(chart, start, actual, overlay)
        except FlowError as exc:
            raise QueryError(str(exc)) from None
        return {
            "flow": chart.key,
            "title": chart.title,
            "edition": chart.edition,
            "start": start.isoformat(),
            "local": overlay.area if overlay else None,
            "steps": [r.to_dict() for r in rows],
        }

    # ------------------------------------------------------------ diffs between editions

    def diff(
        self,
        old: str,
        new: str,
        role: str | None = None,
        kind: str | None = None,
        chapter: str | None = None,
    ) -> dict[str, Any]:
        """What changed from one edition to another (or to a local overlay), as CLI and API show it.

        ``kind`` is a comma-separated list of change kinds (see kb.diff.KINDS)."""
        filters = parse_filters(self.corpus, role, kind, chapter)
        return compare(self.corpus, old, new, self.embed_provisions, filters)

    def embed_provisions(self, provisions: list[Provision]) -> np.ndarray:
        """Provision vectors through the index's content-hash cache, so unchanged text is embedded once."""
        cache = EmbeddingCache(self.settings.index_dir / EMBEDDINGS)
        try:
            return embed_all(provisions, self.embedder, cache)[0]
        finally:
            cache.close()


EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)


def check_dates(dates: list[date], most: int) -> None:
    """Dates outside the years the bank-holiday calendar covers, or too many of them, are refused."""
    if len(dates) > most:
        raise QueryError(f"too many dates: at most {most}")
    for day in dates:
        if not EARLIEST <= day <= LATEST:
            raise QueryError(f"date {day.isoformat()} is outside {EARLIEST.year}-{LATEST.year}")
