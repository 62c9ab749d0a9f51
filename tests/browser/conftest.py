"""Browser tests: Playwright drives Debian's Chromium (no browser download) against
Django's live server. Marked `browser`; `pytest -m "not browser"` skips them."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
# run inside one unless told that this is safe, which it is in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
FAILURES = Path(__file__).resolve().parents[2] / "test-results" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves a screenshot and the page's HTML behind."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.failed and report.when == "call" and page is not None:
        FAILURES.mkdir(parents=True, exist_ok=True)
        name = item.name.replace("/", "-").replace("[", "-").replace("]", "")
        try:
            page.screenshot(path=FAILURES / f"{name}.png", full_page=True)
            (FAILURES / f"{name}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # the page may be gone; the failure itself matters more
            (FAILURES / f"{name}.txt").write_text(repr(error), encoding="utf-8")
        report.sections.append(("browser", f"screenshot and HTML saved in {FAILURES}"))


@pytest.fixture(autouse=True)
def _browser_database(transactional_db):
    """Every browser test runs against committed data (see tests/conftest.py)."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def _plain_http():
    """The live server speaks plain HTTP. Set before the server starts, because
    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when it is built."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(scope="session")
def live_server(_plain_http, live_server):
    return live_server


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the login form, as a person would."""

    def sign_in_as(user, password="password"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return sign_in_as


@pytest.fixture
def screenshot(page):
    def take(name):
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return take


@pytest.fixture
def menu(page):
    """Goes to a page through the header's menu: a section, then its entry."""

    def go(section, entry):
        nav = page.locator("nav.navbar")
        toggler = nav.locator(".navbar-toggler")
        if toggler.is_visible():  # a phone: the menu folds behind a button
            toggler.click()
        nav.locator(".dropdown-toggle", has_text=section).click()
        nav.locator(".dropdown-menu.show").get_by_role("link", name=entry, exact=True).click()
        page.wait_for_load_state()
        return page

    return go
