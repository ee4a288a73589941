"""Open newsletters for people without an account: the list, sign-up, confirmation, and
the unsubscribe and preference links in their emails. Thin views over `forms`,
`services` and `tokens`.

Invariants:
- A sign-up answers the same whatever the address (new, pending, subscribed, a reader's,
  suppressed): "check your inbox". Only the form's own problems (format, bot check,
  too many attempts) are said, on the form, with the address kept.
- Nothing is subscribed until the emailed link is confirmed, by a POST from the page the
  link opens (a link scanner's GET confirms nothing).
- The one-click unsubscribe (RFC 8058) acts on POST only, with no CSRF token or cookie,
  is idempotent and answers 200; a GET shows a button. A link acts only for the row and
  the list its signed token names; anything else changes nothing and says why (400).
- Every page here is personal or carries a CSRF token: never cached.
- A preferences link whose row has gone (carried over to the account its address was
  proved to be, erased, expired) says the link no longer works and to sign in, even
  when the row goes while a choice is being saved; never a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from masthead.core import person_checks
from masthead.core.http import internal_path_or_empty

from . import rendering, selectors, services, tokens, verified_addresses
from .forms import OpenSignupForm
from .models import Newsletter, OpenSubscriber
from .public_views import SOURCE_EMAIL_LINK, SOURCE_ONE_CLICK, link_problem


@require_GET
def newsletter_list(request: HttpRequest) -> HttpResponse:
    """Every newsletter on offer: open ones link to their sign-up page."""
    return render(
        request,
        "newsletters/public/list.html",
        {"newsletters": selectors.newsletters_offered()},
    )


def _open_newsletter(slug: str) -> Newsletter:
    return get_object_or_404(Newsletter, slug=slug)


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest, slug: str) -> HttpResponse:
    newsletter = _open_newsletter(slug)
    if newsletter.audience != Newsletter.Audience.OPEN:
        # Registered readers only: no address is taken here, whatever is posted.
        return render(
            request,
            "newsletters/public/signup_registered_only.html",
            {"newsletter": newsletter, "next": request.get_full_path()},
            status=403 if request.method == "POST" else 200,
        )
    # Where the reader was (a sign-up box in an article posts it): offered again after.
    back = internal_path_or_empty(request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = OpenSignupForm(request.POST, request=request)
        if form.is_valid():
            if not form.is_bot:
                services.open_signup_request(
                    newsletter=newsletter, email_address=form.cleaned_data["email"]
                )
            sent = reverse("newsletters_public:signup-sent", args=[newsletter.slug])
            return redirect(f"{sent}?{urlencode({'next': back})}" if back else sent)
        status = 400
    else:
        form = OpenSignupForm(request=request)
        status = 200
    return render(
        request,
        "newsletters/public/signup.html",
        {
            "newsletter": newsletter,
            "form": form,
            "next": back,
            "privacy_url": person_checks.get().privacy_notice_url(),
        },
        status=status,
    )


@never_cache
@require_GET
def signup_sent(request: HttpRequest, slug: str) -> HttpResponse:
    newsletter = _open_newsletter(slug)
    if newsletter.audience != Newsletter.Audience.OPEN:
        raise Http404(_("There is no such newsletter."))
    return render(
        request,
        "newsletters/public/signup_sent.html",
        {
            "newsletter": newsletter,
            "confirm_hours": settings.NEWSLETTER_CONFIRM_HOURS,
            "next": internal_path_or_empty(request.GET.get("next")),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    newsletter = _open_newsletter(slug)
    checked = tokens.confirm_check(token, newsletter_id=newsletter.pk)
    if checked.problem:
        return link_problem(request, checked.problem, signup=newsletter)
    context = {"newsletter": newsletter}
    if request.method == "GET":
        return render(request, "newsletters/public/confirm.html", context)
    outcome = services.open_signup_confirm(
        newsletter=newsletter,
        subscriber_id=checked.subscriber_id,  # type: ignore[arg-type]
        requested=checked.requested,  # type: ignore[arg-type]
        signed_in=request.user if verified_addresses.session_proves_account(request) else None,
    )
    if outcome == services.ConfirmOutcome.STALE:
        return link_problem(request, "used", signup=newsletter)
    return render(request, "newsletters/public/confirmed.html", context)


def _subscriber(
    request: HttpRequest,
    slug: str,
    token: str,
    *,
    check: Callable[..., tokens.OpenChecked],
) -> tuple[Newsletter, OpenSubscriber | None, HttpResponse | None]:
    """The list, the row the token names (None if it has gone), or why the link fails."""
    newsletter = _open_newsletter(slug)
    checked = check(token, newsletter_id=newsletter.pk)
    if checked.problem:
        return newsletter, None, link_problem(request, checked.problem)
    subscriber = OpenSubscriber.objects.filter(
        pk=checked.subscriber_id, newsletter=newsletter
    ).first()
    return newsletter, subscriber, None


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def open_unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    newsletter = _open_newsletter(slug)
    checked = tokens.open_unsubscribe_check(token, newsletter_id=newsletter.pk)
    if checked.problem:
        return link_problem(request, checked.problem)
    subscriber_id: int = checked.subscriber_id  # type: ignore[assignment]
    context = {"newsletter": newsletter, "preferences_url": None}
    if request.method == "GET":
        return render(request, "newsletters/public/unsubscribe.html", context)
    # The row may have gone: erased (nothing left to stop), or carried over to the
    # account its address proved to be (then the account's subscription stops).
    services.open_subscriber_unsubscribe(
        subscriber_id=subscriber_id, newsletter=newsletter, source=SOURCE_ONE_CLICK
    )
    if OpenSubscriber.objects.filter(pk=subscriber_id, newsletter=newsletter).exists():
        context["preferences_url"] = rendering.open_preferences_url(
            subscriber_id=subscriber_id, newsletter=newsletter
        )
    return render(request, "newsletters/public/unsubscribed.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def open_preferences(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """An account-less subscriber's choices for this list (CSRF-protected like any form)."""
    newsletter, subscriber, problem = _subscriber(
        request, slug, token, check=tokens.open_preferences_check
    )
    if problem is not None:
        return problem
    if subscriber is None:
        return link_problem(request, "invalid")
    done = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unsubscribe":
            services.open_subscriber_unsubscribe(
                subscriber_id=subscriber.pk, newsletter=newsletter, source=SOURCE_EMAIL_LINK
            )
            done = _("You won't receive this newsletter any more.")
        elif action == "subscribe":
            services.open_subscriber_resubscribe(subscriber=subscriber, source=SOURCE_EMAIL_LINK)
            done = _("You're subscribed again.")
        elif action == "forget":
            services.open_subscriber_erase(address=subscriber.email)
            return render(request, "newsletters/public/forgotten.html", {"newsletter": newsletter})
        # Read again: the row may have gone meanwhile (carried over to the account its
        # address was just proved to be, or erased); then the link no longer works, as
        # it would not have when the page was loaded.
        subscriber = OpenSubscriber.objects.filter(pk=subscriber.pk).first()
        if subscriber is None:
            return link_problem(request, "invalid")
    return render(
        request,
        "newsletters/public/open_preferences.html",
        {
            "newsletter": newsletter,
            "subscriber": subscriber,
            "active": subscriber.status == OpenSubscriber.Status.ACTIVE,
            "done": done,
        },
    )
