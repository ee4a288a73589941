"""Pages reached from a newsletter without signing in: unsubscribe, preferences, the
issue in a browser. Thin views over `tokens`, `services` and `rendering`.

Invariants:
- The one-click unsubscribe (RFC 8058) acts on POST only, needs no CSRF token or
  cookie (mail providers POST it from their servers), is idempotent, and answers 200
  with a page, never a redirect. A GET only shows a page with a button, so a link
  scanner that follows every link unsubscribes nobody.
- A link acts only for the reader and the list its signed token names; a forged,
  altered, expired or other-list token changes nothing and says so (status 400).
- Nothing here is cached by a shared cache (`never_cache`): the pages are personal.
- The browser copy of an issue shows articles as headline, standfirst and link (as the
  email does): the wall is never bypassed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from . import rendering, selectors, services, tokens
from .forms import NewsletterChoiceForm
from .models import Newsletter, NewsletterIssue, SendStatus

SOURCE_ONE_CLICK = "one-click"
SOURCE_EMAIL_LINK = "email-link"

_PROBLEMS = {
    "invalid": lambda: _(
        "This link is not valid. It may have been copied incompletely. Use the link in "
        "the newsletter again, or sign in to manage your newsletters."
    ),
    "expired": lambda: _(
        "This link has expired. Use the link in a more recent newsletter, or sign in to "
        "manage your newsletters."
    ),
    "other_list": lambda: _(
        "This link belongs to another newsletter, so it cannot change this one. Use the "
        "link in the newsletter you want to leave."
    ),
    "used": lambda: _(
        "This confirmation link has already been used, or a newer one has been sent "
        "since. If you confirmed already, you're subscribed. If not, use the link in the "
        "newest email, or sign up again."
    ),
}


def link_problem(
    request: HttpRequest, problem: str, *, signup: Newsletter | None = None
) -> HttpResponse:
    """Why a link is refused (400); `signup`: an open newsletter to offer signing up to."""
    return render(
        request,
        "newsletters/public/link_problem.html",
        {"message": _PROBLEMS[problem](), "signup": signup},
        status=400,
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    # The verified token names the list; the slug in the URL is cosmetic (it may have been
    # renamed since the email went out). A bad token falls back to the slug, to say why.
    newsletter_id = tokens.unsubscribe_newsletter_id(token)
    if newsletter_id is not None:
        newsletter = Newsletter.objects.filter(pk=newsletter_id).first()
    else:
        newsletter = Newsletter.objects.filter(slug=slug).first()
    if newsletter is None:
        raise Http404(_("There is no such newsletter."))
    checked = tokens.unsubscribe_check(token, newsletter_id=newsletter.pk)
    if checked.problem:
        return link_problem(request, checked.problem)
    context = {"newsletter": newsletter, "preferences_url": None}
    if request.method == "GET":
        return render(request, "newsletters/public/unsubscribe.html", context)
    user = get_user_model().objects.filter(pk=checked.user_id).first()
    if user is not None:
        services.subscription_cancel(user=user, newsletter=newsletter, source=SOURCE_ONE_CLICK)
        # The copy went to the account's proved address: if that mailbox is subscribed
        # without an account too, this link is the only one it was sent (one copy).
        proved = selectors.verified_address(user)
        if proved:
            services.open_address_unsubscribe(
                newsletter=newsletter, address=proved, source=SOURCE_ONE_CLICK
            )
        context["preferences_url"] = rendering.preferences_url(user_id=user.pk)
    return render(request, "newsletters/public/unsubscribed.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The preference centre from an email's link (CSRF-protected like any form)."""
    checked = tokens.preferences_check(token)
    if checked.problem:
        return link_problem(request, checked.problem)
    user = get_user_model().objects.filter(pk=checked.user_id, is_active=True).first()
    if user is None:
        return link_problem(request, "invalid")
    choices = selectors.newsletters_for_choice(user)
    saved = False
    if request.method == "POST":
        form = NewsletterChoiceForm(request.POST, choices=choices)
        if form.is_valid():
            services.subscriptions_set(
                user=user, newsletters=form.cleaned_data["newsletters"], source=SOURCE_EMAIL_LINK
            )
            saved = True
    else:
        current = [s.newsletter for s in selectors.subscriptions_for(user)]
        form = NewsletterChoiceForm(initial={"newsletters": current}, choices=choices)
    return render(
        request,
        "newsletters/public/preferences.html",
        {"form": form, "saved": saved, "suppression": selectors.suppression_for(user)},
    )


@never_cache
@require_GET
def issue(request: HttpRequest, token: str) -> HttpResponse:
    """An issue that has gone out, as a web page (no personal parts).

    Found only by its signed token, never by a counted id. A members-only (registered)
    newsletter's issue is shown to a signed-in reader, or from a reader's own copy (the
    token names them and their account is active); anyone else is asked to sign in.
    """
    link = tokens.issue_check(token)
    if link is None:
        raise Http404(_("There is no such issue."))
    found = get_object_or_404(
        NewsletterIssue.objects.select_related("newsletter"),
        # Paused or cancelled part-way, some readers already have it (a scheduled send that
        # was cancelled before its list was written reached nobody).
        Q(send__status__in=[SendStatus.SENDING, SendStatus.PAUSED, SendStatus.SENT])
        | Q(send__status=SendStatus.CANCELLED, send__frozen=True),
        pk=link.issue_id,
    )
    if found.newsletter.audience == Newsletter.Audience.REGISTERED and not (
        (request.user.is_authenticated and request.user.is_active)
        or (
            link.user_id is not None
            and get_user_model().objects.filter(pk=link.user_id, is_active=True).exists()
        )
    ):
        return render(
            request,
            "newsletters/public/issue_members_only.html",
            {"newsletter": found.newsletter, "next": request.get_full_path()},
            status=403,
        )
    return render(
        request,
        "newsletters/public/issue.html",
        {
            "issue": found,
            "newsletter": found.newsletter,
            "articles": rendering.issue_articles(found),
        },
    )
