"""A real server on 127.0.0.1 and Debian's chromium driven by Playwright.

Screenshots of every page a test passes through go to ``test-output/screenshots``
(git-ignored).  Without /usr/bin/chromium the tests skip and say why, unless
``FRONTDOOR_REQUIRE_BROWSER=1`` (set by ``.ci/run``), when they fail instead.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from sqlmodel import SQLModel
from werkzeug.serving import make_server

from audit_app import create_app
from audit_app.db import session_scope
from audit_app.models import UserCreate
from audit_app.seeding import load_cases, load_teams
from audit_app.users import create_user
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "screenshots"
AXE = Path(__file__).with_name("assets") / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ROLE_USERS = {
    "admin": "admin",
    "qa_lead": "qa.lead",
    "practice_manager": "pm",
    "auditor": "auditor",
    "auditor2": "auditor2",
    "viewer": "viewer",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("FRONTDOOR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and FRONTDOOR_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def build_live_app(folder: Path, children: int = 150, seed: int = 3):
    from seed_cases.generator import generate

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
            "SECRET_KEY": "browser-tests",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    engine = app.extensions["frontdoor_engine"]
    SQLModel.metadata.create_all(engine)
    authority = generate(children, seed)
    load_teams(authority.teams, engine=engine)
    load_cases(authority.iter_cases(), engine=engine)
    with session_scope(app) as session:
        for role, username in ROLE_USERS.items():
            create_user(
                UserCreate(username=username, password=PASSWORD, roles=[role.rstrip("2")]),
                session=session,
                check_password=False,
            )
    return app


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    app = build_live_app(tmp_path_factory.mktemp("live"))
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["frontdoor_engine"].dispose()


def _shrink(path: Path) -> None:
    """Store a guide picture with a 256-colour palette: a third of the size, no visible loss."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


class Shots:
    """Numbered screenshots for one test, and the console errors the pages logged."""

    def __init__(self, name: str):
        self.folder = OUTPUT / re.sub(r"[^\w.-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(
        self,
        page,
        label: str,
        *,
        guide: str | None = None,
        clip_to: str | None = None,
        height: int = 900,
    ) -> Path:
        """Save the whole page; with ``guide``, also a 1280-wide picture for docs/guide.md.

        The guide copy is written only when FRONTDOOR_GUIDE_SHOTS names a folder (for example
        ``docs/images``): ``height`` pixels from the top of the page, or from just above the
        element ``clip_to``.
        """
        self.n += 1
        path = self.folder / f"{self.n:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        folder = os.environ.get("FRONTDOOR_GUIDE_SHOTS")
        if guide and folder:
            target = Path(folder) if Path(folder).is_absolute() else ROOT / folder
            target.mkdir(parents=True, exist_ok=True)
            top = 0
            if clip_to:
                top = page.locator(clip_to).first.evaluate(
                    "e => Math.max(0, e.getBoundingClientRect().top + window.scrollY - 16)"
                )
            tall = page.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": top, "width": 1280, "height": min(height, tall - top)}
            picture = target / f"{guide}.png"
            page.screenshot(path=str(picture), full_page=True, clip=clip)
            _shrink(picture)
        return path


@pytest.fixture
def shots(request):
    return Shots(request.node.name)


@pytest.fixture
def new_page(browser):
    """Builder: a page in a fresh context; ``console_errors`` collects what went wrong."""
    contexts = []

    def build(*, javascript: bool = True, bypass_csp: bool = False):
        context = browser.new_context(
            locale="en-GB",
            java_script_enabled=javascript,
            bypass_csp=bypass_csp,
            viewport={"width": 1280, "height": 900},
        )
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and page.console_errors.append(
                    f"{m.text} [{m.location.get('url', '')}:{m.location.get('lineNumber', '')}"
                    f" on {page.url}]"
                )
            ),
        )
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    yield build
    for context in contexts:
        context.close()


def login(page, base_url: str, username: str, password: str = PASSWORD):
    page.goto(f"{base_url}/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state("networkidle")


def axe_violations(page, *, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core on the page (its context must bypass CSP to inject it)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s): "
        f"{v['nodes'][0]['target'] if v['nodes'] else ''}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]
