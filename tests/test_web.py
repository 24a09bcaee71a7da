"""The pages, through the app: each shows what its JSON twin says, escapes what people type, and answers
bad input with a friendly HTML page (never the API's JSON) that carries the library's message."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.embed import Embedder
from kb.handout import long_date, render
from kb.index import build
from kb.scenario import run_scenario
from kb.service import Knowledge
from kb.settings import Settings
from tests.conftest import write_corpus

SCENARIO = """\
title: A referral on the last Friday before Christmas
edition: 2023
flow: referral
child: {name: Sam Example, age: 7, needs: Fictional child for the tests}
agencies:
  - {name: Riverside School, role: dsl}
events:
  - {step: referral-received, date: 2023-12-22, who: Riverside School}
  - {step: decision, date: 2023-12-28}
"""
# One reworded provision, so that 2018 -> 2023 has a word diff to show.
OLD_TEXT = (
    "The local authority decides what response a referral needs within one working day of receiving it."
)
NEW_TEXT = "The local authority social worker decides what response a referral needs within one working day."
PAGES = [
    "/",
    "/editions",
    "/search",
    "/search?q=section+47",
    "/provisions/2023/referral-decision",
    "/statutory",
    "/statutory?statement=the+local+authority+must+make+enquiries",
    "/roles",
    "/roles/schools/duties",
    "/flowcharts",
    "/flowcharts/referral?edition=2023",
    "/scenarios",
    "/scenarios?name=friday-referral",
    "/diff",
    "/diff?from=2018&to=2023",
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Knowledge:
    root = tmp_path_factory.mktemp("web")
    corpus = write_corpus(root, years=(2018, 2023))
    path = corpus / "wt" / "2023" / "statutory" / "03-help.md"
    path.write_text(path.read_text().replace(OLD_TEXT, NEW_TEXT))
    (root / "scenarios").mkdir()
    (root / "scenarios" / "friday-referral.yaml").write_text(SCENARIO)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", scenarios_dir=root / "scenarios")
    build(settings, lambda: embedder)
    return Knowledge(settings, embedder)


@pytest.fixture(scope="module")
def client(kb: Knowledge) -> TestClient:
    return TestClient(create_app(knowledge=kb))


def twin_of(html: str) -> str:
    """The JSON twin a page links to."""
    return (
        re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', html)
        .group(1)
        .replace("&amp;", "&")
    )


def headings(html: str, level: str = "h3") -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(rf"<{level}[^>]*>(.*?)</{level}>", html, re.S)
    ]


# ---------------------------------------------------------------- what every page has


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_the_chrome_a_person_relies_on(client: TestClient, url: str) -> None:
    response = client.get(url)
    html = response.text
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'class="govuk-skip-link"' in html and 'id="main-content"' in html
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert "Not legal advice" in html and "This page as data" in html
    assert "HX-Request" in response.headers["vary"]


@pytest.mark.parametrize("url", PAGES)
def test_no_inline_script_or_style_that_the_csp_would_block(client: TestClient, url: str) -> None:
    html = client.get(url).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


@pytest.mark.parametrize(
    "url",
    ["/search?q=referral", "/provisions/2023/section-47-enquiry", "/roles/schools/duties", "/flowcharts"],
)
def test_the_json_twin_link_answers(client: TestClient, url: str) -> None:
    twin = twin_of(client.get(url).text)
    assert twin.startswith("/api/") and client.get(twin).status_code == 200


# ---------------------------------------------------------------- home and search


def test_home_has_a_search_box_and_the_current_edition(client: TestClient) -> None:
    html = client.get("/").text
    assert 'role="search"' in html and 'name="q"' in html and 'action="/search"' in html
    assert "Test edition 2023" in html and "https://example.org/wt2023" in html
    assert twin_of(html) == "/api/editions"


def test_editions_page_has_a_coverage_table_per_edition_as_its_twin_says(client: TestClient) -> None:
    html = client.get("/editions").text
    assert twin_of(html) == "/api/editions" and 'href="/editions"' in client.get("/").text
    for edition in client.get("/api/editions").json():
        [chapter] = edition["coverage"]
        caption = f"Paragraphs printed and cited, {edition['edition']} edition</caption>"
        table = html.split(caption, 1)[1].split("</table>", 1)[0]
        cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", table)
        assert cells[-6:] == [
            "Chapter 3: Providing help",
            chapter["printed"],
            "4",
            "4",
            str(chapter["cited"]),
            f"{chapter['covered']} of {chapter['total']} (80%)",
        ]
    assert html.index("Test edition 2023") < html.index("Test edition 2018")  # newest first


def test_an_old_search_link_to_the_home_page_still_searches(client: TestClient) -> None:
    response = client.get("/", params={"q": "section 47 enquiries"})
    assert response.url.path == "/search" and "Enquiries under section 47" in response.text


def test_search_results_are_the_apis_with_badges_and_citations(client: TestClient) -> None:
    params = {"q": "referral decision", "status": "statutory", "edition": ""}
    html = client.get("/search", params=params).text
    api = client.get("/api/search", params={"q": "referral decision", "status": "statutory"}).json()
    assert headings(html) == [h["title"] for h in api]
    assert twin_of(html) == "/api/search?q=referral+decision&status=statutory"
    for h in api:
        assert h["citation"]["text"] in html
    badges = {"must": "Statutory duty", "should": "Statutory guidance"}
    shown = re.findall(r'<strong class="govuk-tag [^"]*">([^<]+)</strong>', html)
    assert shown == [badges[h["force"]] for h in api]


def test_filters_narrow_the_results_like_the_api(client: TestClient) -> None:
    html = client.get("/search", params={"q": "concerns", "role": "schools", "chapter": "3"}).text
    api = client.get("/api/search", params={"q": "concerns", "role": "schools", "chapter": "3"}).json()
    assert headings(html) == [h["title"] for h in api] == ["Schools refer concerns"]
    assert '<option value="schools" selected>' in html


def test_what_a_person_types_is_escaped(client: TestClient) -> None:
    html = client.get("/search", params={"q": '<script>alert("x")</script>'}).text
    assert '<script>alert("x")' not in html and "&lt;script&gt;alert(" in html


def test_htmx_gets_only_the_results_and_a_status_message(client: TestClient) -> None:
    response = client.get("/search", params={"q": "section 47"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text and "<h1" not in response.text
    assert 'id="search-status" hx-swap-oob="innerHTML"' in response.text
    assert "Enquiries under section 47" in response.text
    restore = client.get(
        "/search", params={"q": "x"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text  # going back in history needs the whole page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "referral", "edition": "1999"}, "unknown edition 1999"),
        ({"q": "referral", "role": "wizard"}, "unknown role &#39;wizard&#39;"),
        ({"q": "  "}, "the query is empty"),
        ({"q": "x" * 600}, "the limit is 500"),
    ],
)
def test_a_bad_search_shows_the_problem_beside_the_form(
    client: TestClient, params: dict, message: str
) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "govuk-error-summary" in response.text and message in response.text


# ---------------------------------------------------------------- friendly error pages


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/provisions/2023/no-such-key", 404, "edition wt/2023 has no provision &#39;no-such-key&#39;"),
        ("/provisions/1999/referral-decision", 404, "unknown edition wt/1999"),
        ("/provisions/wt/2023/no-such-key", 404, "edition wt/2023 has no provision &#39;no-such-key&#39;"),
        (
            "/provisions/nosuch/2023/referral-decision",
            404,
            "unknown document &#39;nosuch&#39;; known: wt, kcsie",
        ),
        ("/provisions/twenty/referral-decision", 422, "edition (path): Input should be a valid integer"),
        ("/provisions/2023/Not_A_Key", 422, "key (path): String should match pattern"),
        ("/roles/wizard/duties", 404, "unknown role &#39;wizard&#39;"),
        ("/roles/schools/duties?edition=1999", 400, "unknown edition 1999"),
        (
            "/flowcharts/no-such-chart?edition=2023",
            400,
            "edition 2023 has no flowchart &#39;no-such-chart&#39;",
        ),
        ("/scenarios?name=../../etc/passwd", 404, "there is no shipped scenario"),
        ("/no-such-page", 404, "There is no page at this address"),
    ],
)
def test_bad_addresses_get_a_friendly_page_with_the_message(
    client: TestClient, url: str, status: int, message: str
) -> None:
    response = client.get(url)
    assert response.status_code == status and response.headers["content-type"].startswith("text/html")
    assert message in response.text and "start again from the home page" in response.text


def test_the_api_still_answers_its_errors_in_json(client: TestClient) -> None:
    response = client.get("/api/no-such-route")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


# ---------------------------------------------------------------- provision


def test_provision_page_shows_everything_about_it(client: TestClient) -> None:
    html = client.get("/provisions/2023/referral-decision").text
    api = client.get("/api/provisions/2023/referral-decision").json()
    for fact in (
        api["text"],
        api["basis"],
        api["citation"]["text"],
        "within 1 working day from referral-received",
    ):
        assert fact in html
    assert "Statutory guidance" in html and "Local authority children&#39;s social care" in html
    assert 'href="/provisions/wt/2018/referral-decision"' in html  # the same provision in the other edition
    assert client.get("/provisions/wt/2023/referral-decision").text == html  # the address with the document
    assert 'href="/flowcharts/referral?edition=2023#step-referral-received"' in html  # the steps that cite it
    assert 'href="/flowcharts/referral?edition=2023#step-decision"' in html


# ---------------------------------------------------------------- is this statutory?


STATEMENT = "the local authority must make enquiries where it suspects significant harm"


def test_the_checker_shows_the_apis_verdict_and_evidence(client: TestClient) -> None:
    api = client.get("/api/statutory", params={"statement": STATEMENT}).json()
    html = client.post("/statutory", data={"statement": STATEMENT}).text
    assert api["explanation"].replace("'", "&#39;") in html
    assert headings(html)[: len(api["evidence"])] == [e["title"] for e in api["evidence"]]
    assert f"wtkb-verdict--{api['verdict']}" in html
    linked = client.get("/statutory", params={"statement": STATEMENT}).text
    assert api["explanation"].replace("'", "&#39;") in linked and twin_of(linked).startswith(
        "/api/statutory?"
    )


def test_the_checker_asks_for_a_statement_beside_the_field(client: TestClient) -> None:
    response = client.post("/statutory", data={"statement": "  "})
    assert response.status_code == 400 and "Enter a statement to check" in response.text
    assert 'href="#statement"' in response.text and "govuk-textarea--error" in response.text


def test_htmx_gets_only_the_verdict(client: TestClient) -> None:
    response = client.post("/statutory", data={"statement": STATEMENT}, headers={"HX-Request": "true"})
    assert "<h1" not in response.text and 'id="verdict-title"' in response.text


# ---------------------------------------------------------------- duties


def test_roles_list_schools_first(client: TestClient) -> None:
    html = client.get("/roles").text
    links = re.findall(r'href="/roles/([a-z-]+)/duties"', html)
    assert links[:2] == ["schools", "dsl"] and set(links) == {
        "schools",
        "dsl",
        "all-practitioners",
        "la-social-care",
        "police",
    }


def test_duties_page_lists_the_role_and_its_narrower_roles(client: TestClient) -> None:
    html = client.get("/roles/schools/duties").text
    assert "Schools refer concerns" in html and "Designated safeguarding leads" in html
    assert "Talking to the family" not in html
    general = client.get("/roles/schools/duties", params={"include_general": "true"}).text
    assert "Talking to the family" in general
    assert "data-print" in html  # the print button (shown only with JavaScript)


# ---------------------------------------------------------------- flowcharts


def test_flowcharts_are_listed_by_edition(client: TestClient) -> None:
    html = client.get("/flowcharts").text
    assert (
        'href="/flowcharts/referral?edition=2023"' in html
        and 'href="/flowcharts/referral?edition=2018"' in html
    )


def test_flowchart_is_drawn_and_listed_with_links_to_provisions(client: TestClient) -> None:
    html = client.get("/flowcharts/referral", params={"edition": "2023"}).text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count('class="wtkb-flow__step"') == 2 and svg.count('<path class="wtkb-flow__edge"') == 1
    assert '<a href="/provisions/wt/2023/referral-decision"' in svg  # the link names its document
    links = set(re.findall(r'href="(/provisions/[^"#]+)"', html))
    assert links and all(client.get(link).status_code == 200 for link in links)
    assert "Within 1 working day of step 1" in " ".join(re.sub(r"<[^>]+>", " ", svg).split())
    assert 'id="step-referral-received"' in html and 'id="step-decision"' in html
    assert "within 1 working day of step 1 (Referral received)" in html


def test_the_calculator_shows_the_apis_due_dates(client: TestClient) -> None:
    case = {"from": "2023-12-22", "actual.decision": "2023-12-28"}
    response = client.post("/flowcharts/referral/due?edition=2023", data=case)
    api = client.post(
        "/api/deadlines",
        json={
            "flow": "referral",
            "from": "2023-12-22",
            "edition": 2023,
            "actual": {"decision": "2023-12-28"},
        },
    ).json()
    decision = api["steps"][1]
    assert response.status_code == 200 and long_date(decision["due"]) in response.text
    assert f"{decision['drift_working_days']} working day late" in response.text
    assert 'value="2023-12-28"' in response.text  # the form keeps what was typed


@pytest.mark.parametrize(
    ("data", "message", "field"),
    [
        ({}, "Enter the date of step 1", "from"),
        ({"from": "2023-02-30"}, "The date of step 1: enter a real date", "from"),
        (
            {"from": "2023-12-22", "actual.decision": "soon"},
            "The date step 2 happened: enter a real date",
            "actual.decision",
        ),
        ({"from": "1900-01-01"}, "date 1900-01-01 is outside 1990-2100", "from"),
    ],
)
def test_the_calculator_explains_a_bad_date(client: TestClient, data: dict, message: str, field: str) -> None:
    response = client.post("/flowcharts/referral/due?edition=2023", data=data)
    assert response.status_code == 400 and message in response.text
    assert f'href="#{field}"' in response.text


# ---------------------------------------------------------------- scenarios


def test_a_shipped_scenario_opens_with_due_dates_and_drift(client: TestClient) -> None:
    html = client.get("/scenarios", params={"name": "friday-referral"}).text
    assert "A referral on the last Friday before Christmas" in html
    assert "Wednesday 27 December 2023" in html and "1 working day late" in html
    assert "Christmas Day" in html  # the bank holidays the count skipped
    assert "title: A referral on the last Friday" in html  # in the editor, to change and re-run


def test_an_edited_scenario_reports_its_problems_by_line(client: TestClient) -> None:
    broken = SCENARIO.replace("date: 2023-12-28", "date: 2023-12-32")
    response = client.post("/scenarios", data={"scenario": broken})
    assert response.status_code == 422 and "scenario:9:" in response.text
    assert "2023-12-32" in response.text  # the text stays in the editor to be fixed


def test_an_uploaded_scenario_runs(client: TestClient) -> None:
    upload = {"upload": ("friday.yaml", SCENARIO.encode(), "application/yaml")}
    response = client.post("/scenarios", data={"scenario": ""}, files=upload)
    assert response.status_code == 200 and "1 working day late" in response.text
    bad = client.post(
        "/scenarios", data={"scenario": ""}, files={"upload": ("x.yaml", b"\xff\xfe", "text/plain")}
    )
    assert bad.status_code == 400 and "not UTF-8 text" in bad.text


def test_the_handout_downloads_as_the_cli_writes_it(client: TestClient, kb: Knowledge) -> None:
    response = client.post("/scenarios/handout", data={"scenario": SCENARIO, "format": "md"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="a-referral-on-the-last-friday-before-christmas.md"'
    )
    assert response.text == render(run_scenario(kb, SCENARIO, "scenario"), "md")
    html = client.post("/scenarios/handout", data={"scenario": SCENARIO, "format": "html"})
    assert (
        html.headers["content-type"].startswith("text/html")
        and "default-src 'none'" in html.headers["content-security-policy"]
    )


# ---------------------------------------------------------------- diff


def test_the_diff_shows_summary_then_word_level_changes(client: TestClient) -> None:
    html = client.get("/diff", params={"from": "2018", "to": "2023"}).text
    api = client.get("/api/diff", params={"from": "2018", "to": "2023"}).json()
    assert api["summary"]["by_kind"]["reworded"] == 1
    assert html.index("Changes by kind") < html.index("The changes")
    assert '<del><span class="govuk-visually-hidden">[removed: </span>of receiving it.<' in html
    assert '<ins><span class="govuk-visually-hidden">[added: </span>social worker<' in html
    assert twin_of(html) == "/api/diff?from=2018&to=2023"


def test_a_diff_the_wrong_way_round_says_so(client: TestClient) -> None:
    response = client.get("/diff", params={"from": "2023", "to": "2018"})
    assert response.status_code == 400 and "put the older edition first" in response.text


def test_without_an_index_pages_say_what_to_run(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> None:
    root = tmp_path_factory.mktemp("no-index")
    settings = Settings(corpus_dir=write_corpus(root), index_dir=root / "none")
    client = TestClient(create_app(knowledge=Knowledge(settings, embedder)))
    assert client.get("/").status_code == 200  # the corpus alone is enough for the home page
    response = client.get("/search", params={"q": "referral"})
    assert response.status_code == 503 and "wtkb build" in response.text
    assert response.headers["content-type"].startswith("text/html")
