"""Every form in the product draws its fields, hints, errors and error summary with the
shared components (templates/includes/forms/), so each keeps the same accessibility:

- an error summary at the top, focusable (tabindex=-1, autofocus), each line a link to
  an element that exists on the page;
- every input marked aria-invalid is described by its message (`<id>_error`), and by its
  hint when it has one (`<id>_helptext`); every message and every hint beside a field
  is referenced by an aria-describedby, its field's or its fieldset's;
- no hand-written or Django-default error markup (`errorlist`);
- the component takes its options (`hint`, `legend`...) from its caller only: allauth's
  `fields` element, which gets the whole page context, passes them all, empty.

Each form page is posted with mistakes and its HTML is checked; the component is also
rendered on its own with a hint and no help text, and inside a page whose context has
variables named like its options.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.totp.internal.auth import TOTP
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.template import Context, Origin, Template
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from masthead.newsletters.tests.factories import PASSWORD, NewsletterFactory, ReaderFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
SECRET = "JBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


class _Elements(HTMLParser):
    """Every start tag's attributes, in document order. An element inside a fieldset
    gets the fieldset's descriptions too (`_group_describedby`): a group of tick boxes
    is described on the fieldset, as the WAI patterns do."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._groups: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if self._groups:
            found["_group_describedby"] = " ".join(self._groups)
        self.elements.append((tag, found))
        if tag == "fieldset":
            self._groups.append(found.get("aria-describedby", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self._groups:
            self._groups.pop()


def check_form_page(html: str) -> list[str]:
    """Everything that breaks the shared components' contract on this page."""
    parser = _Elements()
    parser.feed(html)
    elements = parser.elements
    ids = {attrs["id"] for _, attrs in elements if "id" in attrs}
    problems: list[str] = []
    if "errorlist" in html:
        problems.append("Django's default error list is on the page")

    summaries = [attrs for _, attrs in elements if "data-error-summary" in attrs]
    if len(summaries) != 1:
        problems.append(f"{len(summaries)} error summaries")
    else:
        summary = summaries[0]
        if summary.get("tabindex") != "-1" or "autofocus" not in summary:
            problems.append("the error summary cannot take focus on load")
        if "error-summary__title" not in html or "There is a problem" not in html:
            problems.append("the error summary has no title")
    start = html.find("data-error-summary")
    end = html.find("</ul>", start)
    links = [
        attrs["href"][1:]
        for tag, attrs in _parse(html[start:end])
        if tag == "a" and attrs.get("href", "").startswith("#")
    ]
    if not links:
        problems.append("the error summary links to no field")
    problems += [
        f"the summary links to #{a}, which is not on the page" for a in links if a not in ids
    ]

    described: set[str] = set()
    for tag, attrs in elements:
        refs = attrs.get("aria-describedby", "").split()
        described.update(refs)
        problems += [
            f"{tag}#{attrs.get('id')} points at missing #{r}" for r in refs if r not in ids
        ]
        if attrs.get("aria-invalid") == "true":
            group = attrs.get("_group_describedby", "").split()
            own_error = f"{attrs.get('id')}_error"
            group_error = f"{attrs.get('id', '').rpartition('_')[0]}_error"
            if own_error not in refs and group_error not in group:
                problems.append(
                    f"{tag}#{attrs.get('id')} is invalid but not described by its error"
                )
    messages = [
        attrs["id"]
        for _, attrs in elements
        if "field__error" in attrs.get("class", "").split() and "id" in attrs
    ]
    problems += [f"#{m} is referenced by no field" for m in messages if m not in described]
    if not messages:
        problems.append("no message beside any field (field__error)")
    problems += unreferenced_hints(elements)
    return problems


def unreferenced_hints(elements: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Each hint (`field__hint`) that no aria-describedby names: a screen reader would
    never read it with its input."""
    described = {ref for _, attrs in elements for ref in attrs.get("aria-describedby", "").split()}
    hints = [
        attrs.get("id", "")
        for _, attrs in elements
        if "field__hint" in attrs.get("class", "").split()
    ]
    return [f"hint #{h} is referenced by no field" for h in hints if h not in described]


def _parse(fragment: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(fragment)
    return parser.elements


# -- each form page, posted with mistakes ------------------------------------------------
def _reader(client: Client, **kwargs) -> object:
    reader = ReaderFactory(**kwargs)
    EmailAddress.objects.create(user=reader, email=reader.email, primary=True, verified=True)
    return reader


def signup(client):
    return client.post(reverse("account_signup"), {"email": "nope", "first_name": "R2D2"})


def login(client):
    return client.post(reverse("account_login"), {"login": "", "password": ""})


def request_login_code(client):
    return client.post(reverse("account_request_login_code"), {"email": "not-an-address"})


def confirm_login_code(client):
    reader = _reader(client)
    client.post(reverse("account_request_login_code"), {"email": reader.email})
    return client.post(reverse("account_confirm_login_code"), {"code": ""})


def password_reset(client):
    return client.post(reverse("account_reset_password"), {"email": "not-an-address"})


def password_reset_from_key(client):
    reader = _reader(client)
    url = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(reader),
            "key": default_token_generator.make_token(reader),
        },
    )
    set_password_url = client.get(url)["Location"]
    return client.post(set_password_url, {"password1": "short", "password2": "other"})


def password_change(client):
    client.force_login(_reader(client))
    return client.post(reverse("account_change_password"), {"oldpassword": "wrong"})


def password_set(client):
    reader = _reader(client)
    reader.set_unusable_password()
    reader.save()
    client.force_login(reader)
    return client.post(reverse("account_set_password"), {"password1": "x"})


def reauthenticate(client):
    client.force_login(_reader(client))
    return client.post(reverse("account_reauthenticate"), {"password": ""})


def email_change(client):
    client.force_login(_reader(client))
    return client.post(reverse("account_email"), {"action_add": "", "email": "not-an-address"})


def profile(client):
    client.force_login(_reader(client))
    return client.post(
        reverse("account:profile"),
        {"first_name": "", "last_name": "R2D2", "date_of_birth": "31/02/1990"},
    )


def newsletter_preferences(client):
    NewsletterFactory()
    hidden = NewsletterFactory(is_offered=False)
    client.force_login(_reader(client))
    return client.post(reverse("newsletters:preferences"), {"newsletters": [hidden.pk]})


def delete_account(client):
    client.force_login(_reader(client))
    return client.post(reverse("account:delete"), {"password": "wrong-Password-1"})


def delete_account_by_code(client):
    reader = _reader(client)
    reader.set_unusable_password()
    reader.save()
    client.force_login(reader)
    return client.post(reverse("account:delete"), {"code": "", "confirm": "on"})


def two_factor_code(client):
    editor = ReaderFactory(email="editor@example.org", editor=True, verified=True)
    TOTP.activate(editor, SECRET)
    signed = client.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    assert signed["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": "abc"})  # never a TOTP code


FORM_PAGES: list[Callable] = [
    signup,
    login,
    request_login_code,
    confirm_login_code,
    password_reset,
    password_reset_from_key,
    password_change,
    password_set,
    reauthenticate,
    email_change,
    profile,
    newsletter_preferences,
    delete_account,
    delete_account_by_code,
    two_factor_code,
]


@pytest.mark.parametrize("post_with_mistakes", FORM_PAGES, ids=lambda f: f.__name__)
def test_every_form_page_shows_its_errors_with_the_shared_components(client, post_with_mistakes):
    response = post_with_mistakes(client)
    assert response.status_code == 200, response.get("Location")
    assert check_form_page(response.content.decode()) == []


def test_the_check_notices_a_field_whose_error_is_not_linked():
    html = (
        '<div class="error-summary" tabindex="-1" autofocus data-error-summary>'
        '<h2 class="error-summary__title">There is a problem</h2><ul>'
        '<li><a href="#id_name">Enter your name.</a></li></ul></div>'
        '<div class="field field--error"><label for="id_name">Name</label>'
        '<p class="field__error" id="id_name_error">Enter your name.</p>'
        '<input id="id_name" aria-invalid="true"></div>'
    )
    assert check_form_page(html) == [
        "input#id_name is invalid but not described by its error",
        "#id_name_error is referenced by no field",
    ]


def test_the_check_notices_a_hint_no_field_refers_to():
    html = (
        '<div class="field"><label for="id_name">Name</label>'
        '<div class="field__hint" id="id_name_helptext">Your given name</div>'
        '<input id="id_name"></div>'
    )
    assert unreferenced_hints(_parse(html)) == ["hint #id_name_helptext is referenced by no field"]


class _Named(forms.Form):
    name = forms.CharField()  # no help_text: Django alone would not name a hint
    agree = forms.BooleanField()


@pytest.mark.parametrize("field_name", ["name", "agree"])
@pytest.mark.parametrize(
    "options",
    [{"hint": "Your given name"}, {"hint_template": "account/includes/password_rules.html"}],
)
@pytest.mark.parametrize("data", [None, {}], ids=["unbound", "with-errors"])
def test_a_hint_given_to_the_component_is_named_by_its_input(field_name, options, data):
    form = _Named(data=data)
    html = render_to_string("includes/forms/field.html", {"field": form[field_name], **options})
    elements = _parse(html)
    assert unreferenced_hints(elements) == []
    [(_, field_input)] = [(t, a) for t, a in elements if a.get("id") == f"id_{field_name}"]
    expected = f"id_{field_name}_helptext" + (f" id_{field_name}_error" if data is not None else "")
    assert field_input["aria-describedby"] == expected


PAGE_VARIABLES = {
    "hint": "Leaked hint",
    "legend": "Leaked legend",
    "marker": "leaked-marker",
    "hint_template": "account/includes/password_rules.html",
    "input_template": "account/includes/password_input.html",
    "choice_template": "newsletters/includes/choice.html",
}


def test_page_variables_named_like_the_options_do_not_reach_allauths_fields(rf):
    page = "{% load allauth %}{% element fields form=form %}{% endelement %}"
    template = Template(page, origin=Origin("page", template_name="page.html"))
    form = _Named(data={})
    alone = template.render(Context({"form": form, "request": rf.get("/")}))
    on_a_page = template.render(Context({"form": form, "request": rf.get("/"), **PAGE_VARIABLES}))
    assert 'id="id_name"' in alone
    assert on_a_page == alone


# The components themselves; allauth's attribute-built field draws its hint from a slot.
COMPONENTS = {
    "includes/forms/field.html",
    "includes/forms/hint.html",
    "includes/forms/error_list.html",
    "includes/forms/error_summary.html",
    "allauth/elements/field.html",
}
# Whole-fragment notices that replace the wall's form (a service briefly away, too many
# attempts), styled like a summary: they belong to no form and list no field.
NOTICES = {"try_again_fragment.html", "account/too_many_fragment.html"}


def _templates() -> list[tuple[str, str]]:
    root = Path(__file__).resolve().parents[2]  # the masthead package
    found = []
    for path in root.glob("**/templates/**/*.html"):
        name = str(path.relative_to(next(p for p in path.parents if p.name == "templates")))
        found.append((name, path.read_text()))
    return found


def test_no_template_draws_a_hint_an_error_or_a_summary_by_hand():
    drawn_by_hand = [
        name
        for name, text in _templates()
        if name not in COMPONENTS | NOTICES
        and any(
            classes & {"field__error", "field__hint", "error-summary"}
            for classes in _class_lists(text)
        )
    ]
    assert drawn_by_hand == []


def _class_lists(text: str) -> list[set[str]]:
    """The classes of each class attribute, as tokens: `class="x field__error"` counts."""
    return [set(value.split()) for value in re.findall(r'\bclass="([^"]*)"', text)]


def test_the_scan_finds_a_component_class_anywhere_in_a_class_list():
    assert {"field__error"} <= _class_lists('<p class="note field__error" id="x">')[0]
    assert _class_lists('<p class="field__errors-note">')[0].isdisjoint({"field__error"})
