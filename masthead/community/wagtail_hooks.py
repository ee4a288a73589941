"""The conversation in Wagtail's admin: the moderation queue (a "Comments" menu whose
items show how many comments wait), the "moderate comments" permission offered on the
groups page, and an "Open or close comments" button on articles in the page listing.

Invariant: the menu shows only to moderators, and its counts cost two indexed counts
per admin page they load; nobody else pays for them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.widgets import ListingButton

from masthead.content.models import ArticlePage

from . import admin_views as views
from .moderation_queue import queue_counts
from .permissions import may_close, may_moderate


@hooks.register("register_admin_urls")
def register_moderation_urls() -> list[Any]:
    return [
        path("comments/", views.queue_index, name="community_moderation"),
        path("comments/pending/", views.queue_pending, name="community_moderation_pending"),
        path("comments/reported/", views.queue_reported, name="community_moderation_reported"),
        path("comments/decided/", views.queue_decided, name="community_moderation_decided"),
        path("comments/decide/", views.queue_bulk, name="community_moderation_bulk"),
        path(
            "comments/<id:comment_id>/",
            views.comment_detail,
            name="community_moderation_comment",
        ),
        path(
            "comments/readers/<id:user_id>/",
            views.reader_detail,
            name="community_moderation_reader",
        ),
        path(
            "comments/articles/<id:page_id>/",
            views.conversation_toggle,
            name="community_moderation_conversation",
        ),
    ]


class ModeratorMenuItem(MenuItem):
    """A link for moderators; `count` (pending or reported) is added to its label."""

    def __init__(self, *args: Any, count: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = count

    def is_shown(self, request: Any) -> bool:
        return may_moderate(request.user)

    def render_component(self, request: Any) -> Any:
        label = str(self.label)
        if self.count is not None:
            counts = getattr(request, "_community_queue_counts", None)
            if counts is None:
                counts = request._community_queue_counts = queue_counts()
            label = _("%(label)s (%(count)d)") % {
                "label": label,
                "count": getattr(counts, self.count),
            }
        return LinkMenuItemComponent(
            self.name, label, self.url, icon_name=self.icon_name, attrs=self.attrs
        )


class LazyUrlMenuItem(ModeratorMenuItem):
    """A menu item whose URL is reversed when first shown (the admin's URLs are not
    loaded yet when the menu is built)."""

    def __init__(self, label: Any, url_name: str, **kwargs: Any) -> None:
        super().__init__(label, "", **kwargs)
        self.url_name = url_name

    def render_component(self, request: Any) -> Any:
        self.url = reverse(self.url_name)
        return super().render_component(request)


moderation_menu = Menu(
    items=[
        LazyUrlMenuItem(
            gettext_lazy("Pending"),
            "community_moderation_pending",
            name="comments-pending",
            icon_name="comment",
            count="pending",
            order=100,
        ),
        LazyUrlMenuItem(
            gettext_lazy("Reported"),
            "community_moderation_reported",
            name="comments-reported",
            icon_name="warning",
            count="reported",
            order=200,
        ),
        LazyUrlMenuItem(
            gettext_lazy("Recently decided"),
            "community_moderation_decided",
            name="comments-decided",
            icon_name="history",
            order=300,
        ),
    ]
)


@hooks.register("register_admin_menu_item")
def register_moderation_menu() -> MenuItem:
    return SubmenuMenuItem(
        gettext_lazy("Comments"), moderation_menu, name="comments", icon_name="comment", order=250
    )


@hooks.register("register_permissions")
def register_moderation_permission() -> Any:
    return Permission.objects.filter(
        content_type__app_label="community", codename="moderate_comments"
    )


@hooks.register("register_page_listing_more_buttons")
def conversation_button(page: Any, user: Any, next_url: str | None = None) -> Any:
    if not issubclass(page.specific_class or type(page), ArticlePage):
        return
    if may_close(user, page):
        yield ListingButton(
            _("Open or close comments"),
            reverse("community_moderation_conversation", args=[page.pk]),
            icon_name="comment",
            priority=45,
        )
