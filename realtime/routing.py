from django.urls import path

from .consumers import RoomConsumer, RoomListConsumer

websocket_urlpatterns = [
    path("ws/rooms/", RoomListConsumer.as_asgi()),
    path("ws/rooms/<slug:slug>/", RoomConsumer.as_asgi()),
    # A direct conversation is a room: the same consumer, found by id.
    path("ws/dm/<int:dm>/", RoomConsumer.as_asgi()),
]
