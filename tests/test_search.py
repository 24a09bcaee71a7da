"""Search: filters narrow results as documented, bad requests get clear messages, queries are cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.embed import Embedder
from kb.index import IndexMissing, build
from kb.search import Query, QueryError, parse_edition
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus


@pytest.fixture
def kb(tmp_path: Path, embedder: Embedder) -> Knowledge:
    settings = Settings(corpus_dir=write_corpus(tmp_path, years=(2018, 2023)), index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    return Knowledge(settings, embedder)


def keys(kb: Knowledge, **kwargs: object) -> list[tuple[int, str]]:
    return [(h.provision.edition, h.provision.key) for h in kb.search(Query(**{"limit": 10, **kwargs}))]


def test_default_edition_is_the_current_one(kb: Knowledge) -> None:
    found = keys(kb, text="referral")
    assert found and {e for e, _ in found} == {2023}


def test_edition_filter_and_all_editions(kb: Knowledge) -> None:
    assert {e for e, _ in keys(kb, text="referral", edition=2018)} == {2018}
    assert {e for e, _ in keys(kb, text="referral", edition=0)} == {2018, 2023}


def test_status_and_force_filters(kb: Knowledge) -> None:
    statutory = keys(kb, text="what happens next with the family", status="statutory")
    assert statutory and all(k != "talking-to-family" for _, k in statutory)
    assert [k for _, k in keys(kb, text="enquiries", force="must")] == ["section-47-enquiry"]
    assert [k for _, k in keys(kb, text="parents", status="advice")] == ["talking-to-family"]


def test_role_filter_includes_narrower_roles(kb: Knowledge) -> None:
    assert [k for _, k in keys(kb, text="concerns", role="schools")] == ["schools-refer"]
    assert [k for _, k in keys(kb, text="concerns", role="police")] == ["section-47-enquiry"]


def test_chapter_filter(kb: Knowledge) -> None:
    assert keys(kb, text="referral", chapter="4") == []
    assert keys(kb, text="referral", chapter="3")


def test_best_hit_for_a_plain_question(kb: Knowledge) -> None:
    hit = kb.search(Query("how quickly must the council decide what to do about a referral"))[0]
    assert hit.provision.key == "referral-decision"
    data = hit.to_dict()
    assert data["timescale"] == {
        "within": "1 working day",
        "amount": 1,
        "unit": "working day",
        "from": "referral-received",
    }
    assert data["citation"] == {
        "document": "wt",
        "edition": 2023,
        "chapter": "3",
        "chapter_title": "Providing help",
        "paragraph": "10",
        "section": None,
        "url": "https://example.org/wt2023",
        "text": "WT 2023, ch. 3, para 10",
    }
    assert set(data) >= {"key", "edition", "title", "text", "status", "force", "basis", "roles", "score"}


def test_limit(kb: Knowledge) -> None:
    assert len(kb.search(Query("child", limit=2))) == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (Query("   "), "the query is empty"),
        (Query("x" * 10_000), "the query is 10000 characters; the limit is 500"),
        (Query("referral", edition=1999), "unknown edition 1999; known: wt/2018, wt/2023"),
        (Query("referral", role="wizard"), "unknown role 'wizard'"),
        (Query("referral", status="maybe"), "unknown status 'maybe'"),
        (Query("referral", force="could"), "unknown force 'could'"),
        (Query("referral", limit=0), "limit must be between 1 and 50"),
        (Query("referral", limit=51), "limit must be between 1 and 50"),
    ],
)
def test_bad_queries_get_clear_messages(kb: Knowledge, query: Query, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(")):
        kb.search(query)


def test_bad_edition_text() -> None:
    with pytest.raises(QueryError, match="edition must be a year"):
        parse_edition("latest")
    assert (parse_edition("all"), parse_edition(None), parse_edition("2018")) == (0, None, 2018)


def test_query_embeddings_are_cached(kb: Knowledge, embedder: Embedder) -> None:
    kb.search(Query("a question asked twice"))
    encoder = kb.searcher.encoder
    before, before_st = encoder.encoded, embedder.encoded
    kb.search(Query("a question asked twice", status="advice"))
    assert encoder.encoded == before
    kb.search(Query("a different question"))
    assert encoder.encoded == before + 1
    assert embedder.encoded == before_st, "queries go to the build's ONNX model, not sentence-transformers"


def test_search_without_an_index_says_to_build(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "none")
    with pytest.raises(IndexMissing, match="run `wtkb build` first"):
        Knowledge(settings, embedder).search(Query("referral"))


def test_searcher_picks_up_a_new_build(kb: Knowledge, embedder: Embedder) -> None:
    assert kb.search(Query("pupil"))[0].provision.title == "Schools refer concerns"
    path = kb.settings.corpus_dir / "wt/2023/statutory/03-help.md"
    path.write_text(path.read_text().replace("Schools refer concerns", "Schools pass on concerns"))
    build(kb.settings, lambda: embedder)
    assert kb.search(Query("pupil"))[0].provision.title == "Schools pass on concerns"


def test_a_search_and_a_verdict_read_no_chapter_file(kb: Knowledge) -> None:
    """They rank the index's own copy of the provisions, so a cold CLI command need not parse the
    corpus's chapters: only its vocabulary (documents, editions, roles, events)."""
    assert kb.search(Query("referral"))
    assert kb.statutory("A referral decision is made within one working day")["evidence"]
    assert kb.provision(2023, "referral-decision").key == "referral-decision"  # as the CLI prints it
    assert "corpus" not in kb.__dict__
    assert set(kb.vocabulary.editions) == {("wt", 2018), ("wt", 2023)}
    loaded = Knowledge(kb.settings)
    corpus = loaded.corpus
    assert loaded.vocabulary is corpus  # once the corpus is loaded, it serves as the vocabulary too
