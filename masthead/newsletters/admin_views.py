"""Sending an issue from Wagtail's admin: preview, test send, send or schedule, progress.

Invariants:
- Only staff who may send issues (superusers, or `newsletters.send_newsletterissue`)
  reach these views; every action is a POST with a CSRF token and goes through
  `sending` (which refuses a second send of the same issue).
- The previews are the issue exactly as a reader gets it (the same rendering), with
  the editor's own name and links in the placeholders; the HTML preview is sandboxed,
  so nothing in it runs in the admin's origin.
- The progress endpoint only reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from masthead.content.models import SectionPage

from . import rendering, sending, services
from .models import NewsletterIssue, Send, SendStatus

logger = logging.getLogger("masthead.newsletters.sending")


def may_send(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and (
        getattr(user, "is_superuser", False) or user.has_perm("newsletters.send_newsletterissue")
    )


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        help_text=gettext_lazy("In the newsroom's time zone."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={
            "required": gettext_lazy("Choose the date and time to send the issue."),
            "invalid": gettext_lazy("Enter a date and time, such as 2026-12-01 07:00."),
        },
    )

    def clean_when(self) -> dt.datetime:
        when = self.cleaned_data["when"]
        if when <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return when


class FillForm(forms.Form):
    section = forms.ModelChoiceField(
        label=gettext_lazy("Section"),
        queryset=SectionPage.objects.live().order_by("path"),
        error_messages={
            "required": gettext_lazy("Choose the section to take articles from."),
            "invalid_choice": gettext_lazy("That section is not published; choose another."),
        },
    )
    count = forms.IntegerField(
        label=gettext_lazy("How many"),
        initial=5,
        min_value=1,
        max_value=20,
        error_messages={
            "required": gettext_lazy("Say how many articles to add, from 1 to 20."),
            "invalid": gettext_lazy("Say how many articles to add, from 1 to 20."),
            "min_value": gettext_lazy("Say how many articles to add, from 1 to 20."),
            "max_value": gettext_lazy("Say how many articles to add, from 1 to 20."),
        },
    )


def _issue(issue_id: int) -> NewsletterIssue:
    return get_object_or_404(NewsletterIssue.objects.select_related("newsletter"), pk=issue_id)


def _copy_for_editor(issue: NewsletterIssue, user: Any) -> Any:
    return rendering.copy_for(
        rendering.issue_rendered(issue),
        newsletter=issue.newsletter,
        user_id=user.pk,
        address=user.email,
        first_name=user.first_name,
        issue_id=issue.pk,
    )


def _page(
    request: HttpRequest,
    issue: NewsletterIssue,
    form: ScheduleForm | None = None,
    fill_form: FillForm | None = None,
) -> HttpResponse:
    send = Send.objects.filter(issue=issue).first()
    return render(
        request,
        "newsletters/admin/send.html",
        {
            "page_title": _("Send “%(subject)s”") % {"subject": issue.subject},
            "issue": issue,
            "send": send,
            "progress": sending.send_progress(send) if send else None,
            "form": form or ScheduleForm(),
            "fill_form": fill_form or FillForm(),
            "articles": rendering.issue_articles(issue),
        },
        status=400 if any(f is not None and f.errors for f in (form, fill_form)) else 200,
    )


@never_cache
@require_GET
@user_passes_test(may_send)
def issue_send_page(request: HttpRequest, issue_id: int) -> HttpResponse:
    return _page(request, _issue(issue_id))


@never_cache
@require_GET
@user_passes_test(may_send)
def issue_preview(request: HttpRequest, issue_id: int, kind: str) -> HttpResponse:
    copy = _copy_for_editor(_issue(issue_id), request.user)
    if kind == "text":
        return HttpResponse(copy.body, content_type="text/plain; charset=utf-8")
    response = HttpResponse(copy.alternatives[0][0], content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    )
    return response


@require_POST
@user_passes_test(may_send)
def issue_test_send(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = _issue(issue_id)
    if not request.user.email:
        messages.error(request, _("Your account has no email address to send the test to."))
        return redirect("newsletters_admin_send", issue.pk)
    copy = _copy_for_editor(issue, request.user)
    copy.subject = _("[Test] %(subject)s") % {"subject": copy.subject}
    try:
        copy.send(fail_silently=False)
    except Exception as error:
        logger.warning("test send of issue %s failed", issue.pk, exc_info=True)
        messages.error(
            request,
            _("The mail server did not take the test email: %(error)s") % {"error": error},
        )
    else:
        messages.success(
            request,
            _("A test copy is on its way to %(address)s.") % {"address": request.user.email},
        )
    return redirect("newsletters_admin_send", issue.pk)


@require_POST
@user_passes_test(may_send)
def issue_send(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = _issue(issue_id)
    when = None
    if request.POST.get("action") == "schedule":
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return _page(request, issue, form)
        when = form.cleaned_data["when"]
    try:
        sending.send_start(issue=issue, by=request.user, when=when)
    except sending.SendRefused as refused:
        messages.error(request, str(refused))
    else:
        if when:
            messages.success(request, _("The issue is scheduled."))
        else:
            messages.success(request, _("The issue is being sent."))
    return redirect("newsletters_admin_send", issue.pk)


@never_cache
@require_GET
@user_passes_test(may_send)
def send_progress(request: HttpRequest, issue_id: int) -> JsonResponse:
    send = get_object_or_404(Send, issue_id=issue_id)
    return JsonResponse(sending.send_progress(send))


@require_POST
@user_passes_test(may_send)
def send_control(request: HttpRequest, issue_id: int) -> HttpResponse:
    send = get_object_or_404(Send, issue_id=issue_id)
    action = request.POST.get("action")
    done = {
        "pause": sending.send_pause,
        "resume": sending.send_resume,
        "cancel": sending.send_cancel,
    }.get(action or "")
    if done is None:
        messages.error(request, _("Unknown action: choose pause, resume or cancel."))
    elif done(send=send):
        messages.success(
            request,
            {
                "pause": _("Sending is paused."),
                "resume": _("Sending has resumed."),
                "cancel": _("The send is cancelled; no more copies will go out."),
            }[action],  # type: ignore[index]
        )
    else:
        send.refresh_from_db()
        messages.error(
            request,
            _("That cannot be done while the send is %(status)s.")
            % {"status": SendStatus(send.status).label.lower()},
        )
    return redirect("newsletters_admin_send", issue_id)


@require_POST
@user_passes_test(may_send)
def issue_fill(request: HttpRequest, issue_id: int) -> HttpResponse:
    """Add the newest articles of a section to the issue (editors still order them)."""
    issue = _issue(issue_id)
    form = FillForm(request.POST)
    if not form.is_valid():
        return _page(request, issue, fill_form=form)
    try:
        added = services.issue_fill_from_section(
            issue=issue, section=form.cleaned_data["section"], count=form.cleaned_data["count"]
        )
    except services.IssueLocked as locked:
        messages.error(request, str(locked))
    else:
        if added:
            messages.success(
                request,
                ngettext(
                    "Added %(count)d article from %(section)s.",
                    "Added %(count)d articles from %(section)s.",
                    added,
                )
                % {"count": added, "section": form.cleaned_data["section"].title},
            )
        else:
            messages.warning(
                request, _("Every live article in that section is already in the issue.")
            )
    return redirect("newsletters_admin_send", issue.pk)
