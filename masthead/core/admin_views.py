"""Staff's view of email delivery in Wagtail's admin: what failed, what is retrying.

Invariant: only staff who may change outbox emails (superusers, or the
`core.change_outboxemail` permission) see the list or retry; a retry is a POST that
goes through `outbox.email_retry`, which only ever requeues a failed email.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import outbox
from .models import OutboxEmail, OutboxStatus

LISTED = 200


def may_manage(user: object) -> bool:
    return bool(getattr(user, "is_active", False)) and (
        getattr(user, "is_superuser", False) or user.has_perm("core.change_outboxemail")  # type: ignore[attr-defined]
    )


@user_passes_test(may_manage)
def outbox_report(request: HttpRequest) -> HttpResponse:
    failed = OutboxEmail.objects.filter(status=OutboxStatus.FAILED).order_by("-created_at")
    retrying = OutboxEmail.objects.filter(status=OutboxStatus.QUEUED, attempts__gt=0).order_by(
        "next_attempt_at"
    )
    return render(
        request,
        "core/admin/outbox.html",
        {
            "page_title": _("Email delivery"),
            "failed": failed[:LISTED],
            "failed_count": failed.count(),
            "retrying": retrying[:LISTED],
            "retrying_count": retrying.count(),
        },
    )


@require_POST
@user_passes_test(may_manage)
def outbox_retry(request: HttpRequest, email_id: int) -> HttpResponse:
    if outbox.email_retry(email_id=email_id):
        messages.success(request, _("The email will be sent again."))
    else:
        messages.error(request, _("That email has not failed, so there is nothing to retry."))
    return redirect("core_outbox_report")
