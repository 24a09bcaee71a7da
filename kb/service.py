"""The library's front door: one object the CLI, the API and the pages share, so all three give the
same answer to the same question.
"""

from __future__ import annotations

from functools import cached_property

from kb.corpus import Corpus, Provision, load_corpus
from kb.embed import Embedder
from kb.search import Hit, Query, QueryError, Searcher
from kb.settings import Settings


class Knowledge:
    """Corpus, index and model for one set of settings; the model loads on first use only."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder

    @cached_property
    def corpus(self) -> Corpus:
        return load_corpus(self.settings.corpus_dir)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(self.settings.model_package, self.settings.query_cache_size)
        return self._embedder

    @cached_property
    def searcher(self) -> Searcher:
        roles = {r: self.corpus.expand_role(r) for r in self.corpus.roles}
        editions = {year: e.url for year, e in self.corpus.editions.items()}
        return Searcher(self.settings, lambda q: self.embedder.encode_query(q), roles, editions)

    def search(self, query: Query) -> list[Hit]:
        return self.searcher.search(query)

    def provision(self, edition: int, key: str) -> Provision:
        """One provision as the live index holds it, so it always agrees with search results."""
        live = self.searcher.index.provisions
        found = next((p for p in live if (p.edition, p.key) == (edition, key)), None)
        if found is None:
            if edition not in self.corpus.editions:
                raise QueryError(f"unknown edition {edition}")
            raise QueryError(f"edition {edition} has no provision {key!r}")
        return found
