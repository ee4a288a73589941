"""Newsletters in Wagtail's admin: the lists, their issues, and the page to send one;
and the open newsletters an article's sign-up box may offer (content.signup_boxes)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import ListingButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from masthead.content.signup_boxes import SIGNUP_BOXES_HOOK

from . import admin_views, signup_boxes
from .models import Newsletter, NewsletterIssue, OpenSubscriber


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "mail"
    menu_label = _("Newsletters")
    list_display = [
        "name",
        "cadence",
        "audience",
        Column("reader_count", label=_("Readers subscribed")),
        Column("open_count", label=_("Subscribed without an account")),
        Column("pending_count", label=_("Waiting to confirm")),
    ]

    def get_queryset(self, request: Any) -> QuerySet[Newsletter]:
        # One query for the whole listing: each count is distinct over its own join.
        status = "open_subscribers__status"
        return Newsletter.objects.annotate(
            reader_count=Count(
                "subscriptions", filter=Q(subscriptions__active=True), distinct=True
            ),
            open_count=Count(
                "open_subscribers",
                filter=Q(**{status: OpenSubscriber.Status.ACTIVE}),
                distinct=True,
            ),
            pending_count=Count(
                "open_subscribers",
                filter=Q(**{status: OpenSubscriber.Status.PENDING}),
                distinct=True,
            ),
        ).order_by("sort_order", "name")


class IssueViewSet(SnippetViewSet):
    model = NewsletterIssue
    icon = "doc-full"
    menu_label = _("Issues")
    list_display = ["subject", "newsletter", "created_at"]
    list_filter = ["newsletter"]


class NewslettersGroup(SnippetViewSetGroup):
    items = (NewsletterViewSet, IssueViewSet)
    menu_icon = "mail"
    menu_label = _("Newsletters")
    menu_name = "newsletters"


register_snippet(NewslettersGroup)


@hooks.register("register_admin_urls")
def register_send_urls() -> list[Any]:
    return [
        path(
            "newsletters/issues/<id:issue_id>/send/",
            admin_views.issue_send_page,
            name="newsletters_admin_send",
        ),
        path(
            "newsletters/issues/<id:issue_id>/preview/<str:kind>/",
            admin_views.issue_preview,
            name="newsletters_admin_preview",
        ),
        path(
            "newsletters/issues/<id:issue_id>/test/",
            admin_views.issue_test_send,
            name="newsletters_admin_test",
        ),
        path(
            "newsletters/issues/<id:issue_id>/fill/",
            admin_views.issue_fill,
            name="newsletters_admin_fill",
        ),
        path(
            "newsletters/issues/<id:issue_id>/start/",
            admin_views.issue_send,
            name="newsletters_admin_start",
        ),
        path(
            "newsletters/issues/<id:issue_id>/progress/",
            admin_views.send_progress,
            name="newsletters_admin_progress",
        ),
        path(
            "newsletters/issues/<id:issue_id>/control/",
            admin_views.send_control,
            name="newsletters_admin_control",
        ),
    ]


@hooks.register("register_snippet_listing_buttons")
def send_button(snippet: Any, user: Any, next_url: str | None = None) -> list[Any]:
    if not isinstance(snippet, NewsletterIssue) or not admin_views.may_send(user):
        return []
    return [
        ListingButton(
            _("Preview and send"),
            reverse("newsletters_admin_send", args=[snippet.pk]),
            icon_name="mail",
            priority=5,
        )
    ]


@hooks.register(SIGNUP_BOXES_HOOK)
def newsletter_signup_boxes() -> signup_boxes.NewsletterBoxes:
    # Editors may put a sign-up box for an open newsletter in an article's body.
    return signup_boxes.PROVIDER
