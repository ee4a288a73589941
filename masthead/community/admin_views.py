"""The moderation queue in Wagtail's admin: Pending, Reported, Recently decided; a page
per comment (its text, every earlier revision, its reports, the decisions about it), a
page per reader (their comments and the decisions about them, with warn, suspend, ban,
pre-moderate and notes), and opening or closing comments on an article.

Invariants:
- Views are thin: they parse with `admin_forms`, call `services.decisions` and show
  the service's message; every write is a POST (CSRF-checked by Django).
- Wagtail lets only accounts with admin access reach these URLs (others are sent to
  its sign-in); inside, anyone without the "moderate comments" permission gets a 403
  page, whatever else they may edit (`moderator_required`). Opening and closing
  comments is also open to an editor of the article (`permissions.may_close`).
- Redirects after a decision go back to the page the moderator came from only when it
  is a path on this site (`next`), else to the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import Page

from masthead.core.numbers import parse_id

from . import moderation_queue as queue
from .admin_forms import BulkForm, CloseForm, NoteOnlyForm, ReaderActionForm, RejectForm
from .models import Comment, Commenter, CommenterStatus, CommentStatus, Conversation
from .permissions import may_close, may_moderate
from .services import decisions
from .services.errors import CommunityError

PER_PAGE = 50

TABS = (
    ("pending", "community_moderation_pending"),
    ("reported", "community_moderation_reported"),
    ("decided", "community_moderation_decided"),
)


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "community/admin/forbidden.html",
        {"page_title": _("Not allowed"), "message": message},
        status=403,
    )


def moderator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_moderate(request.user):
            return forbidden(request, _("Only moderators may see and decide comments."))
        return view(request, *args, **kwargs)

    return wrapped


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _tabs(active: str) -> list[dict[str, Any]]:
    counts = queue.queue_counts()
    labels = {
        "pending": _("Pending (%(count)d)") % {"count": counts.pending},
        "reported": _("Reported (%(count)d)") % {"count": counts.reported},
        "decided": _("Recently decided"),
    }
    return [
        {"name": name, "label": labels[name], "url": reverse(url), "active": name == active}
        for name, url in TABS
    ]


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))


# -- the queue -----------------------------------------------------------------------------
@moderator_required
def queue_index(request: HttpRequest) -> HttpResponse:
    return redirect("community_moderation_pending")


def _comment_queue(request: HttpRequest, tab: str, rows: Any, title: str) -> HttpResponse:
    page = _page(request, rows)
    if tab == "reported":
        for comment in page.object_list:
            comment.report_summary = queue.report_summary(comment.open_reports)
    return render(
        request,
        "community/admin/queue.html",
        {
            "page_title": title,
            "tab": tab,
            "tabs": _tabs(tab),
            "page": page,
            "bulk_form": BulkForm(),
            "here": request.get_full_path(),
        },
    )


@moderator_required
def queue_pending(request: HttpRequest) -> HttpResponse:
    return _comment_queue(request, "pending", queue.pending_comments(), _("Pending comments"))


@moderator_required
def queue_reported(request: HttpRequest) -> HttpResponse:
    return _comment_queue(request, "reported", queue.reported_comments(), _("Reported comments"))


@moderator_required
def queue_decided(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "community/admin/decided.html",
        {
            "page_title": _("Recently decided"),
            "tab": "decided",
            "tabs": _tabs("decided"),
            "page": _page(request, queue.recent_decisions()),
        },
    )


@require_POST
@moderator_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """The list's form: one row's button (`one` = "ID:action") or the bulk action."""
    back = _next_url(request, reverse("community_moderation_pending"))
    one = request.POST.get("one", "")
    if one:
        raw_id, _sep, action = one.partition(":")
        if action == "reject":
            # A rejection needs its reason: the comment's page asks for it.
            return redirect(_comment_url(raw_id, back))
        data = {"action": action}
        raw_ids = [raw_id]
    else:
        data = request.POST
        raw_ids = request.POST.getlist("comment")
    form = BulkForm(data, comment_ids=raw_ids)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        result = decisions.comments_decide(
            actor=request.user,
            action=form.cleaned_data["action"],
            comment_ids=form.cleaned_data["comment_ids"],
            reason=form.cleaned_data.get("reason") or "",
            explanation=form.cleaned_data.get("explanation") or "",
        )
    except CommunityError as refusal:
        messages.error(request, refusal.message)
        return redirect(back)
    if result.decided:
        messages.success(
            request,
            ngettext(
                "%(count)d comment decided.", "%(count)d comments decided.", len(result.decided)
            )
            % {"count": len(result.decided)},
        )
    for pk, why in result.skipped:
        messages.warning(request, _("Comment #%(id)d skipped: %(why)s") % {"id": pk, "why": why})
    return redirect(back)


def _comment_url(raw_id: str, back: str) -> str:
    pk = parse_id(raw_id)
    if pk is None:
        raise Http404
    return reverse("community_moderation_comment", args=[pk]) + "?" + _query(back)


def _query(back: str) -> str:
    return urlencode({"next": back})


# -- one comment ---------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@moderator_required
def comment_detail(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(
        Comment.objects.select_related(
            "author__user", "conversation__page", "parent__author", "root__author"
        ),
        pk=comment_id,
    )
    back = _next_url(request, reverse("community_moderation_pending"))
    reject_form = RejectForm()
    note_form = NoteOnlyForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        form = RejectForm(request.POST) if action == "reject" else NoteOnlyForm(request.POST)
        if form.is_valid():
            try:
                _decide(request.user, comment, action, form.cleaned_data)
            except CommunityError as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(
                    request, _("Decision saved for comment #%(id)d.") % {"id": comment.pk}
                )
                return redirect(back)
        elif action == "reject":
            reject_form = form
        else:
            note_form = form
    return render(
        request,
        "community/admin/comment.html",
        {
            "page_title": _("Comment #%(id)d") % {"id": comment.pk},
            "comment": comment,
            "revisions": list(comment.revisions.order_by("-created", "-id")),
            "reports": list(
                comment.reports.select_related("reporter__commenter").order_by("-created")
            ),
            "decisions": list(
                comment.decisions.select_related("actor").order_by("-created", "-id")
            ),
            "reject_form": reject_form,
            "note_form": note_form,
            "next": back,
            "states": CommentStatus,
        },
    )


def _decide(actor: Any, comment: Comment, action: str, data: dict[str, Any]) -> None:
    decisions.comment_decide(
        actor=actor,
        action=action,
        comment=comment,
        reason=data.get("reason") or "",
        explanation=data.get("explanation") or "",
        note=data.get("note") or "",
    )


# -- one reader ----------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@moderator_required
def reader_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    commenter = get_object_or_404(Commenter.objects.select_related("user"), user_id=user_id)
    form = None
    if request.method == "POST":
        form = ReaderActionForm(request.POST)
        if form.is_valid():
            try:
                _reader_decide(request.user, commenter, form.cleaned_data)
            except CommunityError as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(request, _("Decision saved."))
                return redirect("community_moderation_reader", user_id=commenter.user_id)
    return render(
        request,
        "community/admin/reader.html",
        {
            "page_title": commenter.display_name,
            "commenter": commenter,
            "comments": queue.reader_comments(commenter),
            "decisions": queue.reader_decisions(commenter.user),
            "form": form,
            "submitted": form.data.get("action") if form is not None else "",
            "max_days": decisions.MAX_SUSPENSION_DAYS,
            "suspension_over": commenter.status == CommenterStatus.SUSPENDED
            and commenter.suspended_until is not None
            and commenter.suspended_until <= timezone.now(),
        },
        status=200 if form is None or form.is_valid() else 400,
    )


def _reader_decide(actor: Any, commenter: Commenter, data: dict[str, Any]) -> None:
    decisions.reader_decide(
        actor=actor,
        user=commenter.user,
        action=data["action"],
        reason=data.get("reason") or "",
        note=data.get("note") or "",
        days=data.get("days"),
        reject_pending=bool(data.get("reject_pending")),
        notes=data.get("notes") or "",
    )


# -- opening and closing an article's comments ---------------------------------------------
@require_http_methods(["GET", "POST"])
def conversation_toggle(request: HttpRequest, page_id: int) -> HttpResponse:
    page = get_object_or_404(Page, pk=page_id).specific_deferred
    if not may_close(request.user, page):
        return forbidden(
            request, _("Only moderators and the article's editors may open or close its comments.")
        )
    conversation = Conversation.objects.filter(page=page).first()
    closed = bool(conversation and conversation.closed)
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            decisions.conversation_set_closed(
                actor=request.user, page=page, closed=not closed, note=form.cleaned_data["note"]
            )
        except CommunityError as refusal:
            messages.error(request, refusal.message)
        else:
            done = (
                _("Comments on “%(title)s” are open again.")
                if closed
                else _("Comments on “%(title)s” are now closed.")
            )
            messages.success(request, done % {"title": page.title})
        return redirect("community_moderation_conversation", page_id=page.pk)
    return render(
        request,
        "community/admin/conversation.html",
        {
            "page_title": _("Comments on “%(title)s”") % {"title": page.title},
            "article": page,
            "conversation": conversation,
            "closed": closed,
            "form": form,
        },
    )
