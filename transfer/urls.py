from django.urls import path

from . import views

app_name = "transfer"
urlpatterns = [
    path("settings/data/", views.my_data, name="my-data"),
    path("settings/data/request/", views.request_data, name="request-data"),
    path("settings/data/<id:pk>/download/", views.download_data, name="download-data"),
]
