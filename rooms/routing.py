from django.urls import path, re_path

from .sockets import NoSuchRoom, RoomConsumer, RoomListConsumer

websocket_urlpatterns = [
    path("ws/rooms/", RoomListConsumer.as_asgi()),
    path("ws/rooms/<slug:slug>/", RoomConsumer.as_asgi()),
    # A direct conversation is a room: the same consumer, found by id.
    path("ws/dm/<id:dm>/", RoomConsumer.as_asgi()),
    # Anything else, a conversation "id" that is no id among it: closed 4404.
    re_path(r"", NoSuchRoom.as_asgi()),
]
