"""Browser tests: headless Chromium (Debian's package, driven by Playwright) against a real
`graven up` that runs real workflows on the session's Ray."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_support import CHROMIUM, REPO, Stack, graven_up
from playwright.sync_api import Browser, Page, sync_playwright
from service_support import missing_service

CONSOLE_INDEX = REPO / "console" / "dist" / "index.html"
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        missing_service(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    if not CONSOLE_INDEX.exists():
        missing_service("the console is not built: `make console` builds it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[Stack]:
    with graven_up(tmp_path_factory.mktemp("console-home"), ray_address) as running:
        yield running


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A tab signed in as a person does: through the login URL, once; the tab's
    sessionStorage keeps the token for every later page of the test."""
    context = browser.new_context(viewport=VIEWPORT, base_url=stack.url)
    opened = context.new_page()
    # A page that throws is a failed test, whatever it shows.
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(stack.login_url)
    opened.wait_for_url(lambda url: "token=" not in url)
    yield opened
    context.close()
    assert not errors, errors
