from django.urls import path

from . import views

app_name = "files"
urlpatterns = [
    path("rooms/<slug:slug>/files/", views.upload, name="upload"),
    path("rooms/<slug:slug>/files/<int:pk>/preview/", views.preview, name="preview"),
    path("rooms/<slug:slug>/files/<int:pk>/<path:name>", views.download, name="download"),
]
