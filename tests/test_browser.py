"""The pages in a real browser (Debian's chromium, driven by Playwright): a person's task on each page,
keyboard-only use of search and the checker, the same tasks with JavaScript off, and axe-core on every
page with no serious or critical violation. Each page's screenshot is written to WTKB_SCREENSHOTS
(`make screenshots` writes docs/screenshots/) or else to a temporary folder.

The app runs under uvicorn on a free loopback port, over the bundled corpus with an index of its own.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from api.app import create_app
from kb.handout import long_date
from kb.service import Knowledge

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads a browser here
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VENDOR = ROOT / "web" / "static" / "vendor" / "govuk-frontend.min.css"
VIEWPORT = {"width": 1280, "height": 1000}
BLOCKING = {"serious", "critical"}
VIOLATIONS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"""
VERDICTS = {
    "advice": "Advice, not statutory",
    "not_in_guidance": "Not in the guidance",
    "contradicts": "The guidance says otherwise",
}
STATEMENT = "The ICPC must be held within 10 days of the referral"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: run `make chromium`")


# ---------------------------------------------------------------- the server, the browser, a page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(real_knowledge: Knowledge) -> Iterator[str]:
    """The app served by uvicorn in a thread, on a loopback port nobody else uses."""
    assert VENDOR.exists() and AXE.exists(), "run `make setup` (npm ci and the vendored front-end files)"
    port = free_port()
    config = uvicorn.Config(
        create_app(knowledge=real_knowledge), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("WTKB_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_context(browser: Browser, javascript: bool) -> tuple[BrowserContext, Page, list[str]]:
    """A fresh context whose page records every script error, CSP refusal and failed sub-resource."""
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: m.type == "error" and "Failed to load resource" not in m.text and problems.append(m.text),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    # requests a navigation cancels (or that turn into a download) are aborted, not failed; a missing
    # file shows up as a 4xx response below
    page.on(
        "requestfailed",
        lambda r: r.failure != "net::ERR_ABORTED" and problems.append(f"{r.failure}: {r.url}"),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and r.request.resource_type != "document"
            and problems.append(f"{r.status}: {r.url}")
        ),
    )
    return context, page, problems


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context, page, problems = open_context(browser, javascript=True)
    yield page
    context.close()
    assert problems == [], "the browser reported problems (script errors, CSP refusals, missing files)"


@pytest.fixture
def nojs(browser: Browser) -> Iterator[Page]:
    context, page, problems = open_context(browser, javascript=False)
    yield page
    context.close()
    assert problems == []


def accessible(page: Page, name: str, shots: Path, focus: str | None = None) -> None:
    """Run axe-core on the page as it is now and save its screenshot; fail on a serious violation.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    govern, so the CSP the pages are served with stays on while they are checked."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(VIOLATIONS)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], f"{name}: serious accessibility violations"
    if focus:  # the screenshot starts at what the page is for
        page.locator(focus).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=shots / f"{name}.png")


def api(page: Page, base_url: str, path: str, **kwargs: Any) -> Any:
    """What the page's JSON twin says, fetched with the browser's own request context."""
    method = page.request.post if "data" in kwargs else page.request.get
    response = method(base_url + path, **kwargs)
    assert response.ok, response.text()
    return response.json()


def titles(page: Page, where: str = "#results") -> list[str]:
    return [t.strip() for t in page.locator(f"{where} .wtkb-hit__title").all_inner_texts()]


def tab_to(page: Page, check: str, most: int = 60) -> None:
    """Press Tab until the focused element passes the JavaScript test ``check`` (given ``el``)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {check}; }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {check}")


# ---------------------------------------------------------------- a person's task on each page


def test_home_search_finds_the_guidance(page: Page, base_url: str, shots: Path) -> None:
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Working Together")
    accessible(page, "home", shots)
    page.get_by_label("What do you want to know?").fill("what happens after a referral is made")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=*")
    hits = api(page, base_url, "/api/search?q=what+happens+after+a+referral+is+made")
    assert titles(page) == [h["title"] for h in hits]
    expect(page.locator(".wtkb-hit .govuk-tag").first).to_have_text(
        {"must": "Statutory duty", "should": "Statutory guidance", None: "Advice"}[hits[0]["force"]]
    )


def test_editions_page_tables_match_the_api(page: Page, base_url: str, shots: Path) -> None:
    page.goto(base_url + "/editions")
    editions = api(page, base_url, "/api/editions")
    expect(page.locator("table.govuk-table")).to_have_count(len(editions))
    expect(page.locator("tbody .govuk-table__row")).to_have_count(sum(len(e["coverage"]) for e in editions))
    accessible(page, "editions", shots)


def test_search_filters_update_the_results_in_place(page: Page, base_url: str, shots: Path) -> None:
    page.goto(base_url + "/search?q=designated+safeguarding+lead")
    page.evaluate("window.wtkbStillHere = true")  # survives only if the page is not reloaded
    page.get_by_text("Filters").click()
    page.get_by_label("Who it applies to").select_option("schools")
    page.wait_for_url("**role=schools*")
    expect(page.locator("#search-status")).to_contain_text("results")
    assert page.evaluate("window.wtkbStillHere") is True
    hits = api(page, base_url, "/api/search?q=designated+safeguarding+lead&role=schools")
    assert titles(page) == [h["title"] for h in hits]
    page.get_by_label("Statutory or advice").select_option("statutory")
    page.wait_for_url("**status=statutory*")
    expect(page.locator("#results .govuk-tag", has_text="Advice")).to_have_count(0)
    accessible(page, "search", shots, focus="#results")


def test_keyboard_only_search_from_the_home_page_to_a_provision(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    tab_to(page, "el.id === 'q'", most=5)  # the search box is the first thing in the main content
    page.keyboard.type("decision on a referral")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=decision+on+a+referral*")
    tab_to(page, "el.closest('.wtkb-hit__title') !== null")
    chosen = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    page.wait_for_url("**/provisions/**")
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen)


def test_provision_page_leads_to_other_editions_and_flowcharts(
    page: Page, base_url: str, shots: Path
) -> None:
    page.goto(base_url + "/provisions/2018/referral-decision")
    p = api(page, base_url, "/api/provisions/2018/referral-decision")
    expect(page.get_by_role("heading", level=1)).to_have_text(p["title"])
    expect(page.get_by_role("link", name=p["citation"]["text"])).to_have_attribute(
        "href", p["citation"]["url"]
    )
    accessible(page, "provision", shots)
    page.get_by_role("link", name="Action taken when a child is referred").first.click()
    expect(page.locator(":target")).to_contain_text("Step")  # lands on the step that cites it
    page.go_back()
    page.get_by_role("link", name="WT 2023:").click()
    assert page.url.endswith("/provisions/wt/2023/referral-decision")


def test_checker_gives_its_verdict_in_place(page: Page, base_url: str, shots: Path) -> None:
    page.goto(base_url + "/statutory")
    page.get_by_label("Statement to check").fill(STATEMENT)
    page.get_by_role("button", name="Check the statement").click()
    verdict = api(page, base_url, "/api/statutory", data={"statement": STATEMENT})
    expect(page.locator("#verdict-title")).to_contain_text(VERDICTS.get(verdict["verdict"], "Statutory"))
    assert page.url.endswith("/statutory")
    expect(page.locator("#verdict")).to_contain_text(verdict["explanation"])
    assert titles(page, "#verdict") == [e["title"] for e in verdict["evidence"]]
    accessible(page, "statutory", shots, focus="#verdict")


def test_keyboard_only_checker(page: Page, base_url: str) -> None:
    page.goto(base_url + "/statutory")
    tab_to(page, "el.id === 'statement'")
    page.keyboard.type("schools must refer concerns to children's social care")
    for field in ("document", "edition", "role"):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == field
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#verdict-title")).to_be_visible()
    assert page.url.endswith("/statutory")


def test_duties_for_schools_print_without_the_page_chrome(page: Page, base_url: str, shots: Path) -> None:
    page.goto(base_url + "/roles")
    page.get_by_role("link", name="Schools, colleges and other educational providers").click()
    duties = api(page, base_url, "/api/roles/schools/duties?limit=200")
    expect(page.locator(".wtkb-hit__title")).to_have_count(duties["total"])
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    accessible(page, "duties", shots)
    page.emulate_media(media="print")
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this page")).to_be_hidden()
    expect(page.locator(".wtkb-hit").first).to_be_visible()


def test_flowchart_links_its_steps_and_works_out_due_dates(page: Page, base_url: str, shots: Path) -> None:
    """The flowcharts page leads with the current edition (WT 2023): its referral chart, its provisions,
    and the README's example worked out with no edition named anywhere."""
    page.goto(base_url + "/flowcharts")
    page.get_by_role("link", name="Action taken when a child is referred").first.click()
    page.wait_for_url("**/flowcharts/referral?edition=2023")
    chart = api(page, base_url, "/api/flowcharts/referral")
    assert chart["edition"] == 2023
    expect(page.locator("svg .wtkb-flow__step")).to_have_count(len(chart["steps"]))
    expect(page.locator("ol.wtkb-steps > li")).to_have_count(len(chart["steps"]))
    expect(page.locator("#chart-note")).to_contain_text("Built from the 2023 text")
    accessible(page, "flowchart", shots, focus="svg.wtkb-flow")
    page.locator("svg a").first.click()
    page.wait_for_url("**/provisions/wt/2023/**")
    page.go_back()
    page.get_by_label("Date of step 2").fill("2023-12-22")
    page.get_by_role("button", name="Work out due dates").click()
    due = api(page, base_url, "/api/deadlines", data={"flow": "referral", "from": "2023-12-22"})
    decision = next(s for s in due["steps"] if s["step"] == "decision")
    assert (due["edition"], decision["due"]) == (2023, "2023-12-27")
    expect(page.get_by_role("row", name=decision["title"])).to_contain_text("Wednesday 27 December 2023")
    accessible(page, "flowchart-due-dates", shots, focus="#due-dates")


def test_a_derived_2023_chart_says_so_and_counts_over_a_bank_holiday(
    page: Page, base_url: str, shots: Path
) -> None:
    page.goto(base_url + "/flowcharts")
    page.get_by_role("link", name="Learning from a serious child safeguarding incident").click()
    expect(page.get_by_text("Derived from the text", exact=True)).to_be_visible()
    page.get_by_label("Date of step 1").fill("2024-05-02")
    page.get_by_role("button", name="Work out due dates").click()
    chart = api(page, base_url, "/api/flowcharts/serious-incident")
    notify = next(s for s in chart["steps"] if s["id"] == "notify-panel")
    expect(page.get_by_role("row", name=notify["title"])).to_contain_text(long_date("2024-05-10"))
    accessible(page, "flowchart-derived", shots, focus="h1")


def test_scenario_builder_runs_an_edited_scenario_and_downloads_the_handout(
    page: Page, base_url: str, shots: Path
) -> None:
    page.goto(base_url + "/scenarios")
    page.get_by_role("link", name=re.compile(r"^Ellie: from a school's referral.*\(WT 2023\)$")).click()
    expect(page.get_by_role("heading", name="Where the case drifted")).to_be_visible()
    accessible(page, "scenarios", shots)
    editor = page.get_by_label("Scenario (YAML)")
    edited = editor.input_value().replace("date: 2024-01-25", "date: 2024-01-19")  # the conference on time
    editor.fill(edited)
    page.get_by_role("button", name="Work out due dates and drift").click()
    handout = page.request.post(
        base_url + "/api/scenarios/run", data=edited, headers={"content-type": "text/yaml"}
    )
    late = [s["title"] for s in handout.json()["late"]]
    expect(page.locator("h2:has-text('Where the case drifted') + ul > li strong:first-child")).to_have_text(
        late
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the handout (HTML, to print)").click()
    assert download.value.suggested_filename.endswith(".html")
    assert "Ellie" in Path(download.value.path()).read_text(encoding="utf-8")


def test_diff_viewer_shows_the_summary_then_the_words_that_changed(
    page: Page, base_url: str, shots: Path
) -> None:
    page.goto(base_url + "/diff")
    page.get_by_label("Older edition").select_option("2018")
    page.get_by_label("Newer edition or local area").select_option("2023")
    page.get_by_label("Changes for").select_option("schools")
    page.get_by_role("button", name="Compare").click()
    report = api(page, base_url, "/api/diff?from=2018&to=2023&role=schools")
    expect(page.locator("#summary")).to_contain_text(f"{report['summary']['total']} changes")
    expect(page.locator(".wtkb-change")).to_have_count(len(report["changes"]))
    expect(page.locator(".wtkb-worddiff ins").first).to_be_visible()
    accessible(page, "diff", shots, focus="#summary")


def test_a_bad_address_gets_a_friendly_page(page: Page, base_url: str, shots: Path) -> None:
    response = page.goto(base_url + "/provisions/2018/no-such-provision")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("main")).to_contain_text("edition wt/2018 has no provision 'no-such-provision'")
    accessible(page, "error", shots)


# ---------------------------------------------------------------- with JavaScript off


def test_search_checker_and_calculator_work_without_javascript(nojs: Page, base_url: str) -> None:
    page = nojs
    page.goto(base_url + "/search?q=section+47+enquiries")
    page.get_by_text("Filters").click()
    page.get_by_label("Statutory or advice").select_option("statutory")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**status=statutory*")
    hits = api(page, base_url, "/api/search?q=section+47+enquiries&status=statutory")
    assert titles(page) == [h["title"] for h in hits]

    page.goto(base_url + "/statutory")
    page.get_by_label("Statement to check").fill(STATEMENT)
    page.get_by_role("button", name="Check the statement").click()
    expect(page.locator("#verdict-title")).to_be_visible()

    page.goto(base_url + "/flowcharts/child-protection-conference")  # the current edition's
    page.get_by_label("Date of step 1").fill("2024-01-26")
    page.get_by_role("button", name="Work out due dates").click()
    expect(page.locator("#due-dates")).to_be_visible()
