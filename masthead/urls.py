from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.views.account import LoginView as WagtailLoginView
from wagtail.documents import urls as wagtaildocs_urls

from masthead.content import sitemaps as content_sitemaps
from masthead.core import views as core_views
from masthead.readers import urls as reader_urls
from masthead.readers.email_change import ReaderEmailView
from masthead.readers.ratelimit import admin_login_rate_limited

handler404 = "masthead.core.views.page_not_found"
handler500 = "masthead.core.views.server_error"
# allauth's rate limits (and the admin sign-in's) answer with this page.
handler429 = "masthead.readers.views.too_many_requests"

urlpatterns = [
    # The admin sign-in forms, rate limited per IP and per address, ahead of the admins'
    # own routes for the same paths (the names stay the admins' own).
    path("admin/login/", admin_login_rate_limited(WagtailLoginView.as_view())),
    path("django-admin/login/", admin_login_rate_limited(admin.site.login)),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("healthz", core_views.healthz, name="healthz"),
    path("access/", include("masthead.access.urls")),
    # allauth's email page, with the guards in masthead.readers.email_change.
    path("accounts/email/", ReaderEmailView.as_view(), name="account_email"),
    path("accounts/", include(reader_urls)),
    path("accounts/", include(reader_urls.account_urlpatterns)),
    path("account/", include("masthead.readers.account.urls")),
    path("sitemap.xml", content_sitemaps.sitemap_view, name="sitemap"),
    path("news-sitemap.xml", content_sitemaps.news_sitemap_view, name="news-sitemap"),
    path("robots.txt", core_views.robots_txt, name="robots"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("manifest.webmanifest", core_views.web_manifest, name="web-manifest"),
    path("", include("masthead.content.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
