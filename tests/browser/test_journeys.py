"""The users' journeys end to end in a real browser, on one live app with a generated authority.

The journeys run in order and share the app: the admin imports the authority's files, the
practice manager sets up an audit, the auditors complete it, the manager moderates it and the
QA lead writes the self-evaluation from it. Each test names the journey a user would recognise
and saves a screenshot of every page it passes through (``test-output/screenshots``); with
FRONTDOOR_GUIDE_SHOTS=docs/images it also refreshes the pictures of ``docs/guide.md``.
"""

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from sqlmodel import SQLModel

from audit_app import create_app
from audit_app.db import session_scope
from audit_app.models import UserCreate
from audit_app.seeding import load_teams
from audit_app.users import create_user
from seed_cases.annex_a import write_annex_a
from seed_cases.cin_census import write_cin_census
from seed_cases.generator import generate
from tests.browser.conftest import LiveServer, axe_violations, login
from tests.conftest import PASSWORD

CHILDREN, SEED = 300, 10
PERIOD = ("2025-10-01", "2026-09-30")
USERS = (  # username, role, display name
    ("admin", "admin", "Ade Admin"),
    ("pm", "practice_manager", "Priya Manager"),
    ("qa.lead", "qa_lead", "Quinn Lead"),
    ("auditor", "auditor", "Alex Auditor"),
    ("auditor2", "auditor", "Sam Second"),
    ("viewer", "viewer", "Vic Viewer"),
)
ANSWER_PREFERENCE = ("yes", "good", "met")


@dataclass
class World:
    url: str
    annex_a: Path
    cin_census: Path
    state: dict = field(default_factory=dict)

    def need(self, key: str):
        if key not in self.state:
            pytest.skip(f"an earlier journey did not get as far as {key!r}")
        return self.state[key]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journeys")
    authority = generate(CHILDREN, SEED)
    annex_a = write_annex_a(authority, folder / "northmoor-annex-a.xlsx")
    cin = write_cin_census(authority, folder / "northmoor-cin-census.xml")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
            "SECRET_KEY": "browser-journeys",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    engine = app.extensions["frontdoor_engine"]
    SQLModel.metadata.create_all(engine)
    load_teams(authority.teams, engine=engine)
    with session_scope(app) as session:
        for username, role, name in USERS:
            create_user(
                UserCreate(username=username, password=PASSWORD, roles=[role], display_name=name),
                session=session,
                check_password=False,
            )
    server = LiveServer(app)
    yield World(server.url, annex_a, cin)
    server.stop()
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# Helpers a journey uses


def frame_size(page) -> int:
    return int(page.locator("#audits-frame-size").inner_text().replace(",", ""))


def wait_for_frame_change(page, before: int) -> int:
    page.wait_for_function(
        "n => document.querySelector('#audits-frame-size') && "
        "document.querySelector('#audits-frame-size').textContent.replace(/,/g, '') != String(n)",
        arg=before,
    )
    return frame_size(page)


def answer_everything(page, *, text: str = "Seen in the case notes.") -> int:
    """Answer every question on the auditor's form (with the mouse); returns the choices made."""
    answered = 0
    for question in page.locator("#case-form .fda-question").all():
        radios = question.locator("input[type=radio]")
        if radios.count():
            values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
            choice = next((v for v in ANSWER_PREFERENCE if v in values), values[0])
            question.locator(f"input[type=radio][value='{choice}']").check()
            answered += 1
        elif (
            question.locator("textarea.govuk-textarea").count()
            and not question.locator("details").count()
        ):
            question.locator("textarea").first.fill(text)
    page.locator("h1").click()  # leave the last field, so that its change is saved too
    return answered


def case_links(page) -> list[str]:
    return [a.get_attribute("href") for a in page.locator("#audits-mine a.govuk-link").all()]


def focus_is_visible(page) -> bool:
    """The focused element shows GOV.UK's focus state: outline, box-shadow or yellow fill.

    Radios and checkboxes show it on their label's ``::before`` box (the drawn control).
    """
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el || el === document.body) return false;
        const s = getComputedStyle(el);
        const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        const shadow = s.boxShadow && s.boxShadow !== 'none';
        const yellow = s.backgroundColor === 'rgb(255, 221, 0)';
        const box = el.labels && el.labels[0] ? getComputedStyle(el.labels[0], '::before') : null;
        const ring = box && box.boxShadow && box.boxShadow !== 'none';
        return outline || shadow || yellow || !!ring;
    }""")


# ---------------------------------------------------------------------------------------------
# The journeys


def test_1_admin_uploads_an_annex_a_workbook_sees_the_report_imports_and_finds_it_in_history(
    world, new_page, shots
):
    page = new_page()
    page.goto(world.url + "/")
    shots(page, "login", guide="login")
    login(page, world.url, "admin")
    shots(page, "home-empty")
    page.get_by_role("link", name="Import data").first.click()
    assert page.locator("h1").inner_text() == "Import data"
    shots(page, "import-page")

    # First a dry run: the validation report, with nothing loaded.
    page.set_input_files("#file", str(world.annex_a))
    page.check("#dry_run")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    page.locator("#imports-lists").wait_for(timeout=30_000)
    assert "Dry run" in page.locator("#imports-status").inner_text()
    lists = page.locator("#imports-lists").inner_text()
    assert "List 1" in lists or "list_1" in lists.lower() or "1:" in lists
    shots(page, "validation-report", guide="admin-validation-report")

    # Then the real import.
    page.get_by_role("link", name="Import data").first.click()
    page.set_input_files("#file", str(world.annex_a))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    page.locator("#imports-lists").wait_for(timeout=30_000)
    status = page.locator("#imports-status").inner_text()
    assert "Loaded" in status or "Committed" in status or "committed" in status.lower(), status
    shots(page, "imported", guide="admin-imported")

    page.get_by_role("link", name="Import history").click()
    page.wait_for_url(re.compile(r"/imports/history"))
    rows = page.locator("#imports-history tbody tr")
    rows.nth(1).wait_for()  # the page has loaded its two rows (a click does not wait for it)
    assert rows.count() == 2
    assert world.annex_a.name in rows.first.inner_text()
    assert (
        int(rows.first.locator("td").nth(3).inner_text().replace(",", "")) > 0
    )  # children and events added
    shots(page, "history", guide="admin-history")

    # The CIN census, so that the assessment factors the themes need exist.
    page.get_by_role("link", name="Import data").first.click()
    page.set_input_files("#file", str(world.cin_census))
    page.get_by_role("button", name="Import").click()
    page.locator("#imports-lists").wait_for(timeout=30_000)
    shots(page, "cin-imported")
    page.goto(world.url + "/")
    children = int(
        page.locator("#home-counts tbody tr").first.locator("td").inner_text().replace(",", "")
    )
    assert children >= CHILDREN * 0.5
    shots(page, "home-with-data", guide="home")
    assert page.console_errors == []
    world.state["imported"] = True


def test_2_practice_manager_creates_a_domestic_abuse_audit_draws_a_stratified_sample_and_assigns_it(
    world, new_page, shots
):
    world.need("imported")
    page = new_page()
    login(page, world.url, "pm")
    page.get_by_role("link", name="Audits").first.click()
    shots(page, "audits-empty")
    page.get_by_role("button", name="New audit").click()
    everyone = frame_size(page)
    assert everyone > 0
    shots(page, "new-audit-general")

    page.select_option("#theme-choice", "domestic_abuse")
    page.get_by_role("button", name="Use this theme's rules").click()
    page.wait_for_load_state("networkidle")
    themed = frame_size(page)
    assert 0 < themed < everyone, "the domestic abuse factors narrow the frame"
    assert page.locator("#audits-frame-no-factors").count() == 0, "the CIN census gave the factors"
    assert page.locator("input[name=rule_factors][value='3A']").is_checked()

    page.fill("#title", "Domestic abuse referrals, winter review")
    page.fill("#due_date", "2027-03-31")
    page.fill("#period_start", PERIOD[0])
    page.fill("#period_end", PERIOD[1])
    page.select_option("#rule_event-kind", "referral")
    page.fill("#rule_from", PERIOD[0])
    page.fill("#rule_to", PERIOD[1])
    page.locator("#rule_to").dispatch_event("change")
    in_period = wait_for_frame_change(page, themed)
    assert 0 < in_period < themed, "a referral in the period narrows it again"
    page.locator("#rule_to").blur()
    shots(page, "new-audit-frame", guide="pm-new-audit", clip_to="#audits-setup-form")

    page.get_by_role("button", name="Create audit").click()
    page.wait_for_url(re.compile(r"/audits/\d+$"))
    assert "created" in page.locator(".govuk-notification-banner").first.inner_text()
    shots(page, "audit-created")

    # Stratified by team, in proportion.
    page.check("#method-stratified")
    page.select_option("#by", "team")
    page.fill("#n", "8")
    page.fill("#reserves", "2")
    page.fill("#seed", "4242")
    page.get_by_role("button", name="Draw the sample").click()
    page.wait_for_url(re.compile(r"/audits/\d+#audit-cases$"))
    assert "Stratified" in page.locator("#audit-draw-facts").inner_text()
    sampled = page.locator("#audit-case-rows tbody tr").filter(
        has=page.locator("select[name^=auditor-]")
    )
    assert sampled.count() == 8
    shots(page, "sample-drawn", guide="pm-sample", clip_to="#audit-draw")

    # Share the cases between the two auditors.
    page.get_by_label("Alex Auditor").check()
    page.get_by_label("Sam Second").check()
    page.get_by_role("button", name="Share by load").click()
    page.wait_for_url(re.compile(r"#audit-cases$"))
    table = page.locator("#audit-case-rows").inner_text()
    selects = page.locator("#audit-case-rows select[name^=auditor-]")
    chosen = [s.evaluate("s => s.options[s.selectedIndex].text") for s in selects.all()]
    assert chosen.count("Alex Auditor") == 4 and chosen.count("Sam Second") == 4, (chosen, table)
    shots(page, "assigned", guide="pm-assigned", clip_to="#audit-cases")
    world.state["audit_url"] = page.url.split("#")[0]

    page.get_by_role("link", name="Audits").first.click()
    assert "0 of 8" in page.locator("#audits-progress").inner_text()
    shots(page, "audit-progress", guide="pm-audits")
    assert page.console_errors == []


def test_3_auditor_sees_a_breach_autosaves_answers_submits_raises_action_and_escalation(
    world, new_page, shots
):
    world.need("audit_url")
    page = new_page()
    login(page, world.url, "auditor")
    page.get_by_role("link", name="Audits").first.click()
    assert page.locator("h1").inner_text() == "My audits"
    links = case_links(page)
    assert len(links) == 4
    shots(page, "my-audits", guide="auditor-my-audits")

    # The first of my children whose journey shows a timeliness breach.
    for href in links:
        page.goto(world.url + href)
        if page.locator("#case-journey .fda-finding--late").count():
            break
    else:
        pytest.fail("none of the auditor's four children has a timeliness breach marked")
    world.state["auditor_cases"] = [h for h in links if h != href]
    breach = page.locator("#case-journey .fda-finding--late").first.inner_text()
    assert "Late" in breach or "Overdue" in breach
    assert page.locator("#case-timeline svg").count() == 1
    assert page.locator("#case-timeline svg title, #case-timeline svg [aria-label]").count() > 0, (
        "the timeline has a text alternative"
    )
    shots(page, "case-page", guide="auditor-case-page")

    # The child's journey page: the timeline, the breach marked in words, not colour alone.
    child_ref = page.locator("h1").inner_text().rsplit(" ", 1)[1]
    page.goto(f"{world.url}/cases/{child_ref}")
    assert "late or overdue" in page.locator("#case-journey .fda-glance").inner_text()
    assert page.locator("#case-journey tr.fda-row--late").count() > 0
    assert page.locator("#case-journey figure svg").count() == 1
    shots(page, "journey-page", guide="journey-page", clip_to="#case-journey", height=1100)
    page.go_back()

    # Autosave: one answer shows "Saved at …".
    first = (
        page.locator("#case-form .fda-question").filter(has=page.locator("input[type=radio]")).first
    )
    key = first.get_attribute("id").removeprefix("question-")
    first.locator("input[type=radio]").first.check()
    page.locator(f"#answer-status-{key} .fda-saved").wait_for()
    assert page.locator(f"#answer-status-{key}").inner_text().startswith("Saved at")
    shots(page, "autosaved")

    answered = answer_everything(page)
    assert answered > 20
    page.wait_for_load_state("networkidle")
    page.reload()
    kept = page.locator("#case-form input[type=radio]:checked").count()
    assert kept == answered, f"{kept} answers kept after a reload of {answered}"
    comment = (
        page.locator("#case-form .fda-question")
        .filter(has_not=page.locator("details"))
        .locator("textarea")
    )
    assert comment.first.input_value() == "Seen in the case notes.", (
        "a free-text answer is kept too"
    )
    assert page.locator("#case-form .fda-saved").count() >= kept
    shots(page, "answers-kept")

    page.get_by_role("button", name="Submit audit").click()
    page.wait_for_url(re.compile(r"submitted=1"))
    assert "Audit submitted" in page.locator(".govuk-notification-banner").inner_text()
    assert "Submitted" in page.locator("#case-status").inner_text()
    shots(page, "submitted", guide="auditor-submitted")

    page.get_by_text("Add an action").click()
    page.fill(
        "#action_description", "Hold a strategy discussion about the domestic abuse incidents"
    )
    page.fill("#action_owner", "Team manager, Westerdale")
    page.fill("#action_due_date", "31/01/2027")
    page.get_by_role("button", name="Add action").click()
    assert "strategy discussion" in page.locator(".fda-action-list").inner_text()
    shots(page, "action-added")

    page.get_by_text("I have an immediate concern about this child's safety").first.click()
    page.check("#escalation_concern")
    page.fill(
        "#escalation_note",
        "Police report of an incident last week is not on the file; nobody has seen the child.",
    )
    page.get_by_role("button", name="Escalate now").click()
    assert "Safeguarding concern raised" in page.locator("#case-escalation").inner_text()
    shots(page, "escalated", guide="auditor-escalated", clip_to="#case-escalation")
    world.state["submitted_case"] = href
    assert page.console_errors == []


def test_4_practice_manager_acknowledges_the_escalation_and_moderates_the_audit_blind(
    world, new_page, shots
):
    case_href = world.need("submitted_case")
    page = new_page()
    login(page, world.url, "pm")
    alerts = page.locator("#escalation-alerts")
    assert "1 concern" in alerts.inner_text()
    shots(page, "home-alert", guide="pm-escalation-alert")
    alerts.get_by_role("link").first.click()
    assert "Police report" in page.locator("#escalation-details").inner_text()
    page.fill(
        "#action_taken",
        "Spoke to the duty team manager at 10:15; strategy discussion arranged for today.",
    )
    page.get_by_role("button", name="Acknowledge").click()
    assert "Acknowledged" in page.locator("#escalation-details").inner_text()
    shots(page, "escalation-acknowledged", guide="pm-escalation")
    page.goto(world.url + "/")
    assert page.locator("#escalation-alerts").count() == 0

    page.goto(world.url + "/audits/moderation")
    case_id = case_href.rstrip("/").rsplit("/", 1)[1]
    page.check(f"#case_ids-{case_id}")
    page.get_by_role("button", name="Moderate these").click()
    shots(page, "moderation-home")
    page.locator("#moderation-pending").get_by_role(
        "link", name=re.compile(f"Moderate.*case {case_id}")
    ).click()
    assert "hidden until" in page.locator(".govuk-inset-text").first.inner_text()
    assert page.locator("#moderation-compare").count() == 0, "the auditor's grades stay hidden"
    shots(page, "moderation-blind", guide="pm-moderation-blind")
    for group in page.locator("form fieldset").all():
        radios = group.locator("input[type=radio]")
        values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        choice = next((v for v in ANSWER_PREFERENCE if v in values), values[0])
        group.locator(f"input[value='{choice}']").check()
    page.get_by_role("button", name="Submit moderation grades").click()
    page.locator("#moderation-compare").wait_for()  # is_visible() would not wait for the page
    shots(page, "moderation-compare")
    page.check("#agreement")
    page.fill("#agreement_note", "Agree with the auditor's grading.")
    page.get_by_role("button", name="Record").click()
    shots(page, "moderation-recorded")
    page.goto(world.url + "/audits/moderation")
    assert "Agreed" in page.locator("#moderation-pending").inner_text()
    assert page.console_errors == []
    world.state["moderated"] = True


def test_5_qa_lead_sees_the_audit_in_sections_5_and_8_writes_section_1_and_downloads_word_and_excel(
    world, new_page, shots
):
    world.need("moderated")
    page = new_page()
    login(page, world.url, "qa.lead")
    page.get_by_role("link", name="Self-evaluation").first.click()
    shots(page, "sef")
    page.check("#scope-include")
    page.fill("#scope-from", PERIOD[0])
    page.fill("#scope-to", "2027-12-31")
    page.get_by_role("button", name="Refresh sections 5 and 8 from data").click()
    page.wait_for_load_state("networkidle")
    section5 = page.locator("#sef-section5-data").inner_text()
    assert "Domestic abuse referrals, winter review" in section5
    assert re.search(r"Cases audited \(counted here\)\s+1\b", section5), section5[:400]
    assert (
        "(1 cases)" in page.locator("#sef-section8a-data").inner_text()
        or "1 case" in page.locator("#sef-section8a-data").inner_text()
    )
    shots(page, "sef-refreshed", guide="qa-sef-rollup", clip_to="#sef-section5-data")

    text = "Our front door is a single MASH with police, health and education co-located."
    page.fill("#sef-text-1", text)
    page.locator("#sef-section-1").get_by_role("button").click()
    page.locator("#sef-section-1 .fda-sef-saved").wait_for()
    assert "Version 1" in page.locator("#sef-section-1").inner_text()
    page.reload()
    assert page.locator("#sef-text-1").input_value() == text
    shots(page, "sef-section-1", guide="qa-sef-section-1", clip_to="#sef-section-1")

    with page.expect_download() as got:
        page.get_by_role("link", name="Word document (.docx)").click()
    document = Document(io.BytesIO(Path(got.value.path()).read_bytes()))
    words = "\n".join(p.text for p in document.paragraphs)
    assert text in words
    assert "Self-Evaluation" in words or "self-evaluation" in words.lower()
    with page.expect_download() as got:
        page.get_by_role("link", name="Evidence tables (.xlsx)").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()), read_only=True)
    assert len(book.sheetnames) >= 2
    cells = " ".join(
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
    assert "Domestic abuse" in cells or "domestic" in cells.lower()
    assert page.console_errors == []


def test_6_keyboard_only_the_auditor_completes_and_submits_the_form(world, new_page, shots):
    remaining = world.need("auditor_cases")
    page = new_page()
    page.goto(world.url + "/auth/login")
    # Sign in by keyboard too: the skip link first, then the fields.
    page.keyboard.press("Tab")
    assert focus_is_visible(page), "the skip link shows focus"
    page.focus("#username")
    page.keyboard.type("auditor")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(world.url + "/")
    page.goto(world.url + remaining[0])
    shots(page, "keyboard-start")

    # An incomplete submission first: the error summary takes focus and links to the questions.
    page.locator("#case-form button[value=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')"), (
        "the error summary is focused"
    )
    first_link = summary.locator("a").first
    target = first_link.get_attribute("href")
    assert target.startswith("#") and page.locator(target).count() == 1
    shots(page, "error-summary", guide="auditor-error-summary")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == target[1:], (
        "the link moves focus to the question"
    )

    # Now on through the whole form from there, with Tab, Space, arrow keys and Enter.
    groups_done, arrows_tried, unseen_focus = set(), False, []
    for _ in range(900):
        el = page.evaluate("""() => { const e = document.activeElement;
            return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
                    id: e.id || '', inForm: !!e.closest('#case-form')}; }""")
        if el["inForm"] and not focus_is_visible(page):
            unseen_focus.append(el["id"] or el["tag"])
        if el["inForm"] and el["type"] == "radio" and el["name"] not in groups_done:
            if not arrows_tried:
                page.keyboard.press("ArrowDown")
                now = page.evaluate(
                    "document.activeElement.checked ? document.activeElement.id : null"
                )
                arrows_tried = now not in (None, el["id"])
            else:
                page.keyboard.press("Space")
            groups_done.add(el["name"])
        elif (
            el["inForm"]
            and el["tag"] == "TEXTAREA"
            and not el["name"].endswith("__evidence")
            and not el["value"]
        ):
            page.keyboard.type("Read the record; the child's voice is clear.")
        elif el["inForm"] and el["tag"] == "BUTTON" and el["value"] == "submit":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the Submit button")
    assert arrows_tried, "an arrow key moved to and chose the next option"
    assert unseen_focus == [], f"focus not visible on {unseen_focus[:5]}"
    page.wait_for_url(re.compile(r"submitted=1"))
    assert "Audit submitted" in page.locator(".govuk-notification-banner").inner_text()
    shots(page, "keyboard-submitted")
    assert len(groups_done) > 20


def test_7_without_javascript_login_case_filters_and_the_audit_form_still_work(
    world, new_page, shots
):
    world.need("audit_url")
    page = new_page(javascript=False)
    login(page, world.url, "auditor2")
    shots(page, "nojs-home")

    page.goto(world.url + "/cases/")
    everyone = page.locator("#case-rows tbody tr").count()
    assert everyone >= 1
    shots(page, "nojs-cases")
    page.select_option("#filter-stage", index=1)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state("networkidle")
    assert "stage=" in page.url
    shots(page, "nojs-cases-filtered")

    page.goto(world.url + "/audits/")
    links = case_links(page)
    assert len(links) == 4
    page.goto(world.url + links[0])
    answered = answer_everything(page)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"saved=1"))
    assert page.locator("#case-form input[type=radio]:checked").count() == answered
    shots(page, "nojs-draft-saved")
    page.get_by_role("button", name="Submit audit").click()
    page.wait_for_url(re.compile(r"submitted=1"))
    assert "Audit submitted" in page.locator(".govuk-notification-banner").inner_text()
    shots(page, "nojs-submitted")


# ---------------------------------------------------------------------------------------------
# Accessibility of every main page, once the journeys have filled the app with data

PAGES = [  # name, user (None: signed out), path or a key of world.state
    ("login", None, "/auth/login"),
    ("home", "pm", "/"),
    ("imports", "admin", "/imports/"),
    ("import-report", "admin", "/imports/2"),
    ("import-history", "admin", "/imports/history"),
    ("case-list", "pm", "/cases/"),
    ("journey", "pm", "journey"),
    ("audits-list", "pm", "/audits/"),
    ("new-audit", "pm", "/audits/new?theme=domestic_abuse"),
    ("audit-setup", "pm", "audit_url"),
    ("auditors-page", "auditor", "open_case"),
    ("moderation", "pm", "/audits/moderation"),
    ("actions", "pm", "/audits/actions"),
    ("escalations", "pm", "/audits/escalations"),
    ("indicators", "qa.lead", "/reports/indicators"),
    ("sef", "qa.lead", "/reports/sef"),
    ("admin-users", "admin", "/admin/users"),
    ("access-log", "admin", "/admin/access-log"),
]


def _resolve(world, page, where: str) -> str:
    if where.startswith("/"):
        return where
    if where == "journey":
        page.goto(world.url + "/cases/")
        return page.locator("#case-rows tbody a").first.get_attribute("href")
    if where == "open_case":
        return world.need("auditor_cases")[-1]
    return world.need(where).removeprefix(world.url)


@pytest.fixture(scope="module")
def signed_in(world, browser):
    """One page per user for the accessibility checks (CSP bypassed so axe can be injected)."""
    pages = {}

    def page_for(user: str | None):
        if user not in pages:
            context = browser.new_context(
                locale="en-GB", bypass_csp=True, viewport={"width": 1280, "height": 900}
            )
            pages[user] = context.new_page()
            if user:
                login(pages[user], world.url, user)
        return pages[user]

    yield page_for
    for page in pages.values():
        page.context.close()


@pytest.mark.parametrize("name,user,where", PAGES, ids=[p[0] for p in PAGES])
def test_main_page_has_no_serious_or_critical_axe_violations(world, signed_in, name, user, where):
    world.need("imported")
    page = signed_in(user)
    page.goto(world.url + _resolve(world, page, where))
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1, f"{name} has one main heading"
    assert axe_violations(page) == []
