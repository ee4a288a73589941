"""Reader profiles and the Following feed.

Invariants:
- A profile shows a reader's public face only: the display name they chose, when they
  joined, their published comments (never pending, rejected, hidden or deleted ones,
  and only on articles anyone may see) and their follower counts. A banned reader's
  profile is gone (404). The reader's legal name and email never appear.
- The Following feed is the signed-in reader's own: private, never stored by a cache;
  it never shows readers they mute or deactivated accounts (selectors_following).
- Both page with a keyset cursor ("Older comments"), never OFFSET, and cost a fixed
  number of queries whatever the number of comments.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods

from masthead.core.http import private_no_store

from . import selectors, selectors_following
from .models import Commenter, CommenterStatus, Follow, Mute
from .selectors import reader_comments
from .services.errors import InvalidInput
from .views import signed_in_user

ANONYMOUS_MAX_AGE = 60


def _older_href(path: str, cursor: str | None) -> str:
    return path + "?" + urlencode({"after": cursor}) if cursor else ""


def _switch(name: str, commenter: Commenter) -> str:
    """A follow or mute switch (community-notify's routes), when that part is installed."""
    try:
        return reverse(f"community:{name}", args=[commenter.pk])
    except NoReverseMatch:
        return ""


@require_http_methods(["GET", "HEAD"])
def reader_profile(request: HttpRequest, commenter_id: int) -> HttpResponse:
    profile = selectors.reader_profile(commenter_id=commenter_id)
    if profile is None or profile.commenter.status == CommenterStatus.BANNED:
        raise Http404
    commenter = profile.commenter
    try:
        listing = reader_comments(commenter=commenter, cursor=request.GET.get("after") or None)
    except InvalidInput as error:
        return render(request, "community/problem.html", {"message": error.message}, status=400)
    viewer = signed_in_user(request)
    context: dict[str, Any] = {
        "commenter": commenter,
        "comments": listing.comments,
        "older_href": _older_href(request.path, listing.next_cursor),
        "followers": profile.follower_count,
        "following": profile.following_count,
        "comment_count": profile.comment_count,
        "follow_url": "",
        "mute_url": "",
        "is_following": False,
        "is_muted": False,
    }
    if viewer is not None and viewer.pk != commenter.user_id:
        following_now = Follow.objects.filter(
            follower=viewer, followee_id=commenter.user_id
        ).exists()
        muted_now = Mute.objects.filter(muter=viewer, muted_id=commenter.user_id).exists()
        context.update(
            is_following=following_now,
            is_muted=muted_now,
            follow_url=_switch("unfollow" if following_now else "follow", commenter),
            mute_url=_switch("unmute" if muted_now else "mute", commenter),
        )
    response = render(request, "community/profile.html", context)
    if viewer is None:
        patch_cache_control(response, public=True, max_age=ANONYMOUS_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response


@private_no_store
@require_http_methods(["GET", "HEAD"])
def following_page(request: HttpRequest) -> HttpResponse:
    """New comments and replies by the readers I follow, newest first."""
    user = signed_in_user(request)
    if user is None:
        return redirect(reverse("account_login") + "?next=" + quote(request.path, safe="/"))
    try:
        feed = selectors_following.following_feed(user, cursor=request.GET.get("after") or None)
    except InvalidInput as error:
        return render(request, "community/problem.html", {"message": error.message}, status=400)
    return render(
        request,
        "community/following.html",
        {"comments": feed.comments, "older_href": _older_href(request.path, feed.next_cursor)},
    )
