"""A sign-up box's part for this reader (newsletters.signup_boxes): thin views.

The box in an article is cached and shared, so it holds no CSRF token and nothing about
the reader; its script fetches `signup_box` into it:
- someone not signed in gets the open sign-up form. It posts to the sign-up page's own
  view (`signup_views.signup`): the same checks (registration's bot check and attempt
  limits), the same neutral "check your inbox" page, and on a problem the sign-up page
  with the message and the address as typed. Its bot check is drawn by our own scripts
  whichever provider it is (a hosted one's script is loaded by hosted-check.js when the
  reader turns to the form);
- a signed-in reader gets one-click subscribe (`box_subscribe`, the account's
  subscription service), or "you're subscribed" with the way to their preferences. A
  reader who has not confirmed their address is subscribed all the same, and told that
  issues start once they confirm it (with the way to the page that sends the link again).

Invariants:
- Every response here is private and never stored; the fragment carries its own CSRF
  token, the article page around it none.
- A newsletter that is gone or no longer open answers 204 (the script removes the box):
  the same answer for an unknown address and a closed list.
- The box's id and the address to come back to are taken from the request only when
  they are what the page would send (an id of ours, a path on this site).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from masthead.core import person_checks
from masthead.core.http import internal_path_or_empty, private_no_store

from . import selectors, services
from .forms import OpenSignupForm
from .models import Newsletter

# Sent by the box's script with a one-click subscribe; answered with the box's fragment.
BOX_HEADER = "X-Signup-Box"
SOURCE = "signup-box"
_BOX_ID = re.compile(r"signup-[A-Za-z0-9-]{1,64}")
DEFAULT_BOX_ID = "signup-box"


def _box_id(value: str | None) -> str:
    return value if value and _BOX_ID.fullmatch(value) else DEFAULT_BOX_ID


def _open_newsletter(slug: str) -> Newsletter | None:
    return Newsletter.objects.filter(slug=slug, audience=Newsletter.Audience.OPEN).first()


def _signed_in(request: HttpRequest) -> Any | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated and user.is_active else None


def box_response(
    request: HttpRequest,
    newsletter: Newsletter,
    *,
    box_id: str,
    back: str,
    just_subscribed: bool = False,
) -> HttpResponse:
    """The box's fragment for this reader (see the module docstring)."""
    context: dict[str, Any] = {"newsletter": newsletter, "box_id": box_id, "next": back}
    user = _signed_in(request)
    if user is not None:
        # Issues start once the address is proved (services: the rule); the box says so.
        proved = selectors.verified_address(user) is not None
        if just_subscribed or selectors.is_subscribed(user, newsletter):
            context.update(
                state="subscribed",
                just_subscribed=just_subscribed,
                email=user.email,
                unconfirmed=not proved,
                suppressed=proved and selectors.suppression_for(user) is not None,
            )
        else:
            context.update(
                state="account",
                email=user.email,
                unconfirmed=not proved,
                stopped=selectors.marketing_stopped(user),
            )
    else:
        form = OpenSignupForm(request=request, auto_id=f"{box_id}-%s")
        context.update(
            state="form",
            form=form,
            privacy_url=person_checks.get().privacy_notice_url(),
            login_url=reverse("account_login") + "?next=" + quote(back or "/", safe="/"),
        )
    response = render(request, "newsletters/signup_box/fragment.html", context)
    response[BOX_HEADER] = "1"
    response["X-Robots-Tag"] = "noindex"
    return response


@private_no_store
@require_GET
def signup_box(request: HttpRequest, slug: str) -> HttpResponse:
    newsletter = _open_newsletter(slug)
    if newsletter is None:
        return HttpResponse(status=204)
    return box_response(
        request,
        newsletter,
        box_id=_box_id(request.GET.get("box")),
        back=internal_path_or_empty(request.GET.get("next")),
    )


@private_no_store
@require_POST
def box_subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    """One click from a box in an article: subscribe the signed-in reader's account."""
    back = internal_path_or_empty(request.POST.get("next"))
    user = _signed_in(request)
    if user is None:
        # Signed out since the box was drawn: sign in, then back to the article.
        return redirect(reverse("account_login") + "?next=" + quote(back or "/", safe="/"))
    newsletter = _open_newsletter(slug)
    if newsletter is None:
        if request.headers.get(BOX_HEADER):
            return HttpResponse(status=204)  # closed since the box was drawn: it goes
        raise Http404(_("There is no such newsletter."))
    services.subscription_start(user=user, newsletter=newsletter, source=SOURCE)
    if request.headers.get(BOX_HEADER):
        return box_response(
            request,
            newsletter,
            box_id=_box_id(request.headers.get(BOX_HEADER)),
            back=back,
            just_subscribed=True,
        )
    if selectors.verified_address(user) is None:
        said = _("You're subscribed to %(name)s. Issues start once you confirm your email address.")
    else:
        said = _("You're subscribed to %(name)s.")
    messages.success(request, said % {"name": newsletter.name})
    return redirect(back or reverse("newsletters:preferences"))
