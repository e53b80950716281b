import pytest

from rooms.models import Message


@pytest.fixture
def say():
    """Save a message directly (no flood control, no broadcast): search reads the database."""

    def say(room, author, text):
        return Message.objects.create(room=room, author=author, text=text)

    return say
