"""KCSIE beside Working Together: the document is part of every provision, hit, verdict, citation,
duty list and diff, and a cross-reference to a provision the corpus lacks is a file:line problem."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.corpus import load_corpus
from kb.embed import Embedder
from kb.index import build
from kb.search import Query, QueryError
from kb.service import Knowledge
from kb.settings import Settings
from kb.timescale import parse_timescale
from kb.workdays import due_date
from tests.conftest import write_corpus, write_kcsie

KCSIE_FILE = "kcsie/2025/statutory/C-dsl.md"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return write_kcsie(write_corpus(tmp_path, (2018, 2023)))


@pytest.fixture
def kb(corpus_dir: Path, tmp_path: Path, embedder: Embedder) -> Knowledge:
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    return Knowledge(settings, embedder)


def problems(corpus_dir: Path) -> list[str]:
    return [str(p) for p in load_corpus(corpus_dir).problems]


def test_kcsie_provisions_carry_their_document_and_cite_its_way(corpus_dir: Path) -> None:
    corpus = load_corpus(corpus_dir)
    assert corpus.problems == []
    assert corpus.current_editions() == [("wt", 2023), ("kcsie", 2025)]
    refer = corpus.get(2025, "dsl-refers-to-social-care", "kcsie")
    assert (
        refer is not None
        and refer.document == "kcsie"
        and refer.uid == "kcsie/2025/dsl-refers-to-social-care"
    )
    assert refer.cite() == "KCSIE 2025, para 101"  # paragraphs run through the whole document
    training = corpus.get(2025, "dsl-training", "kcsie")
    assert training.cite() == "KCSIE 2025, annex C, section 'Training'"
    assert corpus.get(2023, "referral-decision").cite() == "WT 2023, ch. 3, para 10"
    assert refer.see == ("wt/2023/referral-decision",)


def test_a_cross_reference_to_a_missing_provision_names_file_and_line(corpus_dir: Path) -> None:
    path = corpus_dir / KCSIE_FILE
    path.write_text(path.read_text().replace("wt/2023/referral-decision", "wt/2018/no-such-key"))
    assert problems(corpus_dir) == [
        f"corpus/{KCSIE_FILE}:7: see 'wt/2018/no-such-key': no such provision (document/year/key) in the corpus"
    ]
    path.write_text(path.read_text().replace("wt/2018/no-such-key", "referral-decision"))
    assert problems(corpus_dir) == [
        f"corpus/{KCSIE_FILE}:7: bad see 'referral-decision': write document/year/key, e.g. wt/2023/referral-decision"
    ]


def test_a_folder_for_a_document_the_corpus_does_not_name_is_a_problem(corpus_dir: Path) -> None:
    (corpus_dir / "ofsted" / "2024").mkdir(parents=True)
    assert problems(corpus_dir) == [
        "corpus/ofsted:1: not a document folder: add 'ofsted' to documents.yaml or remove it"
    ]


def test_timescales_in_school_days_and_years_are_data_but_flowcharts_refuse_school_days(
    corpus_dir: Path,
) -> None:
    assert due_date(date(2024, 2, 29), parse_timescale("2 years", "dsl-training")) == date(2026, 2, 27)
    with pytest.raises(ValueError, match="school days"):
        due_date(date(2025, 9, 1), parse_timescale("5 school days", "pupil-leaves"))
    chart = corpus_dir / "wt/2023/flowcharts/referral.yaml"
    chart.write_text(chart.read_text().replace("1 working day", "5 school days"))
    assert any("cannot count school days" in p for p in problems(corpus_dir))


def test_search_covers_every_document_in_force_unless_narrowed(kb: Knowledge) -> None:
    def found(**kwargs: object) -> set[str]:
        return {h.provision.uid for h in kb.search(Query("designated safeguarding lead refers", **kwargs))}

    everything = found()
    assert "kcsie/2025/dsl-refers-to-social-care" in everything and "wt/2023/schools-refer" in everything
    assert not any(uid.startswith(("kcsie/2024", "wt/2018")) for uid in everything)
    assert {uid.split("/")[0] for uid in found(document="kcsie")} == {"kcsie"}
    assert {uid.split("/")[0] for uid in found(document="wt")} == {"wt"}
    assert {uid.rsplit("/", 1)[0] for uid in found(document="kcsie", edition=2024)} == {"kcsie/2024"}
    with pytest.raises(QueryError, match="unknown document 'ofsted'; known: wt, kcsie"):
        kb.search(Query("training", document="ofsted"))
    with pytest.raises(QueryError, match="unknown edition 2023; known: kcsie/2024, kcsie/2025"):
        kb.search(Query("training", document="kcsie", edition=2023))


def test_duties_list_the_document_holding_most_of_the_role_first(kb: Knowledge) -> None:
    duties = kb.duties("dsl")
    assert duties["editions"] == ["kcsie/2025", "wt/2023"]
    assert [p["document"] for p in duties["provisions"]] == ["kcsie", "kcsie", "wt"]
    assert kb.duties("la-social-care")["editions"][0] == "wt/2023"
    assert [p["document"] for p in kb.duties("dsl", document="wt")["provisions"]] == ["wt"]


def test_verdicts_name_the_document_of_their_evidence(kb: Knowledge) -> None:
    verdict = kb.statutory(
        "The designated safeguarding lead refers suspected abuse to children's social care"
    )
    assert verdict["editions"] == ["wt/2023", "kcsie/2025"]
    top = verdict["evidence"][0]
    assert (verdict["document"], verdict["edition"]) == (top["document"], top["edition"])
    assert top["citation"]["document"] == top["document"]


def test_kcsie_editions_diff_and_documents_are_not_mixed(kb: Knowledge) -> None:
    report = kb.diff("kcsie/2024", "kcsie/2025")
    assert report["from"]["label"] == "KCSIE 2024" and report["to"]["label"] == "KCSIE 2025"
    assert [c["kinds"] for c in report["changes"]] == [["moved"]]  # para 100 -> 101
    with pytest.raises(QueryError, match="compare two editions of one document"):
        kb.diff("2023", "kcsie/2025")
    with pytest.raises(QueryError, match="unknown edition 'kcsie/2019'"):
        kb.diff("kcsie/2019", "kcsie/2025")


def test_api_and_pages_carry_the_document(kb: Knowledge) -> None:
    client = TestClient(create_app(knowledge=kb))
    hits = client.get("/api/search", params={"q": "training", "document": "kcsie"}).json()
    assert hits and {h["document"] for h in hits} == {"kcsie"}
    bad = client.get("/api/search", params={"q": "training", "document": "ofsted"})
    assert bad.status_code == 400 and "known: wt, kcsie" in bad.json()["detail"]
    one = client.get("/api/provisions/kcsie/2025/dsl-training").json()
    assert one["citation"]["text"] == "KCSIE 2025, annex C, section 'Training'"
    assert client.get("/api/provisions/kcsie/2025/referral-decision").status_code == 404
    duties = client.get("/api/roles/dsl/duties").json()
    assert duties["editions"] == ["kcsie/2025", "wt/2023"]
    page = client.get("/provisions/kcsie/2025/dsl-refers-to-social-care").text
    assert 'href="/provisions/wt/2023/referral-decision"' in page  # where KCSIE sends the reader
    back = client.get("/provisions/wt/2023/referral-decision").text
    assert 'href="/provisions/kcsie/2025/dsl-refers-to-social-care"' in back  # and the way back
    search_page = client.get("/search", params={"q": "training"}).text
    assert '<option value="kcsie"' in search_page and "KCSIE 2025" in search_page


def test_cli_refuses_an_unknown_document_naming_the_known_ones(kb: Knowledge) -> None:
    env = {"WTKB_CORPUS_DIR": str(kb.settings.corpus_dir), "WTKB_INDEX_DIR": str(kb.settings.index_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "kb.cli", "duties", "--role", "dsl", "--document", "ofsted"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
    )
    assert run.returncode == 2 and "unknown document 'ofsted'; known: wt, kcsie" in run.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "kb.cli", "duties", "--role", "dsl", "--json"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
    )
    assert json.loads(listed.stdout)["editions"] == ["kcsie/2025", "wt/2023"]


def test_a_document_without_editions_is_refused_not_a_crash(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=write_corpus(tmp_path), index_dir=tmp_path / "index")
    build(settings, lambda: embedder)
    kb = Knowledge(settings, embedder)
    with pytest.raises(QueryError, match="the corpus has no edition of kcsie yet"):
        kb.duties("dsl", document="kcsie")
    with pytest.raises(QueryError, match="unknown document 'kcsie'; known: wt"):  # the index holds none
        kb.search(Query("x", document="kcsie"))
