"""Reading conversations: the pages a reader sees, built in a constant number of queries.

Contract (no writes; views call these and render what they return):
- `conversation_view(*, page, viewer=None, sort="newest", cursor=None, featured=False,
  limit=PAGE_SIZE, now=None) -> ConversationView`: one page of top comments (threads)
  in `sort` order ("newest", "oldest", "liked"), each with its replies nested
  (oldest first; replies below depth MAX_NEST_DEPTH listed flat under their ancestor at
  that depth with `in_reply_to` naming whom they answer), keyset paging through
  `cursor` (`next_cursor` is None on the last page; never OFFSET). `featured=True`
  lists staff picks (any depth, most recently featured first) without their threads.
  Raises InvalidInput for an unknown sort or a damaged cursor.
- `thread_view(*, comment_id, viewer=None) -> ThreadView | None`: the whole thread around
  one comment (a permalink), None when that comment is not visible to the viewer.
- `new_since(*, page, since, viewer=None) -> int`: published comments posted after
  `since` (the time the reader's page was built: ConversationView.loaded_at), not
  counting the viewer's own.
- `new_comments(*, page, since, viewer=None) -> NewComments`: those comments themselves
  (oldest first, at most NEW_COMMENTS_LIMIT), for the page to slot in where they belong.
- `reader_comments(*, commenter, cursor=None, limit=PAGE_SIZE) -> CommentList`: a
  reader's public history (published only), newest first, keyset paged.
- The Following feed lives in selectors_following (it honours mutes and inactive
  accounts), built on `keyset_page` and `visible_pages` here.
- `reader_profile(*, commenter_id) -> Profile | None`: a reader's public profile (name,
  joined, published comments, followers, following); None for no such commenter.
- `comment_counts(page_ids) -> dict[int, int]`: published comments per page, one query.

What the viewer may see: published comments; their own comments waiting for a moderator
(state "pending"); and, only where replies hang from them, placeholders for comments
deleted (state "deleted"), hidden after reports ("hidden") or rejected ("rejected").
A placeholder's text and author are blanked on the loaded object itself, so no template
can show them. `Node.html` is the safe body to render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from wagtail.models import Page

from .closing import closes_at, is_open
from .config import community_settings
from .models import Comment, Commenter, CommentStatus, Conversation, Follow, Like, Mute
from .services.errors import InvalidInput

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
REPLIES_PER_THREAD = 50
# A permalink shows its whole thread (up to this many replies, oldest first).
PERMALINK_REPLIES = 2000
SORTS = ("newest", "oldest", "liked")
PLACEHOLDERS = (CommentStatus.DELETED, CommentStatus.HIDDEN, CommentStatus.REJECTED)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MAX_INT = 2**62
# The largest time a cursor may name: beyond it the datetime overflows (a 500, not a 400).
_MAX_MICROS = (dt.datetime.max.replace(tzinfo=dt.UTC) - _EPOCH) // dt.timedelta(microseconds=1)


@dataclass
class Node:
    comment: Comment
    state: str
    children: list[Node] = field(default_factory=list)
    in_reply_to: str | None = None
    in_reply_to_id: int | None = None
    liked: bool = False
    muted: bool = False
    following: bool = False
    own: bool = False
    more_replies: int = 0

    @property
    def html(self) -> SafeString:
        return mark_safe(self.comment.body_html)

    @property
    def author_name(self) -> str:
        author = self.comment.author
        if self.state in PLACEHOLDERS:
            return ""
        return author.display_name if author is not None else _("A former reader")

    @property
    def edited(self) -> bool:
        return self.comment.edited_at is not None


@dataclass
class ConversationView:
    page: Any
    conversation: Conversation | None
    count: int
    sort: str
    featured: bool
    threads: list[Node]
    next_cursor: str | None
    is_open: bool
    closes_at: dt.datetime | None
    loaded_at: dt.datetime
    viewer_commenter: Commenter | None


@dataclass
class ThreadView:
    page: Any
    root: Node
    target_id: int


@dataclass
class CommentList:
    comments: list[Comment]
    next_cursor: str | None


# -- cursors ------------------------------------------------------------------------------
def _micros(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


def _from_micros(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


def make_cursor(first: int, pk: int) -> str:
    return f"{first}.{pk}"


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    damaged = InvalidInput(
        _("That list of comments has moved on; start again from the top."), code="cursor"
    )
    parts = cursor.split(".")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) < 19 for p in parts):
        raise damaged
    first, pk = int(parts[0]), int(parts[1])
    if first > _MAX_INT or pk > _MAX_INT or first > _MAX_MICROS:
        raise damaged
    return first, pk


def _keyset(queryset: Any, sort: str, cursor: str | None) -> Any:
    after = parse_cursor(cursor)
    if sort == "oldest":
        queryset = queryset.order_by("created", "id")
        if after:
            at = _from_micros(after[0])
            queryset = queryset.filter(Q(created__gt=at) | Q(created=at, id__gt=after[1]))
    elif sort == "liked":
        queryset = queryset.order_by("-like_count", "-id")
        if after:
            queryset = queryset.filter(
                Q(like_count__lt=after[0]) | Q(like_count=after[0], id__lt=after[1])
            )
    elif sort == "featured":
        queryset = queryset.order_by("-featured_at", "-id")
        if after:
            at = _from_micros(after[0])
            queryset = queryset.filter(Q(featured_at__lt=at) | Q(featured_at=at, id__lt=after[1]))
    else:
        queryset = queryset.order_by("-created", "-id")
        if after:
            at = _from_micros(after[0])
            queryset = queryset.filter(Q(created__lt=at) | Q(created=at, id__lt=after[1]))
    return queryset


def _cursor_of(comment: Comment, sort: str) -> str:
    if sort == "liked":
        return make_cursor(comment.like_count, comment.pk)
    if sort == "featured":
        return make_cursor(_micros(comment.featured_at), comment.pk)
    return make_cursor(_micros(comment.created), comment.pk)


def keyset_page(
    queryset: Any, sort: str, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(_keyset(queryset, sort, cursor)[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], _cursor_of(rows[limit - 1], sort)
    return rows, None


def _top_page(
    conversation: Conversation,
    viewer_commenter: Commenter | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Comment], str | None]:
    """One page of top comments. Published ones come from the keyset index alone; the rare
    others (placeholders with visible replies; the viewer's own waiting comments) from
    small queries of their own; all are merged in sort order (never OFFSET)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    tops = conversation.comments.filter(parent__isnull=True).select_related("author")
    published = _keyset(tops.filter(status=CommentStatus.PUBLISHED), sort, cursor)
    placeholders = tops.filter(
        Exists(Comment.objects.filter(root=OuterRef("pk"), status=CommentStatus.PUBLISHED)),
        status__in=PLACEHOLDERS,
    )
    rows = list(published[: limit + 1])
    rows += list(_keyset(placeholders, sort, cursor)[: limit + 1])
    if viewer_commenter is not None:
        # Kept apart from the placeholders' query: an OR of the two makes SQLite's
        # planner run the EXISTS for every comment of the conversation.
        waiting = tops.filter(status=CommentStatus.PENDING, author=viewer_commenter)
        rows += list(_keyset(waiting, sort, cursor)[: limit + 1])
    if sort == "oldest":
        rows.sort(key=lambda c: (c.created, c.pk))
    elif sort == "liked":
        rows.sort(key=lambda c: (c.like_count, c.pk), reverse=True)
    else:
        rows.sort(key=lambda c: (c.created, c.pk), reverse=True)
    if len(rows) > limit:
        return rows[:limit], _cursor_of(rows[limit - 1], sort)
    return rows, None


# -- building nodes -----------------------------------------------------------------------
def _state(comment: Comment) -> str:
    if comment.status in PLACEHOLDERS:
        # Blank what a placeholder must never show, on the object templates receive.
        comment.body = ""
        comment.body_html = ""
        comment.author = None
    return comment.status


def _viewer_commenter(viewer: Any) -> Commenter | None:
    if viewer is None or not viewer.is_authenticated:
        return None
    return Commenter.objects.filter(user=viewer).first()


def _visible(viewer_commenter: Commenter | None) -> Q:
    shown = Q(status=CommentStatus.PUBLISHED)
    if viewer_commenter is not None:
        shown |= Q(status=CommentStatus.PENDING, author=viewer_commenter)
    return shown


def _personal(viewer: Any, nodes: list[Node]) -> None:
    """Mark the viewer's likes, own comments, and the authors they mute or follow:
    three queries at most."""
    if viewer is None or not viewer.is_authenticated or not nodes:
        return
    ids = [n.comment.pk for n in nodes]
    liked = set(
        Like.objects.filter(user=viewer, comment_id__in=ids).values_list("comment_id", flat=True)
    )
    muted = set(Mute.objects.filter(muter=viewer).values_list("muted_id", flat=True))
    authors = {n.comment.author.user_id for n in nodes if n.comment.author is not None}
    followed = set(
        Follow.objects.filter(follower=viewer, followee_id__in=authors).values_list(
            "followee_id", flat=True
        )
    )
    for node in nodes:
        author = node.comment.author
        node.liked = node.comment.pk in liked
        node.own = author is not None and author.user_id == viewer.pk
        node.muted = author is not None and author.user_id in muted
        node.following = author is not None and author.user_id in followed


def _prune(node: Node) -> bool:
    """Drop placeholders without visible replies; True if `node` stays."""
    node.children = [child for child in node.children if _prune(child)]
    return node.state not in PLACEHOLDERS or bool(node.children)


def _threads(
    roots: list[Comment], viewer_commenter: Commenter | None, cap: int | None = None
) -> tuple[list[Node], list[Node]]:
    """Nodes for `roots` with their replies nested; (top nodes, every node)."""
    cap = cap or REPLIES_PER_THREAD
    top = [Node(comment=c, state=_state(c)) for c in roots]
    by_id = {n.comment.pk: n for n in top}
    everyone = list(top)
    if not roots:
        return top, everyone
    replies = (
        Comment.objects.filter(root_id__in=list(by_id))
        .filter(_visible(viewer_commenter) | Q(status__in=PLACEHOLDERS))
        .select_related("author")
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("root_id")], order_by=[F("created"), F("id")]
            ),
            in_thread=Window(Count("id"), partition_by=[F("root_id")]),
        )
        .filter(position__lte=cap)
        .order_by("created", "id")
    )
    names: dict[int, tuple[str | None, int]] = {}
    for node in top:
        names[node.comment.pk] = (node.author_name, node.comment.pk)
    for comment in replies:
        node = Node(comment=comment, state=_state(comment))
        names[comment.pk] = (node.author_name, comment.pk)
        by_id[comment.pk] = node
        everyone.append(node)
        holder = by_id.get(comment.nest_parent_id) or by_id[comment.root_id]
        holder.children.append(node)
        if comment.parent_id != comment.nest_parent_id and comment.parent_id in names:
            node.in_reply_to = names[comment.parent_id][0] or _("a removed comment")
            node.in_reply_to_id = comment.parent_id
        root = by_id[comment.root_id]
        root.more_replies = max(0, comment.in_thread - cap)
    kept = [n for n in top if _prune(n)]
    return kept, everyone


# -- the selectors ------------------------------------------------------------------------
def conversation_view(
    *,
    page: Any,
    viewer: Any = None,
    sort: str = "newest",
    cursor: str | None = None,
    featured: bool = False,
    limit: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> ConversationView:
    if sort not in SORTS:
        raise InvalidInput(_("Choose newest, oldest or most liked."), code="sort")
    parse_cursor(cursor)  # a damaged cursor is refused even before the first comment
    now = now or timezone.now()
    config = community_settings(page)
    conversation = Conversation.objects.filter(page=page).first()
    viewer_commenter = _viewer_commenter(viewer)
    threads: list[Node] = []
    next_cursor = None
    if conversation is not None:
        if featured:
            rows, next_cursor = keyset_page(
                conversation.comments.filter(
                    status=CommentStatus.PUBLISHED, featured_at__isnull=False
                ).select_related("author", "parent__author"),
                "featured",
                cursor,
                limit,
            )
            threads = []
            for c in rows:
                node = Node(comment=c, state=_state(c))
                if c.parent is not None:
                    parent_name = (
                        c.parent.author.display_name
                        if c.parent.author is not None
                        and c.parent.status == CommentStatus.PUBLISHED
                        else None
                    )
                    node.in_reply_to = parent_name or _("a removed comment")
                    node.in_reply_to_id = c.parent_id
                threads.append(node)
            everyone = threads
        else:
            rows, next_cursor = _top_page(conversation, viewer_commenter, sort, cursor, limit)
            threads, everyone = _threads(rows, viewer_commenter)
        _personal(viewer, everyone)
    return ConversationView(
        page=page,
        conversation=conversation,
        count=conversation.published_count if conversation else 0,
        sort=sort,
        featured=featured,
        threads=threads,
        next_cursor=next_cursor,
        is_open=is_open(page, conversation, config, now),
        closes_at=closes_at(page, config),
        loaded_at=now,
        viewer_commenter=viewer_commenter,
    )


def thread_view(*, comment_id: int, viewer: Any = None) -> ThreadView | None:
    comment = Comment.objects.filter(pk=comment_id).values("root_id", "conversation_id").first()
    if comment is None:
        return None
    viewer_commenter = _viewer_commenter(viewer)
    root = (
        Comment.objects.select_related("author", "conversation__page")
        .filter(pk=comment["root_id"] or comment_id)
        .filter(_visible(viewer_commenter) | Q(status__in=PLACEHOLDERS))
        .first()
    )
    if root is None:
        return None
    page = root.conversation.page
    tops, _everyone = _threads([root], viewer_commenter, cap=PERMALINK_REPLIES)
    shown = {node.comment.pk: node for node in _walk(tops)}
    if comment_id not in shown:
        return None  # not visible to this viewer, or a placeholder nothing hangs from
    _personal(viewer, list(shown.values()))
    return ThreadView(page=page, root=tops[0], target_id=comment_id)


def _walk(nodes: list[Node]) -> list[Node]:
    found: list[Node] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(node.children))
    return found


def new_since(*, page: Any, since: dt.datetime, viewer: Any = None) -> int:
    queryset = Comment.objects.filter(
        conversation__page=page, status=CommentStatus.PUBLISHED, created__gt=since
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.exclude(author__user=viewer)
    return queryset.count()


NEW_COMMENTS_LIMIT = 50


@dataclass
class NewComments:
    """Comments published since the reader's page was built, oldest first, each to be
    slotted in where it belongs: `Node.comment.nest_parent_id` (None: a new thread)."""

    nodes: list[Node]
    count: int  # the conversation's published comments now
    loaded_at: dt.datetime
    more: bool  # more than NEW_COMMENTS_LIMIT arrived: reload rather than slot in


def new_comments(
    *, page: Any, since: dt.datetime, viewer: Any = None, limit: int = NEW_COMMENTS_LIMIT
) -> NewComments:
    """The comments `new_since` counts, as nodes (four queries at most)."""
    loaded_at = timezone.now()
    queryset = Comment.objects.filter(
        conversation__page=page, status=CommentStatus.PUBLISHED, created__gt=since
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.exclude(author__user=viewer)
    rows = list(
        queryset.select_related("author", "parent__author").order_by("created", "id")[: limit + 1]
    )
    more, rows = len(rows) > limit, rows[:limit]
    nodes = []
    for comment in rows:
        node = Node(comment=comment, state=_state(comment))
        parent = comment.parent
        if parent is not None and comment.parent_id != comment.nest_parent_id:
            shown = parent.status == CommentStatus.PUBLISHED and parent.author is not None
            node.in_reply_to = parent.author.display_name if shown else _("a removed comment")
            node.in_reply_to_id = parent.pk
        nodes.append(node)
    _personal(viewer, nodes)
    conversation = Conversation.objects.filter(page=page).first()
    return NewComments(
        nodes=nodes,
        count=conversation.published_count if conversation else 0,
        loaded_at=loaded_at,
        more=more,
    )


def visible_pages() -> Any:
    """Pages anyone may see (live and with no view restriction), as visible_article."""
    return Page.objects.live().public().values("pk")


def reader_comments(
    *, commenter: Commenter, cursor: str | None = None, limit: int = PAGE_SIZE
) -> CommentList:
    rows, next_cursor = keyset_page(
        Comment.objects.filter(
            author=commenter,
            status=CommentStatus.PUBLISHED,
            conversation__page__in=visible_pages(),
        ).select_related("conversation__page"),
        "newest",
        cursor,
        limit,
    )
    return CommentList(comments=rows, next_cursor=next_cursor)


def comment_counts(page_ids: list[int]) -> dict[int, int]:
    return dict(
        Conversation.objects.filter(page_id__in=page_ids).values_list("page_id", "published_count")
    )


@dataclass
class Profile:
    commenter: Commenter
    joined: dt.datetime
    comment_count: int
    follower_count: int
    following_count: int


def reader_profile(*, commenter_id: int) -> Profile | None:
    commenter = (
        Commenter.objects.filter(pk=commenter_id)
        .annotate(
            shown=Count(
                "comments",
                filter=Q(
                    comments__status=CommentStatus.PUBLISHED,
                    comments__conversation__page__in=visible_pages(),
                ),
                distinct=True,
            )
        )
        .first()
    )
    if commenter is None:
        return None
    from .selectors_following import follow_counts  # one rule for who counts (active only)

    counts = follow_counts(commenter.user)
    return Profile(
        commenter=commenter,
        joined=commenter.created,
        comment_count=commenter.shown,
        follower_count=counts.followers,
        following_count=counts.following,
    )
