from django.urls import path

from . import views

app_name = "rooms"
urlpatterns = [
    path("", views.room_list, name="list"),
    path("rooms/<slug:slug>/", views.room_detail, name="detail"),
    path("rooms/<slug:slug>/older/", views.older_messages, name="older"),
    path("rooms/<slug:slug>/newer/", views.newer_messages, name="newer"),
    path("rooms/<slug:slug>/messages/<int:pk>/", views.message_permalink, name="message"),
    path("rooms/<slug:slug>/entry/", views.room_entry, name="entry"),
    path("rooms/<slug:slug>/messages/<int:pk>/source/", views.message_source, name="message-source"),
]
