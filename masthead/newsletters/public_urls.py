"""Newsletter pages reached from an email, mounted at /newsletters/."""

from django.urls import path

from . import public_views

app_name = "newsletters_public"

urlpatterns = [
    path("issues/<str:token>/", public_views.issue, name="issue"),
    path("unsubscribe/<slug:slug>/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", public_views.preferences, name="preferences"),
]
