"""Newsletter pages reached without signing in, mounted at /newsletters/: the list of
newsletters, open newsletters' sign-up (and the sign-up boxes in articles) and
confirmation, and the links in emails."""

from django.urls import path

from . import box_views, public_views, signup_views

app_name = "newsletters_public"

urlpatterns = [
    path("", signup_views.newsletter_list, name="list"),
    path("issues/<str:token>/", public_views.issue, name="issue"),
    path("unsubscribe/<slug:slug>/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", public_views.preferences, name="preferences"),
    path("join/<slug:slug>/", signup_views.signup, name="signup"),
    path("join/<slug:slug>/check-your-inbox/", signup_views.signup_sent, name="signup-sent"),
    # A sign-up box's part for this reader (newsletters.box_views), fetched into it.
    path("join/<slug:slug>/box/", box_views.signup_box, name="signup-box"),
    path("join/<slug:slug>/confirm/<str:token>/", signup_views.confirm, name="confirm"),
    path(
        "open/unsubscribe/<slug:slug>/<str:token>/",
        signup_views.open_unsubscribe,
        name="open-unsubscribe",
    ),
    path(
        "open/preferences/<slug:slug>/<str:token>/",
        signup_views.open_preferences,
        name="open-preferences",
    ),
]
