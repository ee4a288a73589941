"""Test URLs: /access/ mounted, plus a stand-in for the reader-accounts sign-up
fragment (URL name `account_signup_fragment`), to prove the wall's side of the
in-place journey before the real form lands. The stand-in signs in an existing reader
by email and password; it is a test double, never routed in the project."""

from __future__ import annotations

from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import include, path
from django.utils.html import format_html
from django.views.decorators.cache import never_cache

from masthead import urls as project

handler404 = project.handler404
handler500 = project.handler500


@never_cache
def fake_signup_fragment(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        user = authenticate(
            request, username=request.POST.get("email"), password=request.POST.get("password")
        )
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            response = HttpResponse(status=204)
            response["HX-Trigger"] = "masthead:signed-in"
            return response
        error = format_html('<p role="alert" tabindex="-1">{}</p>', "Those details do not match.")
    return HttpResponse(
        format_html(
            '<form method="post" action="{}">{}<input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><label for="f-email">Email</label><input id="f-email" name="email" '
            'value="{}"><label for="f-password">Password</label><input id="f-password" '
            'type="password" name="password"><button type="submit">Join</button></form>',
            request.path,
            error,
            get_token(request),
            request.POST.get("email", ""),
        )
    )


urlpatterns = [
    path("access/", include("masthead.access.urls")),
    path("accounts/fragment/signup/", fake_signup_fragment, name="account_signup_fragment"),
    *project.urlpatterns,
]
