"""The community's reader-facing routes, mounted at /community/ (namespace "community").

Ids use the `id` converter (masthead.core.numbers): junk or enormous ids are 404s.
Following and notifications (follow, mute, the notification pages) are in `urls_notify`.
"""

from django.urls import include, path

from . import views, views_readers

app_name = "community"

urlpatterns = [
    path("articles/<id:article_id>/", views.conversation_page, name="conversation"),
    path(
        "articles/<id:article_id>/fragment/",
        views.conversation_fragment,
        name="conversation-fragment",
    ),
    path("articles/<id:article_id>/new/", views.new_comments_count, name="new-count"),
    path(
        "articles/<id:article_id>/new/comments/",
        views.new_comments_fragment,
        name="new-comments",
    ),
    path("articles/<id:article_id>/post/", views.post_comment, name="post"),
    path("comments/<id:comment_id>/", views.comment_permalink, name="comment"),
    path("comments/<id:comment_id>/reply/", views.reply_page, name="reply"),
    path("comments/<id:comment_id>/edit/", views.edit_comment, name="edit"),
    path("comments/<id:comment_id>/delete/", views.delete_comment, name="delete"),
    path("comments/<id:comment_id>/like/", views.like_comment, name="like"),
    path("comments/<id:comment_id>/report/", views.report_comment, name="report"),
    path("readers/<id:commenter_id>/", views_readers.reader_profile, name="reader"),
    path("following/", views_readers.following_page, name="following"),
]

# Notifications and following (community-notify's routes).
urlpatterns.append(path("", include("masthead.community.urls_notify")))
