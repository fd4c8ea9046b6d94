"""Signing the console in, in Chromium, against a live `graven up` that requires tokens: the
URL it prints logs a tab in and leaves the address bar, a tab without a token gets the
sign-in page, a pasted token works, a wrong one is refused on that page, and signing out
forgets the token. A viewer token sees its project and says which others it cannot see, and
what it may not do in its own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from console_support import REPO, Stack, screenshot_path
from e2e.e2e_support import execution_ref, graven_json
from playwright.sync_api import Browser, Page, Request, expect

TOKEN_KEY = "graven.token"


@pytest.fixture
def tab(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A tab that holds no token yet; a page that throws fails the test."""
    context = browser.new_context(base_url=stack.url)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, errors


@pytest.fixture
def token(stack: Stack) -> str:
    return stack.token


@pytest.fixture
def login(stack: Stack, token: str) -> str:
    """The URL `graven up` printed; it carries the home's token."""
    printed = stack.login_url
    assert printed == f"{stack.url}/?token={token}", printed
    return printed


@pytest.fixture
def project() -> str:
    return f"sign-in-{uuid.uuid4().hex[:8]}"


def api_calls(page: Page) -> list[Request]:
    calls: list[Request] = []
    page.on("request", lambda r: calls.append(r) if "/graven.v1." in r.url else None)
    return calls


def stored_token(page: Page) -> str | None:
    held: str | None = page.evaluate(f"() => sessionStorage.getItem({TOKEN_KEY!r})")
    return held


def expect_sign_in(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def expect_signed_in_list(page: Page, project: str) -> None:
    """The list's own answer for an empty project: the API took the tab's token."""
    expect(page.get_by_text(f"No executions in {project}/development yet.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)


def test_the_printed_url_signs_the_tab_in_and_leaves_the_address(
    tab: Page, stack: Stack, token: str, login: str
) -> None:
    calls = api_calls(tab)
    tab.goto(login)
    expect(tab.get_by_role("heading", name="Executions")).to_be_visible()
    expect_signed_in_list(tab, "default")
    assert "token" not in tab.url, tab.url
    assert re.fullmatch(rf"{re.escape(stack.url)}/executions", tab.url), tab.url
    assert calls, "the list asked the API nothing"
    for call in calls:
        headers = call.all_headers()
        assert headers.get("authorization") == f"Bearer {token}", call.url
        # No Referer at all (no-referrer): the login URL cannot leak through one.
        assert "referer" not in headers, headers["referer"]
    # A reload keeps the tab signed in: the token is in its sessionStorage, not the URL.
    tab.reload()
    expect_signed_in_list(tab, "default")
    assert stored_token(tab) == token


def test_another_tab_is_not_signed_in(tab: Page, login: str) -> None:
    tab.goto(login)
    expect_signed_in_list(tab, "default")
    other = tab.context.new_page()
    other.goto("/executions")
    expect_sign_in(other)
    assert stored_token(other) is None


def test_without_a_token_the_sign_in_page_takes_a_pasted_one(
    tab: Page, token: str, project: str
) -> None:
    calls = api_calls(tab)
    tab.goto(f"/executions?project={project}&domain=development")
    expect_sign_in(tab)
    expect(tab.get_by_text("This control plane needs a token.")).to_be_visible()
    assert calls
    assert all("authorization" not in c.all_headers() for c in calls)
    tab.screenshot(path=screenshot_path("sign-in"))
    tab.get_by_label("Token").fill(token)
    tab.get_by_role("button", name="Sign in").click()
    # The page asked for is drawn again, now with the token.
    expect_signed_in_list(tab, project)
    assert f"project={project}" in tab.url
    assert calls[-1].all_headers().get("authorization") == f"Bearer {token}"
    assert stored_token(tab) == token


def test_a_wrong_token_shows_the_sign_in_page_with_its_refusal(
    tab: Page, stack: Stack, token: str, project: str
) -> None:
    tab.goto(f"{stack.url}/executions?project={project}&domain=development&token=not-a-token")
    expect_sign_in(tab)
    expect(tab.get_by_role("heading", name="The token was refused")).to_be_visible()
    assert "token=" not in tab.url, tab.url
    # A refused token is forgotten: a reload does not send it again.
    assert stored_token(tab) is None
    tab.get_by_label("Token").fill(token)
    tab.get_by_role("button", name="Sign in").click()
    expect_signed_in_list(tab, project)


def test_signing_out_forgets_the_token(tab: Page, login: str) -> None:
    tab.goto(login)
    expect_signed_in_list(tab, "default")
    tab.get_by_role("button", name="Sign out").click()
    expect_sign_in(tab)
    expect(tab.get_by_text("You signed out.", exact=False)).to_be_visible()
    assert stored_token(tab) is None
    tab.reload()
    expect_sign_in(tab)
    expect(tab.get_by_text("This control plane needs a token.")).to_be_visible()


def test_a_viewer_token_sees_its_project_and_names_what_it_cannot(
    tab: Page, stack: Stack, project: str
) -> None:
    viewer = graven_json(
        stack.endpoint, "tokens", "create", f"viewer-{project}", "--role", "viewer", "-p", project
    )["secret"]
    run = graven_json(
        stack.endpoint, "run", str(REPO / "examples" / "wordcount") + ":wordcount",
        "-p", project, "--corpus", "to be or not to be", "--top", "2",
    )  # fmt: skip
    name = execution_ref(run)[0].name

    tab.goto(f"/executions?project={project}&domain=development&token={viewer}")
    table = tab.get_by_test_id("executions")
    expect(table.get_by_role("link", name=name)).to_be_visible()
    table.get_by_role("link", name=name).click()
    tab.get_by_role("button", name="Relaunch ▾").click()
    tab.get_by_role("menuitem", name=re.compile("Same version")).click()
    refused = f"Your token cannot do this in project {project}"
    expect(tab.get_by_role("heading", name=refused)).to_be_visible()

    elsewhere = f"{project}-other"
    tab.goto(f"/executions?project={elsewhere}&domain=development")
    unseen = f"Your token cannot see project {elsewhere}"
    expect(tab.get_by_role("heading", name=unseen)).to_be_visible()
    # Still signed in: a refusal of scope is not one of the token.
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    tab.screenshot(path=screenshot_path("token-refused"))
