from django.urls import path

from . import views

app_name = "files"
urlpatterns = [
    # Uploads go to a room or a direct conversation (rooms/urls.py names both the same way).
    path("rooms/<slug:slug>/files/", views.upload, name="upload"),
    path("dm/<id:dm>/files/", views.upload, name="dm-upload"),
    # By id alone: a room's slug may change, and the room is checked either way.
    path("files/<id:pk>/preview/", views.preview, name="preview"),
    path("files/<id:pk>/<path:name>", views.download, name="download"),
]
