"""Browser fixtures: Debian's Chromium driven by Playwright, one browser for the session and a
fresh context (cookies, cache, IndexedDB) per test, against pytest-django's live server."""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def pytest_configure(config) -> None:
    # The live server runs with DEBUG off, where WhiteNoise serves only STATIC_ROOT; the
    # finders let it serve static/ (shell.js, the vendored React) as collectstatic would.
    # Set at configure time: the session's live server may start before these tests run.
    settings.WHITENOISE_USE_FINDERS = True


def missing(reason: str):
    """Fail in CI (make test installs what is missing), skip on a machine without it."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def running_chromium():
    """A Chromium launched by a sync Playwright that already runs in this thread (another
    conftest's session fixture), or None. A second sync Playwright cannot start beside it."""
    from playwright.sync_api import Browser

    for candidate in gc.get_objects():
        # type(), not isinstance(): the heap holds dead weak proxies, which raise on access.
        if issubclass(type(candidate), Browser) and candidate.is_connected():
            return candidate
    return None


@pytest.fixture(scope="package")
def browser(django_db_setup):
    """One Chromium for these tests: our own, closed when they are done, or the one another
    suite's fixture left running."""
    if not Path(CHROMIUM).is_file():
        missing(f"{CHROMIUM} is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while the browser lives; the
    # ORM calls tests make between page actions are still plain synchronous calls.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            shared = running_chromium()
            if shared is None:
                pytest.fail("an asyncio loop runs in this thread but no Playwright browser does")
            yield shared
            return
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()


@pytest.fixture
def browser_context(live_server, browser):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.page_errors = errors
    return page


@pytest.fixture
def react_files():
    """The vendored React UMD files (make vendor)."""
    if not finders.find("vendor/react/react.production.min.js"):
        missing("static/vendor/react/ is empty (make vendor)")
