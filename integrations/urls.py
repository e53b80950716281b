from django.urls import path

from . import api

app_name = "integrations"
urlpatterns = [
    path("api/v1/rooms/<slug:slug>/messages/", api.post_message, name="post-message"),
    path("api/v1/openapi.json", api.openapi_document, name="openapi"),
]
