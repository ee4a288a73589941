from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.documents.views import serve as wagtaildocs_serve

from masthead.content import routing as content_routing
from masthead.content import sitemaps as content_sitemaps
from masthead.core import views as core_views
from masthead.readers import doors
from masthead.readers import urls as reader_urls
from masthead.readers.email_change import ReaderEmailView
from masthead.readers.ratelimit import page_password_rate_limited

handler404 = "masthead.core.views.page_not_found"
handler500 = "masthead.core.views.server_error"
# allauth's rate limits (and the admin sign-in's) answer with this page.
handler429 = "masthead.readers.views.too_many_requests"

urlpatterns = [
    # One door in (masthead.readers.doors): the admins' sign-in and reset pages, and
    # Wagtail's front-end login, redirect to allauth's, ahead of their own routes.
    path("admin/login/", doors.wagtail_admin_login),
    re_path(r"^admin/password_reset/(?P<rest>.*)$", doors.admin_password_reset),
    path("django-admin/login/", doors.django_admin_login),
    path("_util/login/", doors.frontend_login),
    # Wagtail's shared-password forms (private pages, documents), under the same limits.
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        page_password_rate_limited(wagtail_views.authenticate_with_password),
    ),
    path(
        "documents/authenticate_with_password/<int:restriction_id>/",
        page_password_rate_limited(wagtaildocs_serve.authenticate_with_password),
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("healthz", core_views.healthz, name="healthz"),
    path("access/", include("masthead.access.urls")),
    path("community/", include("masthead.community.urls")),
    # allauth's email page, with the guards in masthead.readers.email_change.
    path("accounts/email/", ReaderEmailView.as_view(), name="account_email"),
    path("accounts/", include(reader_urls)),
    path("accounts/", include(reader_urls.account_urlpatterns)),
    # Each app's pages in the reader's account area (masthead.core.account_sections).
    path("account/newsletters/", include("masthead.newsletters.urls")),
    # Event registration, join links and calendars (/events/..., /account/events/).
    path("", include("masthead.events.urls")),
    # Reached from a newsletter without signing in: one-click unsubscribe, preferences,
    # the issue in a browser.
    path("newsletters/", include("masthead.newsletters.public_urls")),
    # The email provider's tracking webhooks (bounces, complaints), verified by anymail
    # (masthead.newsletters.tracking).
    path("newsletters/anymail/", include("anymail.urls")),
    path("account/", include("masthead.readers.account.urls")),
    path("sitemap.xml", content_sitemaps.sitemap_view, name="sitemap"),
    path("news-sitemap.xml", content_sitemaps.news_sitemap_view, name="news-sitemap"),
    path("robots.txt", core_views.robots_txt, name="robots"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("manifest.webmanifest", core_views.web_manifest, name="web-manifest"),
    path("", include("masthead.content.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    # Wagtail's page view with the route cached (masthead.content.routing); the same
    # address pattern as Wagtail's own, which stays below for its other views.
    re_path(wagtail_urls.serve_pattern, content_routing.serve, name="wagtail_serve"),
    path("", include(wagtail_urls)),
]
