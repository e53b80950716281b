from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("settings/", views.email_settings, name="settings"),
    path("settings/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
