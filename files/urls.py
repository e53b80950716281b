from django.urls import path

from . import views

app_name = "files"
urlpatterns = [
    path("rooms/<slug:slug>/files/", views.upload, name="upload"),
    # By id alone: a room's slug may change, and the room is checked either way.
    path("files/<int:pk>/preview/", views.preview, name="preview"),
    path("files/<int:pk>/<path:name>", views.download, name="download"),
]
