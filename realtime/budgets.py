"""Frame budgets: how many frames of each kind one user may send (SPEC 9).

Every kind of frame a page sends costs the server something (a query, a
broadcast, a catch-up). Each has a budget per user over a window, counted on
the shared cache like flood control, so a user's sockets and processes
draw on one allowance; the budgets are in realtime/protocol.py's table.
A page behaving normally stays far below them.
"""

from asgiref.sync import sync_to_async

from rooms import flood

from . import protocol

OVER = "You are doing that too often; wait a moment and try again."


def allow(user_pk, key):
    limit, seconds = protocol.budget(key)
    return flood.allow(f"frames:{key}:{user_pk}", limit, seconds)


async def spend(user_pk, key):
    """Count one frame of kind `key` for the user; False when over budget."""
    return await sync_to_async(allow, thread_sensitive=False)(user_pk, key)
