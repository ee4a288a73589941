"""The project's URLs with /access/ mounted, as masthead/urls.py will mount it."""

from django.urls import include, path

from masthead import urls as project

handler404 = project.handler404
handler500 = project.handler500
handler429 = getattr(project, "handler429", None)

urlpatterns = [path("access/", include("masthead.access.urls")), *project.urlpatterns]
