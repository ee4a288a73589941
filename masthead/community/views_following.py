"""Follow, unfollow, mute and unmute a reader; follow and unfollow a conversation.

Thin views over services/following.py. Invariants:
- POST only, with a CSRF token; signed-in readers only (others are sent to sign in and
  brought back); answers are personal, never cached.
- A reader is named by their Commenter id (their public profile), a conversation by any
  of its comments' ids; ids are range-checked by the `id` converter (404 otherwise).
- Without script the reader is sent back to `next` (a path on this site only, its
  #comment anchor kept), with a message; a script asking for JSON gets the new state,
  or the refusal's message (429 with Retry-After when rate-limited).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from masthead.core.http import private_no_store

from . import selectors_following
from .models import Comment, Commenter
from .services import following as services
from .services import ratelimit
from .services.errors import CommunityError, NotAllowed, RateLimited
from .views import visible_article


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _profile_path(commenter: Commenter) -> str:
    try:
        return reverse("community:reader", args=[commenter.pk])
    except Exception:  # community-web's profile page not mounted: the front page
        return "/"


def _signed_out(request: HttpRequest, fallback: str) -> HttpResponse:
    message = _("Sign in to follow readers and conversations.")
    if _wants_json(request):
        return JsonResponse({"error": message}, status=403)
    back = _next(request, fallback)
    return redirect(f"{reverse('account_login')}?next={back}")


def _answer(
    request: HttpRequest,
    fallback: str,
    act: Callable[[], Any],
    success: str,
    state: Callable[[], dict[str, Any]],
) -> HttpResponse:
    if not request.user.is_authenticated:
        return _signed_out(request, fallback)
    try:
        act()
    except CommunityError as error:
        status = 403 if isinstance(error, NotAllowed) else 400
        if isinstance(error, RateLimited):
            status = 429
        if _wants_json(request):
            response = JsonResponse(
                {"error": error.message, "message": error.message, "code": error.code},
                status=status,
            )
            if isinstance(error, RateLimited):
                response["Retry-After"] = str(ratelimit.retry_after_seconds(error))
            return response
        messages.error(request, error.message)
        return redirect(_next(request, fallback))
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": success, **state()})
    messages.success(request, success)
    return redirect(_next(request, fallback))


def _reader_action(name: str) -> Callable[[HttpRequest, int], HttpResponse]:
    @private_no_store
    @require_POST
    def view(request: HttpRequest, commenter_id: int) -> HttpResponse:
        commenter = get_object_or_404(Commenter.objects.select_related("user"), pk=commenter_id)
        other, me = commenter.user, request.user
        calls = {
            "follow": (
                lambda: services.follow(follower=me, followee=other),
                _("You follow %(name)s now. Their new comments appear in your Following feed."),
            ),
            "unfollow": (
                lambda: services.unfollow(follower=me, followee=other),
                _("You no longer follow %(name)s."),
            ),
            "mute": (
                lambda: services.mute(muter=me, muted=other),
                _("You muted %(name)s. Their comments are collapsed for you."),
            ),
            "unmute": (
                lambda: services.unmute(muter=me, muted=other),
                _("You unmuted %(name)s."),
            ),
        }
        act, wording = calls[name]

        def state() -> dict[str, Any]:
            relations = selectors_following.relations_for(me, [other.pk])
            counts = selectors_following.follow_counts(other)
            return {
                "following": other.pk in relations.following,
                "muted": other.pk in relations.muted,
                "followers": counts.followers,
            }

        return _answer(
            request,
            _profile_path(commenter),
            act,
            wording % {"name": commenter.display_name},
            state,
        )

    view.__name__ = f"reader_{name}"
    return view


follow = _reader_action("follow")
unfollow = _reader_action("unfollow")
mute = _reader_action("mute")
unmute = _reader_action("unmute")


def _thread_action(following: bool) -> Callable[[HttpRequest, int], HttpResponse]:
    @private_no_store
    @require_POST
    def view(request: HttpRequest, comment_id: int) -> HttpResponse:
        comment = get_object_or_404(Comment.objects.select_related("conversation"), pk=comment_id)
        me = request.user
        if following:
            # only threads on articles anyone may see (404 as the article itself would be)
            visible_article(comment.conversation.page_id)
            act = lambda: services.thread_follow(user=me, comment=comment)  # noqa: E731
            wording = _("You follow this conversation now. We'll tell you of new replies.")
        else:
            act = lambda: services.thread_unfollow(user=me, comment=comment)  # noqa: E731
            wording = _("You no longer follow this conversation.")
        root_id = comment.root_id or comment.pk
        return _answer(
            request,
            _comment_fallback(comment),
            act,
            wording,
            lambda: {
                "following": root_id in selectors_following.followed_thread_ids(me, [root_id])
            },
        )

    view.__name__ = "thread_follow" if following else "thread_unfollow"
    return view


def _comment_fallback(comment: Comment) -> str:
    try:
        return reverse("community:comment", args=[comment.pk])
    except Exception:  # community-web's permalink not mounted: the front page
        return "/"


thread_follow = _thread_action(True)
thread_unfollow = _thread_action(False)
