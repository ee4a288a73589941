"""The conversation's pages and actions: thin views over the community's services.

Invariants:
- Whoever may see an article's page may see its comments: the article must be live and
  under no view restriction, else 404. Posting, replying and editing need a signed-in
  reader with a verified address who may read the article in full (access.api decides,
  without drawing on any allowance); liking and reporting need a signed-in reader.
- A request without a session cookie is answered without loading the session (so it
  does not vary on Cookie) and shows no form and no CSRF token: the conversation's
  anonymous pages are the same for everyone and are shared-cacheable for
  ANONYMOUS_MAX_AGE seconds (the first page is purged when it changes, see purging.py).
  Everything a signed-in reader gets is private and never stored.
- Every action is a POST with CSRF; junk ids are 404s (core.numbers); every refusal
  says why, in the service's own words, and keeps what the reader typed.
- Scripts (conversation.js) send `X-Conversation: fragment`: a success answers 204
  with X-Comment-Id, a like answers JSON, a refusal answers 4xx JSON {"message"}.
  Without a script the same actions redirect or render the page with the message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from masthead.access.api import article_access
from masthead.content.models import ArticlePage
from masthead.core.http import private_no_store
from masthead.core.middleware import has_session_cookie

from .closing import is_open
from .config import community_settings
from .models import Comment, Commenter, CommenterStatus, CommentStatus, Conversation, ReportReason
from .selectors import (
    SORTS,
    ConversationView,
    Node,
    conversation_view,
    new_comments,
    new_since,
    thread_view,
)
from .services import posting, reactions, reports
from .services.errors import Closed, CommunityError, InvalidInput, NotAllowed, RateLimited

# Threads per page of the conversation (each with up to selectors.REPLIES_PER_THREAD
# replies): small enough that the first page stays well under 100 KB of HTML.
PAGE_SIZE = 10
# Seconds a shared cache (and a browser) may keep an anonymous conversation page.
ANONYMOUS_MAX_AGE = 15
ANONYMOUS_SHARED_MAX_AGE = 30
FRAGMENT_HEADER = "X-Conversation"


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "fragment"


def visible_article(article_id: int) -> ArticlePage:
    """The live, unrestricted article, or 404 (the page itself would be one)."""
    article = ArticlePage.objects.live().public().filter(pk=article_id).select_related(None).first()
    if article is None:
        raise Http404
    return article


def conversation_of(article: Any) -> Conversation | None:
    return Conversation.objects.filter(page_id=article.pk).first()


def comments_closed(article: Any, conversation: Conversation | None, config: Any) -> bool:
    """Closed by the article's own switch, by an editor, or by age (closing.is_open)."""
    if not getattr(article, "comments_open", True):
        return True
    return not is_open(article, conversation, config, timezone.now())


def signed_in_user(request: HttpRequest) -> Any | None:
    """The signed-in reader, without loading the session when there is no cookie."""
    if not has_session_cookie(request):
        return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@dataclass
class Viewer:
    """What the conversation's templates know of the reader looking at it."""

    user: Any = None
    commenter_id: int | None = None
    reads_in_full: bool = False
    can_post: bool = False
    why_not: str = ""
    why_not_link: str = ""
    why_not_link_text: str = ""
    editable_ids: set[int] = field(default_factory=set)
    # Where a form without script comes back to (its #comment anchor is added).
    back: str = ""

    @property
    def is_anonymous(self) -> bool:
        return self.user is None


def make_viewer(request: HttpRequest, article: Any | None) -> Viewer:
    user = signed_in_user(request)
    if user is None:
        return Viewer()
    commenter = Commenter.objects.filter(user=user).first()
    viewer = Viewer(
        user=user, commenter_id=commenter.pk if commenter else None, back=request.get_full_path()
    )
    if article is None:
        return viewer
    viewer.reads_in_full = article_access(
        request=request, article=article, countable=False
    ).decision.full
    if commenter is not None and commenter.status == CommenterStatus.BANNED:
        viewer.why_not = _("Your account may no longer comment.")
    elif (
        commenter is not None
        and commenter.status == CommenterStatus.SUSPENDED
        and commenter.suspended_until
        and commenter.suspended_until > timezone.now()
    ):
        viewer.why_not = _("You may comment again from %(when)s.") % {
            "when": timezone.localtime(commenter.suspended_until).strftime("%d %B %Y, %H:%M")
        }
    elif not EmailAddress.objects.filter(user=user, verified=True).exists():
        viewer.why_not = _("Confirm your email address to join the conversation.")
        viewer.why_not_link = reverse("account_email")
        viewer.why_not_link_text = _("Confirm it now")
    elif not viewer.reads_in_full:
        viewer.why_not = _("Readers who can read this article in full can comment on it.")
    else:
        viewer.can_post = True
    return viewer


def mark_editable(viewer: Viewer, nodes: list[Node], config: Any) -> None:
    """The viewer's own comments still inside the edit window (the Edit link)."""
    if viewer.user is None:
        return
    now = timezone.now()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.own and posting.can_edit(viewer.user, node.comment, config, now):
            viewer.editable_ids.add(node.comment.pk)


def _cache_for(request: HttpRequest, response: HttpResponse, viewer: Viewer) -> HttpResponse:
    if viewer.user is None and not has_session_cookie(request):
        patch_cache_control(
            response,
            public=True,
            max_age=ANONYMOUS_MAX_AGE,
            s_maxage=ANONYMOUS_SHARED_MAX_AGE,
        )
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response


def _refusal(request: HttpRequest, error: CommunityError, status: int = 400) -> HttpResponse:
    response = JsonResponse({"message": error.message, "code": error.code}, status=status)
    if isinstance(error, RateLimited):
        seconds = max(1, int((error.retry_at - timezone.now()).total_seconds()))
        response["Retry-After"] = str(seconds)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _status_for(error: CommunityError) -> int:
    if isinstance(error, RateLimited):
        return 429
    if isinstance(error, NotAllowed | Closed):
        return 403
    return 400


def _comment_or_404(comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_related("author", "conversation", "parent__author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        raise Http404
    return comment


def _published_comment_or_404(comment_id: int) -> Comment:
    """A published comment on an article the reader may see (what one likes or reports)."""
    comment = _comment_or_404(comment_id)
    visible_article(comment.conversation.page_id)
    if comment.status != CommentStatus.PUBLISHED:
        raise Http404
    return comment


def _back_to(comment: Comment) -> HttpResponse:
    """Back to the comment on its own page (where a reader without script returns)."""
    return redirect(reverse("community:comment", args=[comment.pk]) + f"#comment-{comment.pk}")


_LINKS: dict[str, str] = {}


def comment_links() -> dict[str, str]:
    """Address prefixes the comment template appends ids to ("/community/comments/"),
    worked out once: reversing six routes for each of fifty comments was a tenth of
    the first page's rendering."""
    if not _LINKS:
        for name in ("comment", "reader"):
            url = reverse(f"community:{name}", args=[1])
            _LINKS[name] = url[: -len("1/")]
    return _LINKS


def _conversation_urls(article_id: int) -> tuple[str, str]:
    return (
        reverse("community:conversation", args=[article_id]),
        reverse("community:conversation-fragment", args=[article_id]),
    )


def _tabs(article_id: int, sort: str, featured: bool) -> list[dict[str, Any]]:
    page, fragment = _conversation_urls(article_id)
    labels = {"newest": _("Newest"), "oldest": _("Oldest"), "liked": _("Most liked")}
    tabs = []
    for key in SORTS:
        query = "" if key == "newest" else "?" + urlencode({"sort": key})
        tabs.append(
            {
                "label": labels[key],
                "href": page + query,
                "fragment": fragment + query,
                "current": not featured and sort == key,
            }
        )
    query = "?" + urlencode({"tab": "featured"})
    tabs.append(
        {
            "label": _("Featured"),
            "href": page + query,
            "fragment": fragment + query,
            "current": featured,
        }
    )
    return tabs


def conversation_context(
    request: HttpRequest, article: Any, *, viewer: Viewer | None = None, **extra: Any
) -> dict[str, Any]:
    """Everything includes/conversation.html shows, for one page of threads.
    Raises InvalidInput for a damaged cursor or an unknown sort (a 400 with its words)."""
    sort = request.GET.get("sort") or "newest"
    featured = request.GET.get("tab") == "featured"
    viewer = viewer or make_viewer(request, article)
    config = community_settings(article)
    view: ConversationView = conversation_view(
        page=article,
        viewer=viewer.user,
        sort=sort,
        cursor=request.GET.get("after") or None,
        featured=featured,
        limit=PAGE_SIZE,
    )
    closed = not view.is_open or not getattr(article, "comments_open", True)
    if closed:
        viewer.can_post = False
    mark_editable(viewer, view.threads, config)
    page_url, fragment_url = _conversation_urls(article.pk)
    more_href = more_fragment = ""
    if view.next_cursor:
        params: dict[str, str] = {"after": view.next_cursor}
        if featured:
            params["tab"] = "featured"
        elif sort != "newest":
            params["sort"] = sort
        query = "?" + urlencode(params)
        more_href, more_fragment = page_url + query, fragment_url + query
    article_url = article.url or "/"
    if wants_fragment(request):  # shown inside the article page: come back there
        viewer.back = article_url
    next_param = quote(article_url + "#comments", safe="/#")
    return {
        "conversation_article": article,
        "article_url": article_url,
        "links": comment_links(),
        "post_url": reverse("community:post", args=[article.pk]),
        "conversation_count": view.count,
        "closed": closed,
        "viewer": viewer,
        "nodes": view.threads,
        "featured": featured,
        "sort": sort,
        "tabs": _tabs(article.pk, sort, featured),
        "more_href": more_href,
        "more_fragment": more_fragment,
        "count_url": _count_url(article.pk, view.loaded_at),
        "new_href": page_url,
        "new_fragment": reverse("community:new-comments", args=[article.pk]),
        "max_length": config.max_comment_length,
        "signin_url": reverse("account_login") + "?next=" + next_param,
        "register_url": reverse("account_signup") + "?next=" + next_param,
        **extra,
    }


def _bad_request(request: HttpRequest, error: CommunityError) -> HttpResponse:
    if wants_fragment(request):
        return _refusal(request, error, 400)
    response = render(request, "community/problem.html", {"message": error.message}, status=400)
    patch_cache_control(response, private=True, no_store=True)
    return response


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
def _conversation(request: HttpRequest, article_id: int, template: str) -> HttpResponse:
    article = visible_article(article_id)
    try:
        context = conversation_context(request, article)
    except InvalidInput as error:
        return _bad_request(request, error)
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex"
    return _cache_for(request, response, context["viewer"])


@require_http_methods(["GET", "HEAD"])
def conversation_page(request: HttpRequest, article_id: int) -> HttpResponse:
    """The conversation on a page of its own (the no-script way in)."""
    return _conversation(request, article_id, "community/conversation_page.html")


@require_http_methods(["GET", "HEAD"])
def conversation_fragment(request: HttpRequest, article_id: int) -> HttpResponse:
    """The conversation as the article page's script loads it under the article."""
    return _conversation(request, article_id, "community/conversation_fragment.html")


def _since(request: HttpRequest) -> dt.datetime | None:
    raw = request.GET.get("since", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 11:
        return None
    return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)


def _bad_since(request: HttpRequest) -> HttpResponse:
    error = InvalidInput(_("Give the time the page loaded, in seconds."), code="since")
    return _refusal(request, error, 400)


def _count_url(article_id: int, loaded_at: dt.datetime) -> str:
    return (
        reverse("community:new-count", args=[article_id])
        + "?"
        + urlencode({"since": int(loaded_at.timestamp())})
    )


@require_http_methods(["GET", "HEAD"])
def new_comments_count(request: HttpRequest, article_id: int) -> HttpResponse:
    """How many comments were published since `since` (unix seconds, the time the
    reader's page was built): the "N new comments" button. Anonymous answers are
    shared-cacheable for a few seconds."""
    article = visible_article(article_id)
    since = _since(request)
    if since is None:
        return _bad_since(request)
    user = signed_in_user(request)
    count = new_since(page=article, since=since, viewer=user)
    label = ngettext("Show %(n)d new comment", "Show %(n)d new comments", count) % {"n": count}
    response = JsonResponse({"count": count, "label": label})
    return _cache_for(request, response, Viewer(user=user))


@require_http_methods(["GET", "HEAD"])
def new_comments_fragment(request: HttpRequest, article_id: int) -> HttpResponse:
    """The comments published since `since`, for the script to slot in where each
    belongs (the "N new comments" button; without a script that button is a link to the
    conversation's newest page)."""
    article = visible_article(article_id)
    since = _since(request)
    if since is None:
        return _bad_since(request)
    viewer = make_viewer(request, article)
    config = community_settings(article)
    if comments_closed(article, conversation_of(article), config):
        viewer.can_post = False
    viewer.back = article.url or "/"
    fresh = new_comments(page=article, since=since, viewer=viewer.user)
    added = len(fresh.nodes)
    response = render(
        request,
        "community/includes/new_comments.html",
        {
            "nodes": fresh.nodes,
            "more": fresh.more,
            "conversation_count": fresh.count,
            "count_url": _count_url(article.pk, fresh.loaded_at),
            "announce": ngettext("%(n)d new comment added.", "%(n)d new comments added.", added)
            % {"n": added},
            "links": comment_links(),
            "post_url": reverse("community:post", args=[article.pk]),
            "viewer": viewer,
        },
    )
    return _cache_for(request, response, viewer)


@require_http_methods(["GET", "HEAD"])
def comment_permalink(request: HttpRequest, comment_id: int) -> HttpResponse:
    """A comment's own address: its whole thread, on a page of its own."""
    comment = _comment_or_404(comment_id)
    article = visible_article(comment.conversation.page_id)
    viewer = make_viewer(request, article)
    thread = thread_view(comment_id=comment.pk, viewer=viewer.user)
    if thread is None:
        raise Http404
    config = community_settings(article)
    if comments_closed(article, conversation_of(article), config):
        viewer.can_post = False
    mark_editable(viewer, [thread.root], config)
    response = render(
        request,
        "community/comment_page.html",
        {
            "conversation_article": article,
            "article_url": article.url or "/",
            "conversation_url": reverse("community:conversation", args=[article.pk]),
            "links": comment_links(),
            "post_url": reverse("community:post", args=[article.pk]),
            "nodes": [thread.root],
            "viewer": viewer,
            "highlight": thread.target_id,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return _cache_for(request, response, viewer)


# --------------------------------------------------------------------------------------
# Posting and replying
# --------------------------------------------------------------------------------------
def _signed_in_or_login(request: HttpRequest) -> HttpResponse | None:
    if signed_in_user(request) is None:
        if wants_fragment(request):
            return JsonResponse({"message": _("Sign in to do that.")}, status=403)
        return redirect(reverse("account_login") + "?next=" + quote(request.path, safe="/"))
    return None


@private_no_store
@require_POST
def post_comment(request: HttpRequest, article_id: int) -> HttpResponse:
    """Post a comment, or with `parent` a reply, to an article's conversation."""
    article = visible_article(article_id)
    if (refused := _signed_in_or_login(request)) is not None:
        return refused
    viewer = make_viewer(request, article)
    body = request.POST.get("body", "")
    display_name = request.POST.get("display_name", "")
    parent = None
    parent_raw = request.POST.get("parent", "")
    if parent_raw:
        from masthead.core.numbers import parse_id

        parent_id = parse_id(parent_raw)
        parent = (
            Comment.objects.filter(
                pk=parent_id, conversation__page_id=article.pk, status=CommentStatus.PUBLISHED
            )
            .select_related("author")
            .first()
            if parent_id
            else None
        )
        if parent is None:
            error = CommunityError(_("The comment you replied to is gone."), code="parent_gone")
            return _refuse_post(request, article, viewer, error, body, display_name, None)
    config = community_settings(article)
    if comments_closed(article, conversation_of(article), config):
        error = Closed(_("Comments are closed on this article."), code="closed")
        return _refuse_post(request, article, viewer, error, body, display_name, parent)
    try:
        comment = posting.comment_post(
            user=viewer.user,
            page=article,
            body=body,
            parent=parent,
            reads_in_full=viewer.reads_in_full,
            display_name=display_name or None,
        )
    except CommunityError as error:
        return _refuse_post(request, article, viewer, error, body, display_name, parent)
    note = ""
    if comment.status == CommentStatus.PENDING:
        note = _(
            "Thank you. Your comment is waiting for a moderator; only you can see it until then."
        )
    if wants_fragment(request):
        response = HttpResponse(status=204)
        response["X-Comment-Id"] = str(comment.pk)
        if note:
            response["X-Comment-Note"] = quote(note)
        return response
    if note:
        messages.info(request, note)
    return _back_to(comment)


def _refuse_post(
    request: HttpRequest,
    article: Any,
    viewer: Viewer,
    error: CommunityError,
    body: str,
    display_name: str,
    parent: Comment | None,
    status: int | None = None,
) -> HttpResponse:
    status = status or _status_for(error)
    if wants_fragment(request):
        return _refusal(request, error, status)
    extra = {"form_error": error.message, "typed_body": body, "typed_name": display_name}
    try:
        conversation = conversation_context(request, article, viewer=viewer)
    except InvalidInput as bad:
        return _bad_request(request, bad)
    if parent is not None:
        context = {
            **conversation,
            **extra,
            "parent": parent,
            "conversation_url": reverse("community:conversation", args=[article.pk]),
        }
        response = render(request, "community/reply_page.html", context, status=status)
    else:
        context = {**conversation, **extra}
        response = render(request, "community/conversation_page.html", context, status=status)
    if isinstance(error, RateLimited):
        seconds = max(1, int((error.retry_at - timezone.now()).total_seconds()))
        response["Retry-After"] = str(seconds)
    return response


@private_no_store
@require_http_methods(["GET", "HEAD"])
def reply_page(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The reply form on a page of its own (the "Reply" link without a script)."""
    parent = _comment_or_404(comment_id)
    if parent.status != CommentStatus.PUBLISHED:
        raise Http404
    article = visible_article(parent.conversation.page_id)
    if (refused := _signed_in_or_login(request)) is not None:
        return refused
    try:
        conversation = conversation_context(request, article)
    except InvalidInput as error:
        return _bad_request(request, error)
    context = {
        **conversation,
        "parent": parent,
        "conversation_url": reverse("community:conversation", args=[article.pk]),
    }
    if not context["viewer"].can_post:
        context["form_error"] = context["viewer"].why_not or _(
            "Comments are closed on this article."
        )
    return render(request, "community/reply_page.html", context)


# --------------------------------------------------------------------------------------
# Editing, deleting, liking, reporting
# --------------------------------------------------------------------------------------
def _own_comment(request: HttpRequest, comment_id: int) -> tuple[Comment, Viewer]:
    comment = _comment_or_404(comment_id)
    article = visible_article(comment.conversation.page_id)
    viewer = make_viewer(request, article)
    if not viewer.commenter_id or comment.author_id != viewer.commenter_id:
        raise Http404  # never confirm that someone else's comment can be changed
    return comment, viewer


@private_no_store
@require_http_methods(["GET", "HEAD", "POST"])
def edit_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if (refused := _signed_in_or_login(request)) is not None:
        return refused
    comment, viewer = _own_comment(request, comment_id)
    article = comment.conversation.page
    config = community_settings(article)
    edit_until = comment.created + dt.timedelta(minutes=config.edit_window_minutes)
    context: dict[str, Any] = {
        "comment": comment,
        "typed_body": comment.body,
        "edit_until": timezone.localtime(edit_until),
        "max_length": config.max_comment_length,
    }
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            posting.comment_edit(user=viewer.user, comment=comment, body=body)
        except CommunityError as error:
            if wants_fragment(request):
                return _refusal(request, error, _status_for(error))
            context.update(form_error=error.message, typed_body=body)
            return render(
                request, "community/comment_edit.html", context, status=_status_for(error)
            )
        if wants_fragment(request):
            response = HttpResponse(status=204)
            response["X-Comment-Id"] = str(comment.pk)
            return response
        return _back_to(comment)
    if timezone.now() > edit_until:
        context["form_error"] = _("The time for editing this comment is over.")
    return render(request, "community/comment_edit.html", context)


@private_no_store
@require_http_methods(["GET", "HEAD", "POST"])
def delete_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if (refused := _signed_in_or_login(request)) is not None:
        return refused
    comment, viewer = _own_comment(request, comment_id)
    if comment.status == CommentStatus.DELETED:
        raise Http404
    if request.method == "POST":
        try:
            posting.comment_delete(user=viewer.user, comment=comment)
        except CommunityError as error:
            if wants_fragment(request):
                return _refusal(request, error, _status_for(error))
            return render(
                request,
                "community/comment_delete.html",
                {"comment": comment, "form_error": error.message},
                status=_status_for(error),
            )
        if wants_fragment(request):
            response = HttpResponse(status=204)
            response["X-Comment-Id"] = str(comment.pk)
            return response
        messages.info(request, _("Your comment was deleted."))
        return _back_to(comment)
    return render(request, "community/comment_delete.html", {"comment": comment})


@private_no_store
@require_POST
def like_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if (refused := _signed_in_or_login(request)) is not None:
        return refused
    comment = _published_comment_or_404(comment_id)
    user = signed_in_user(request)
    action = request.POST.get("action", "like")
    try:
        if action == "unlike":
            liked, count = False, reactions.comment_unlike(user=user, comment=comment)
        else:
            liked, count = True, reactions.comment_like(user=user, comment=comment)
    except CommunityError as error:
        if wants_fragment(request):
            return _refusal(request, error, _status_for(error))
        messages.error(request, error.message)
        return _back_to(comment)
    if wants_fragment(request):
        return JsonResponse({"liked": liked, "count": count})
    return _back_to(comment)


@private_no_store
@require_http_methods(["GET", "HEAD", "POST"])
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if (refused := _signed_in_or_login(request)) is not None:
        return refused
    comment = _published_comment_or_404(comment_id)
    user = signed_in_user(request)
    context: dict[str, Any] = {
        "comment": comment,
        "reasons": ReportReason.choices,
        "typed_reason": "",
        "typed_text": "",
    }
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        text = request.POST.get("text", "")
        context.update(typed_reason=reason, typed_text=text)
        try:
            reports.comment_report(user=user, comment=comment, reason=reason, text=text)
        except CommunityError as error:
            if wants_fragment(request):
                return _refusal(request, error, _status_for(error))
            context["form_error"] = error.message
            return render(
                request, "community/comment_report.html", context, status=_status_for(error)
            )
        messages.info(request, _("Thank you. A moderator will look at the comment."))
        return redirect(reverse("community:conversation", args=[comment.conversation.page_id]))
    return render(request, "community/comment_report.html", context)
