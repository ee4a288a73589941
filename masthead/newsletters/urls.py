"""The reader's newsletter preferences, mounted at /account/newsletters/ (the paths
they had when the readers app served them, so bookmarks keep working)."""

from django.urls import path

from . import box_views, views

app_name = "newsletters"

urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("switch/", views.marketing_switch, name="marketing-switch"),
    path("address-works/", views.suppression_lift, name="suppression-lift"),
    # One click from a sign-up box in an article (newsletters.box_views).
    path("subscribe/<slug:slug>/", box_views.box_subscribe, name="subscribe"),
]
