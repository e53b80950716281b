"""Writing history in bulk, as it happened: rows inserted with the times
they carry, and no signal, broadcast or email on the way (the model
methods that post, react and add members tell open pages and notify
people; an import and a copy of old history must not)."""

import contextlib

from files.models import Attachment
from rooms.models import Message, Reaction, Room

# The rows that stamp their creation time themselves (auto_now_add).
STAMPED = [(Message, "created_at"), (Reaction, "created_at"), (Attachment, "created_at"), (Room, "created_at")]


@contextlib.contextmanager
def times_as_given():
    """Within: rows of STAMPED keep the creation time they are given.

    Django sets an auto_now_add field to "now" on every insert, bulk_create
    included; an imported message must keep the time it was sent. The flag
    is the field's own, turned off for the duration (a management command
    or a worker task: one import at a time in the process)."""
    fields = [model._meta.get_field(name) for model, name in STAMPED]
    saved = [field.auto_now_add for field in fields]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in zip(fields, saved, strict=True):
            field.auto_now_add = value
