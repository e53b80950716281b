from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("settings/", views.email_settings, name="settings"),
    path("settings/profile/", views.profile_settings, name="profile"),
    path("settings/email/send-confirmation/", views.send_confirmation, name="send-confirmation"),
    path("settings/email/confirm/<str:token>/", views.confirm, name="confirm"),
    path("settings/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # The room's menu: what of a room (or conversation) reaches its reader.
    path("rooms/<slug:slug>/notifications/", views.room_notifications, name="room"),
    path("dm/<id:dm>/notifications/", views.room_notifications, name="dm-room"),
]
