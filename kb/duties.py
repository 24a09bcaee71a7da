"""What falls on a role: its provisions grouped by chapter, legal duties first, then guidance, then advice.

A role's list includes the narrower roles it covers (schools -> dsl). Provisions addressed to every
practitioner are listed separately on request, because they apply to everyone and would otherwise
bury what is specific to the role. Several documents are listed one after another, the document with
the most provisions for the role first: a DSL's duties are mostly in KCSIE, a social worker's in WT.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.corpus import Corpus, EditionKey, Provision

FORCE_ORDER = {"must": 0, "should": 1, None: 2}
GENERAL = "all-practitioners"


@dataclass(frozen=True)
class Duties:
    role: str
    editions: list[EditionKey]  # in the order listed
    specific: list[Provision]
    general: list[Provision]


def _chapter_order(p: Provision) -> tuple:
    chapter = int(p.chapter) if p.chapter.isdigit() else 100 + ord(p.chapter)
    return (chapter, FORCE_ORDER[p.force], p.path, p.line)


def duties_for(
    corpus: Corpus, role: str, editions: list[EditionKey], include_general: bool = False
) -> Duties:
    """The provisions of ``editions`` that name ``role`` (or a role it includes)."""
    roles = corpus.expand_role(role)
    scope = set(editions)
    chosen = [p for p in corpus.provisions if (p.document, p.edition) in scope]
    specific = [p for p in chosen if roles & set(p.roles)]
    weight = {e: -sum((p.document, p.edition) == e for p in specific) for e in editions}
    ordered = sorted(editions, key=lambda e: (weight[e], e))
    rank = {e: i for i, e in enumerate(ordered)}

    def order(p: Provision) -> tuple:
        return (rank[(p.document, p.edition)], *_chapter_order(p))

    general = []
    if include_general and role != GENERAL:
        general = sorted((p for p in chosen if GENERAL in p.roles and p not in specific), key=order)
    return Duties(role, ordered, sorted(specific, key=order), general)
