"""The reader's newsletter preferences in the account area: thin views.

Invariants: signed-in readers only, every response `Cache-Control: private, no-store`
(core.account_sections.account_page); writes only through services, recorded with the
source "account" in the marketing ledger.

A reader who has not proved their address may choose newsletters here as anyone else;
the page says plainly that issues start once they confirm it (with allauth's own
"send the link again", the one the profile page uses), and lists what is waiting.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from masthead.core.account_sections import account_page, render_account_page

from . import selectors, services
from .forms import NewsletterChoiceForm

SOURCE = "account"
TITLE = gettext_lazy("Newsletters and email")


@account_page
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    choices = selectors.newsletters_for_choice(user)
    proved = selectors.verified_address(user) is not None
    if request.method == "POST":
        form = NewsletterChoiceForm(request.POST, choices=choices)
        if form.is_valid():
            chosen = form.cleaned_data["newsletters"]
            services.subscriptions_set(user=user, newsletters=chosen, source=SOURCE)
            if chosen and not proved:
                messages.success(
                    request,
                    _(
                        "Your newsletter choices have been saved. Issues start once you "
                        "confirm your email address."
                    ),
                )
            else:
                messages.success(request, _("Your newsletter choices have been saved."))
            return redirect("newsletters:preferences")
    current = [s.newsletter for s in selectors.subscriptions_for(user)]
    if request.method != "POST":
        form = NewsletterChoiceForm(initial={"newsletters": current}, choices=choices)
    return render_account_page(
        request,
        "newsletters/account/preferences.html",
        title=TITLE,
        context={
            "form": form,
            "stopped": selectors.marketing_stopped(user),
            # Kept by address: only for an address the reader has proved is theirs.
            "suppression": selectors.suppression_for(user) if proved else None,
            # Chosen, and waiting for the address to be proved (services: the rule).
            "address_proved": proved,
            "waiting": current if not proved else [],
        },
    )


@account_page
@require_POST
def suppression_lift(request: HttpRequest) -> HttpResponse:
    if services.suppression_lift(user=request.user):
        messages.success(request, _("Newsletters will reach your address again."))
    return redirect("newsletters:preferences")


@account_page
@require_POST
def marketing_switch(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "stop":
        services.marketing_stop_all(user=request.user, source=SOURCE)
        messages.success(request, _("We won't send you any marketing email."))
    elif request.POST.get("action") == "allow":
        services.marketing_resume(user=request.user, source=SOURCE)
        messages.success(
            request, _("Marketing email is allowed again. Choose the newsletters you want.")
        )
    return redirect("newsletters:preferences")
