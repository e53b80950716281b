import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from rooms.routing import websocket_urlpatterns

router = URLRouter(websocket_urlpatterns)

# A handshake runs the connect's database work in a thread: on a busy CI
# machine (two cores, Chromium beside) it has been seen past channels'
# default of one second. The wait ends as soon as the answer comes.
HANDSHAKE_SECONDS = 10


class Sockets:
    """Opens test WebSockets and closes every one of them when the test ends,
    passed or failed: no test disconnects by hand to leave nothing behind."""

    def __init__(self):
        self.opened = []

    async def open(self, path, user=None, app=router, headers=None):
        """A communicator on `path` (as `user`, or through `app`'s middleware
        with `headers`), after its handshake; returns (communicator, accepted)."""
        communicator = WebsocketCommunicator(app, path, headers=headers or [])
        if user is not None:
            communicator.scope["user"] = user
        self.opened.append(communicator)
        connected, _ = await communicator.connect(timeout=HANDSHAKE_SECONDS)
        return communicator, connected

    async def connect(self, user, slug="lobby"):
        communicator, connected = await self.open(f"/ws/rooms/{slug}/", user)
        assert connected
        return communicator

    async def joined(self, user, slug="lobby"):
        """A connected room socket whose own presence announcement has been read."""
        communicator = await self.connect(user, slug)
        assert 'id="presence"' in await communicator.receive_from()
        return communicator

    async def listening(self, user):
        """A socket of the room list page (/ws/rooms/)."""
        communicator, connected = await self.open("/ws/rooms/", user)
        assert connected
        return communicator

    async def close_all(self):
        for communicator in self.opened:
            if not communicator.future.done():
                await communicator.disconnect()
        self.opened.clear()


@pytest.fixture
async def ws():
    sockets = Sockets()
    yield sockets
    await sockets.close_all()
