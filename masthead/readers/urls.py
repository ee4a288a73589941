"""URLs for registration and sign-in.

Invariant: allauth's views are used as they are (the wall's sign-up fragment is
allauth's signup view with a fragment template), but every one of them is wrapped so
its responses carry `Cache-Control: private, no-store` (`account_urlpatterns`).
"""

from __future__ import annotations

from allauth import urls as allauth_urls
from django.urls import path
from wagtail.utils.urlpatterns import decorate_urlpatterns

from masthead.core.http import private_no_store

from . import views

app_name = "readers"

urlpatterns = [
    path("altcha/challenge/", views.altcha_challenge, name="altcha-challenge"),
]

account_urlpatterns = decorate_urlpatterns(
    [
        # The registration form embedded in an article's wall (access.selectors.form_url).
        path("signup/fragment/", views.signup_fragment, name="account_signup_fragment"),
        # The header's account links, for account-nav.js after signing in in place.
        path("header/", views.account_header, name="account_header"),
        path(
            "password/change/done/",
            views.password_change_done,
            name="account_change_password_done",
        ),
        # Before allauth's own: tells an already confirmed address from an expired link.
        path("confirm-email/<str:key>/", views.confirm_email, name="account_confirm_email"),
        *allauth_urls.urlpatterns,
    ],
    private_no_store,
)
