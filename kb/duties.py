"""What falls on a role: its provisions grouped by chapter, legal duties first, then guidance, then advice.

A role's list includes the narrower roles it covers (schools -> dsl). Provisions addressed to every
practitioner are listed separately on request, because they apply to everyone and would otherwise
bury what is specific to the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.corpus import Corpus, Provision

FORCE_ORDER = {"must": 0, "should": 1, None: 2}
GENERAL = "all-practitioners"


@dataclass(frozen=True)
class Duties:
    role: str
    edition: int
    specific: list[Provision]
    general: list[Provision]


def _order(p: Provision) -> tuple:
    chapter = int(p.chapter) if p.chapter.isdigit() else 100 + ord(p.chapter)
    return (chapter, FORCE_ORDER[p.force], p.path, p.line)


def duties_for(corpus: Corpus, role: str, edition: int, include_general: bool = False) -> Duties:
    """The provisions of ``edition`` that name ``role`` (or a role it includes)."""
    roles = corpus.expand_role(role)
    in_edition = [p for p in corpus.provisions if p.edition == edition]
    specific = sorted((p for p in in_edition if roles & set(p.roles)), key=_order)
    general = []
    if include_general and role != GENERAL:
        general = sorted((p for p in in_edition if GENERAL in p.roles and p not in specific), key=_order)
    return Duties(role, edition, specific, general)
