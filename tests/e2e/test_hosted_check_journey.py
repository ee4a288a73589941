"""A hosted bot check (reCAPTCHA, hCaptcha, Turnstile) in a real Chromium.

Invariants: with MASTHEAD_BOTCHECK set to a hosted provider, a visitor on a
registration-wall article registers in the wall without leaving the page: the form is
fetched into the wall, and the provider's script is requested only when the reader
turns to the form (never for a reader who only reads), once, with the provider's
explicit rendering; its widget is drawn in the form, its token goes with the form
(a fresh one after a mistake), the server checks it with the provider, and the reader
ends signed in with the full text in place, same document. The sign-up box in an
article does the same with its form. The page passes axe-core's WCAG 2.x A/AA rules
(serious and critical) with the widget drawn.

No network: the provider's script is answered by a stub of its explicit-render API
(`render(element, {sitekey, callback})`, a hidden field of the provider's name holding a
fake token, as the real widgets keep theirs), and the provider's siteverify by a fake
(`botcheck.http_post_form`).
"""

from __future__ import annotations

import re
import uuid
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from masthead.access.api import Level
from masthead.readers import botcheck

pytestmark = pytest.mark.browser

PASSWORD = "Hosted-check-pass-2024"
SITE_KEY = "journey-site-key"
PROVIDER_HOSTS = re.compile(
    r"^https://([a-z0-9-]+\.)*(google\.com|gstatic\.com|hcaptcha\.com|cloudflare\.com)/"
)

# The provider's api.js, as far as our script uses it: `?render=explicit&onload=<name>`
# calls window[<name>]() once `<api>.render` exists; a render draws the widget (here a
# line of text) and keeps the token in a hidden field of the provider's name inside
# the element, then calls back with it a moment later (as a real check takes a moment).
STUB = """
(() => {
  const params = new URL(document.currentScript.src).searchParams;
  const stub = (window.__hostedStub = window.__hostedStub || { renders: [], explicit: [] });
  stub.explicit.push(params.get("render"));
  let count = 0;
  window["%(api)s"] = {
    render(element, options) {
      count += 1;
      const token = "stub-token-" + count + "-" + options.sitekey;
      stub.renders.push(options.sitekey);
      const widget = document.createElement("p");
      widget.textContent = "Stub check: you're a person.";
      const field = document.createElement("%(tag)s");
      field.name = "%(field)s";
      field.hidden = true;
      if (field instanceof HTMLInputElement) field.type = "hidden";
      element.append(widget, field);
      setTimeout(() => {
        field.value = token;
        options.callback(token);
      }, 300);
      return String(count);
    },
  };
  const onload = params.get("onload");
  if (onload) setTimeout(() => window[onload](), 0);
})();
"""

PROVIDERS = {
    "turnstile": ("turnstile", "input", "cf-turnstile-response"),
    "recaptcha": ("grecaptcha", "textarea", "g-recaptcha-response"),
    "hcaptcha": ("hcaptcha", "textarea", "h-captcha-response"),
}


class Siteverify:
    """The provider's siteverify, faked: a token the stub made passes, once."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def __call__(self, url: str, data: dict[str, str]) -> dict[str, Any]:
        token = data.get("response", "")
        fresh = token.startswith("stub-token-") and token not in self.tokens
        self.tokens.append(token)
        return {"success": fresh}


@pytest.fixture
def hosted(settings: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    """Switch the bot check to `request.param` (a provider), fake its siteverify, and
    return a function that points a page's requests for the provider at the stub."""
    name = request.param
    api, tag, field = PROVIDERS[name]
    settings.BOTCHECK_PROVIDER = name
    settings.BOTCHECK_SITE_KEY = SITE_KEY
    settings.BOTCHECK_SECRET_KEY = "journey-secret"
    verify = Siteverify()
    monkeypatch.setattr(botcheck, "http_post_form", verify)
    script_url = botcheck.PROVIDERS[name]["script_url"]

    class Provider:
        def __init__(self) -> None:
            self.name, self.field, self.siteverify = name, field, verify
            self.requests: list[str] = []  # every request the page made to a provider
            self.posted: list[str] = []  # the token each of our forms' POSTs carried

        def stub(self, page: Any) -> Any:
            def answer(route: Any) -> None:
                if route.request.url.split("?", 1)[0] == script_url:
                    body = STUB % {"api": api, "tag": tag, "field": field}
                    route.fulfill(status=200, content_type="text/javascript", body=body)
                else:
                    route.abort()  # nothing else of the provider's is needed here

            page.route(PROVIDER_HOSTS, answer)

            def seen(req: Any) -> None:
                if PROVIDER_HOSTS.match(req.url):
                    self.requests.append(req.url)
                elif req.method == "POST" and "csrfmiddlewaretoken" in (req.post_data or ""):
                    self.posted.append(_posted_field(req.post_data, field))

            page.on("request", seen)
            return page

    return Provider()


def _posted_field(body: str, name: str) -> str:
    """A field's value in a form's POST body, urlencoded (a form sent as a page) or
    multipart (the wall's fetch with FormData); "" when it is not there."""
    found = re.search(rf'name="{re.escape(name)}"\r\n\r\n([^\r]*)\r\n', body)
    if found:
        return found.group(1)
    return parse_qs(body).get(name, [""])[0]


def _article(live_site: Any) -> Any:
    found = next((a for a in live_site.articles if a.access == Level.REGISTRATION), None)
    if found is None:
        pytest.fail("the demo newsroom has no registration article")
    return found


def _withheld_last(path: str) -> str:
    from masthead.access.models import AccessSettings
    from masthead.access.selectors import split_article_body
    from masthead.content.models import ArticlePage

    article = next(a for a in ArticlePage.objects.live() if a.url == path)
    rest = split_article_body(article.body, AccessSettings(site_id=0)).withheld
    texts = [
        unescape(re.sub(r"<[^>]+>", "", str(b.value.source))).strip()
        for b in rest
        if b.block_type == "paragraph"
    ]
    return texts[-1][:40]


@pytest.mark.parametrize("hosted", sorted(PROVIDERS), indirect=True)
def test_registering_in_the_wall_with_a_hosted_check(
    page, live_site, orm, hosted, assert_accessible, assert_no_browser_errors, screenshot
):
    article = _article(live_site)
    with orm():
        withheld = _withheld_last(article.path)
    hosted.stub(page)
    page.goto(article.path)
    page.evaluate("() => { window.__sameDocument = true; }")
    wall = page.get_by_role("region", name="Register for free to continue reading")
    slot = wall.locator("[data-form-slot]")
    check = slot.locator("[data-hosted-check]")
    expect(slot.get_by_label("Email address")).to_be_visible()
    expect(check).to_have_attribute("data-provider", hosted.name)
    page.wait_for_load_state("networkidle")
    # The form is there, the reader has not turned to it: nobody asked the provider.
    assert hosted.requests == []
    expect(check).not_to_have_attribute("data-hosted-check-started", "")

    slot.get_by_label("Email address").fill(f"hosted-{uuid.uuid4().hex[:8]}@example.com")
    expect(check).to_have_attribute("data-hosted-check-state", "verified")
    [script] = hosted.requests
    query = parse_qs(urlsplit(script).query)
    assert query["render"] == ["explicit"] and query["onload"]
    expect(check.get_by_text("Stub check: you're a person.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"wall-{hosted.name}")

    # A mistake: the form comes back in place, with a fresh widget for a fresh token.
    slot.get_by_label("Password", exact=True).fill("short")
    slot.get_by_label("First name").fill("Grace")
    slot.get_by_label("Last name").fill("Hopper")
    slot.get_by_label("Date of birth").fill("1980-12-09")
    slot.get_by_role("button", name="Register").click()
    expect(slot.locator("[data-error-summary]")).to_be_focused()
    first = hosted.posted[-1]
    assert first.startswith("stub-token-1-"), first

    # Pressed at once: the form waits for the fresh check, then goes.
    slot.get_by_label("Password", exact=True).fill(PASSWORD)
    slot.get_by_role("button", name="Register").click()
    expect(page.locator(".article__gated")).to_contain_text(withheld)
    expect(page.locator(".wall")).to_have_count(0)
    expect(page.locator("#continue")).to_be_focused()
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert any(c["name"] == "sessionid" for c in page.context.cookies())
    second = hosted.posted[-1]
    assert second.startswith("stub-token-2-"), second
    # Each token was checked with the provider, once; the provider's script loaded once.
    assert hosted.siteverify.tokens == [first, second]
    assert len(hosted.requests) == 1
    assert page.evaluate("() => window.__hostedStub.renders") == [SITE_KEY, SITE_KEY]
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, f"registered-{hosted.name}")


ARTICLE_WITH_BOX = "/culture/album-low-tide-hymns/"


@pytest.mark.parametrize("hosted", ["turnstile"], indirect=True)
def test_signing_up_in_a_box_with_a_hosted_check(
    page, live_site, smtp_settings, hosted, assert_accessible, assert_no_browser_errors
):
    email = f"hosted-box-{uuid.uuid4().hex[:8]}@example.com"
    hosted.stub(page)
    page.goto(ARTICLE_WITH_BOX)
    box = page.locator("[data-signup-box]")
    box.scroll_into_view_if_needed()
    field = box.get_by_label("Email address")
    expect(field).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert hosted.requests == []  # scrolled past, not used: the provider is not asked

    field.fill(email)
    check = box.locator("[data-hosted-check]")
    expect(check).to_have_attribute("data-hosted-check-state", "verified")
    assert_accessible(page)
    box.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert [m for m in smtp_settings.recorder.messages if m["To"] == email]
    assert len(hosted.siteverify.tokens) == 1 and len(hosted.requests) == 1
    assert hosted.posted == hosted.siteverify.tokens  # the widget's token went with the form
    assert_no_browser_errors(page)


@pytest.mark.parametrize("hosted", ["turnstile"], indirect=True)
def test_the_sign_up_page_draws_a_hosted_check_as_it_loads(
    page, live_site, hosted, assert_accessible, assert_no_browser_errors
):
    """A whole page that shows the form: the widget is drawn as the page loads (as the
    provider's own tag used to), and registering there sends its token."""
    hosted.stub(page)
    page.goto("/accounts/signup/?next=/")
    check = page.locator("[data-hosted-check]")
    expect(check).to_have_attribute("data-hosted-check-state", "verified")
    assert len(hosted.requests) == 1
    assert_accessible(page)
    page.get_by_label("Email address").fill(f"hosted-page-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Byron")
    page.get_by_label("Date of birth").fill("1990-03-27")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert any(c["name"] == "sessionid" for c in page.context.cookies())
    assert hosted.posted == hosted.siteverify.tokens and len(hosted.posted) == 1
    assert_no_browser_errors(page)
