"""The statutory checker over the live index: retrieve, decide (kb.statutory), explain, and shape the
answer the CLI prints and the API returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kb.claim import Claim, event_name, leads, read_claim, recipients
from kb.corpus import Provision, Vocabulary
from kb.search import Query, QueryError, Searcher, expand_abbreviations, provision_json
from kb.statutory import Calibration, Candidate, Decision, Example, decide
from kb.verdict_model import VerdictModel, apply

LOW_CONFIDENCE = 0.75  # below this, the answer says the guidance may not settle the question
POOL = 10  # candidates the decision looks at; the verdict rests on the most similar one
EVERYONE = "all-practitioners"
# A document's name, with what cites it ("under KCSIE 2025,", "Working Together says"). The short
# "Working Together" only with capitals: "working together with parents" is a claim's content.
_DOCUMENT_NAME = re.compile(
    r"\b(?P<by>(?:under|in|per|from|according to|for|since) )?(?:the )?"
    r"(?P<name>KCSIE|Keeping children safe in education|Working Together to Safeguard Children"
    r"|(?-i:Working Together))(?: \(?20\d\d\)?)?(?: guidance)?,?\s*"
    r"(?P<says>(?:says|states|requires|sets|expects|tells|makes|gives|puts|defines|is clear)\b)?",
    re.IGNORECASE,
)


def without_document_names(statement: str) -> str:
    """The statement as retrieval and similarity should read it: a document it cites as its source
    ("KCSIE says ...") is left out, a document it is about ("read Part one of KCSIE", "have regard to
    KCSIE") is spelled out. The embedding model does not know "KCSIE": "all staff read Part one of
    KCSIE" scores 0.53 against the provision it restates, 0.73 with the name spelled out; and a cited
    source is noise that pulls a claim towards the provisions that name the document."""

    def read(m: re.Match[str]) -> str:
        cited = m["by"] or m["says"] or not statement[: m.start()].strip()
        if cited:
            return ""
        name = "Keeping children safe in education" if m["name"].lower() == "kcsie" else m["name"]
        return m[0].replace(m["name"], name)

    return _DOCUMENT_NAME.sub(read, statement).strip() or statement.strip()


@dataclass(frozen=True)
class Verdict:
    """The final decision, the rules' decision under it, and the probability the final one is right."""

    decision: Decision
    rules: Decision
    confidence: float


@dataclass
class Checker:
    corpus: Vocabulary  # roles and events; the provisions come from the searcher's index
    searcher: Searcher
    encode: Callable[[str], np.ndarray]
    calibration: Calibration
    model: VerdictModel | None = None  # the learned last stage; None: the rules' verdict stands
    model_note: str | None = None  # why there is no model (it could not be loaded), said in every answer
    _told: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _leads: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict, repr=False)

    def actors_match(self, claimed: frozenset[str], provision_roles: tuple[str, ...]) -> bool:
        """Whether an actor the statement names is one the provision applies to (or a narrower or
        broader form of it: 'the council' matches children's social care)."""
        if EVERYONE in provision_roles:
            return True
        expand = self.corpus.expand_role
        return any(r in expand(c) or c in expand(r) for c in claimed for r in provision_roles)

    def read(self, statement: str, role: str | None) -> Claim:
        claim = read_claim(statement, self.corpus.roles, self.corpus.events)
        if role and not claim.roles:  # "--role schools" says who the statement is about
            return replace(claim, roles=frozenset({role}))
        return claim

    def decide(self, claim: Claim, found: list[Candidate] | tuple[Candidate, ...]) -> Decision:
        """The rules' decision."""
        return decide(claim, found, self.calibration.threshold, self.actors_match, self.corpus.events)

    def judge(self, claim: Claim, found: list[Candidate] | tuple[Candidate, ...]) -> Verdict:
        """The final decision (the model's, on top of the rules', when there is a model) and the
        probability that it is right: the model's probability of its verdict, else the calibration's."""
        rules = self.decide(claim, found)
        if self.model is None:
            return Verdict(rules, rules, self.calibration.confidence(rules, found))
        final, probabilities = apply(
            self.model, claim, found, rules, self.calibration.threshold, self.actors_match
        )
        return Verdict(final, rules, probabilities[final.verdict])

    def candidates(self, statement: str, edition: int | None, document: str | None = None) -> list[Candidate]:
        """The provisions retrieved for the statement, most similar first, from the edition in force of
        every document unless told otherwise. A role does not filter them: "for the police" should
        hear that the guidance puts a duty on someone else."""
        about = without_document_names(statement)
        hits = self.searcher.search(Query(about, edition, document, limit=POOL))
        if not hits:
            return []
        vectors = self.searcher.index.vectors([h.provision.uid for h in hits])
        similarity = vectors @ self.encode(expand_abbreviations(about))
        ranked = sorted(zip(hits, similarity, strict=True), key=lambda hs: -float(hs[1]))
        return [
            Candidate(h.provision, float(s), self.told(h.provision), self.leads(h.provision))
            for h, s in ranked
        ]

    def told(self, p: Provision) -> frozenset[str]:
        """Who the provision says something is reported to, read once per text (keyed by the text, not
        the uid, so a rebuild that rewords a provision is read afresh)."""
        if p.text not in self._told:
            self._told[p.text] = frozenset(recipients(p.text, self.corpus.roles))
        return self._told[p.text]

    def leads(self, p: Provision) -> frozenset[str]:
        """Who the provision puts its duty on, read once per title and text (kb.claim.leads)."""
        key = (p.title, p.text)
        if key not in self._leads:
            self._leads[key] = frozenset(leads(p.title, p.text, self.corpus.roles))
        return self._leads[key]

    def check(
        self,
        statement: str,
        edition: int | None = None,
        role: str | None = None,
        document: str | None = None,
    ) -> dict[str, Any]:
        """The verdict JSON (DESIGN.md section 4) for one statement."""
        if edition == 0:
            raise QueryError("a verdict needs one edition: give a year, not 'all'")
        if role is not None and role not in self.corpus.roles:
            raise QueryError(f"unknown role {role!r}; see `wtkb roles` or GET /api/roles")
        found = self.candidates(statement, edition, document)
        claim = self.read(statement, role)
        return self.to_json(statement, edition, document, claim, self.judge(claim, found), found)

    def to_json(
        self,
        statement: str,
        edition: int | None,
        document: str | None,
        claim: Claim,
        verdict: Verdict,
        found: list[Candidate],
    ) -> dict[str, Any]:
        """``edition``/``document`` are those of the evidence the verdict rests on (else of the
        question, else the current WT edition); ``editions`` lists every edition searched."""
        d = verdict.decision
        confidence = round(verdict.confidence, 3)
        p = d.evidence.provision if d.evidence and d.verdict != "not_in_guidance" else None
        ordered = [d.evidence] + [c for c in found if c is not d.evidence] if d.evidence else found
        top = ordered[0].provision if ordered else None
        scope = self.searcher.scope(Query(statement, edition, document))
        return {
            "statement": statement,
            "document": top.document if top else (document or scope[0][0]),
            "edition": top.edition if top else (edition or scope[0][1]),
            "editions": [f"{doc}/{year}" for doc, year in scope],
            "verdict": d.verdict,
            "reason": d.reason,
            "force": p.force if p and d.verdict == "statutory" else None,
            "basis": p.basis if p and d.verdict == "statutory" else None,
            "roles": list(p.roles) if p else [],
            "confidence": confidence,
            "low_confidence": confidence < LOW_CONFIDENCE,
            "explanation": self.explain(d, claim)
            + (unsettled(ordered) if confidence < LOW_CONFIDENCE else ""),
            "evidence": [self.hit(c) for c in ordered[:3]],
            "rules_verdict": verdict.rules.verdict,
            "verdict_model": "applied" if self.model else self.model_note or "off",
        }

    def hit(self, c: Candidate) -> dict[str, Any]:
        return {
            **provision_json(c.provision, self.searcher.url(c.provision)),
            "score": round(c.similarity, 4),
        }

    def event(self, key: str | None) -> str:
        return event_name(key, self.corpus.events)

    def span(self, p: Provision, stated: str | None) -> str:
        """The provision's own timescale with the event it runs from, else the spans its text states."""
        return f"{p.timescale.within} from {self.event(p.timescale.start)}" if p.timescale else str(stated)

    def labels(self, roles: Any) -> str:
        names = [self.corpus.roles[r].label.split(" (")[0] for r in sorted(roles) if r in self.corpus.roles]
        return " and ".join(names) or "no named role"

    def explain(self, d: Decision, claim: Claim) -> str:
        """One or two plain sentences built from the evidence, ending with its citation."""
        if d.evidence is None:
            return "Nothing in the guidance searched is about this statement."
        p = d.evidence.provision
        about = f"{p.title} ({p.cite()})"
        return {
            "low_similarity": f"The guidance does not say this; the closest provision is {about}.",
            "no_timescale": f"The guidance sets no {claim.duration} timescale for this: see {about}.",
            "timescale": f"The guidance sets {self.span(p, d.detail.get('says'))}, "
            f"not {claim.duration}: {about}.",
            "event": f"The timescale runs from {self.event(d.detail.get('says'))}, not from "
            f"{self.event(d.detail.get('claimed'))}: {about}.",
            "members": f"The members are {self.labels(p.members)}, "
            f"not {self.labels(claim.members)}: {about}.",
            "participants": f"{self.labels(p.participants)} must take part: {about}.",
            "detail": f"The guidance says nothing about a {d.detail.get('claimed')} here; the closest "
            f"provision is {about}.",
            "actor": f"The guidance puts this on {self.labels(_said(d) or p.roles)}, "
            f"not {self.labels(claim.roles)}: {about}.",
            "recipient": f"The guidance says this goes to {self.labels(d.evidence.told)}, "
            f"not {self.labels(claim.recipients)}: {about}.",
            "denial": f"The guidance does require this ({_force(p)}): {about}.",
            "polarity": f"The guidance says the opposite: {about}.",
            "learned": f"The guidance covers this but statements worded like it usually misstate it; "
            f"compare it with {about}.",
            "status": _status_sentence(p) + f" {about}.",
        }[d.reason]


def _said(d: Decision) -> list[str]:
    """The roles a decision's ``says`` detail names (who a provision puts its duty on), if any."""
    return d.detail["says"].split(", ") if d.detail.get("says") else []


def unsettled(ordered: list[Candidate]) -> str:
    """What a low-confidence answer adds: the verdict may be wrong, so read the provisions themselves."""
    cited = "; ".join(f"{c.provision.title} ({c.provision.cite()})" for c in ordered[:3])
    return f" The guidance may not settle this; read these provisions: {cited}." if cited else ""


def _force(p: Provision) -> str:
    return f"a legal duty under {p.basis}" if p.force == "must" else "statutory guidance, to follow"


def _status_sentence(p: Provision) -> str:
    if p.status == "advice":
        return "The guidance says this as advice or good practice, not as a requirement:"
    if p.force == "must":
        return f"This is a legal duty under {p.basis}:"
    return f"This is statutory guidance ({p.basis}): follow it unless there is good reason not to:"


def examples(checker: Checker, items: list[dict[str, Any]], edition: int | None = None) -> list[Example]:
    """Development-set statements with their claims read and candidates retrieved, so that
    calibration and evaluation can replay the decision at any threshold without searching again."""
    return [
        Example(
            item["statement"],
            item["verdict"],
            checker.read(item["statement"], None),
            tuple(checker.candidates(item["statement"], edition)),
        )
        for item in items
    ]
