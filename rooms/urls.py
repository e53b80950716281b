from django.urls import path

from . import direct_views, views

# Every page of a room, under /rooms/<slug>/ for rooms and /dm/<id>/ for
# direct conversations (named "dm-<name>"): one set of views serves both
# (Room.url builds either).
ROOM_PAGES = [
    ("", views.room_detail, "detail"),
    ("older/", views.older_messages, "older"),
    ("newer/", views.newer_messages, "newer"),
    ("messages/<id:pk>/", views.message_permalink, "message"),
    ("entry/", views.room_entry, "entry"),
    ("messages/<id:pk>/source/", views.message_source, "message-source"),
    ("people/", views.room_people, "people"),
]

app_name = "rooms"
urlpatterns = [
    path("", views.room_list, name="list"),
    path("rooms/", views.directory, name="directory"),
    path("rooms/<slug:slug>/join/", views.join_room, name="join"),
    path("rooms/<slug:slug>/leave/", views.leave_room, name="leave"),
    path("dm/new/", direct_views.new_conversation, name="dm-new"),
    path("emoji/<str:version>.json", views.emoji_table, name="emoji"),
    *(path(f"rooms/<slug:slug>/{tail}", view, name=name) for tail, view, name in ROOM_PAGES),
    *(path(f"dm/<id:dm>/{tail}", view, name=f"dm-{name}") for tail, view, name in ROOM_PAGES),
]
