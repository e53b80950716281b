from django.urls import path

from . import views

# At the site's root: the worker's scope is the folder it is served from.
urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("service-worker.js", views.service_worker, name="service-worker"),
    path("offline/", views.offline, name="offline"),
]
