"""Frame budgets: how many frames of each kind one user may send.

Every kind of frame a page sends costs the server something (a query, a
broadcast, a catch-up). Each has a budget per user over a window, counted on
the shared cache (core/limits.py) like flood control, so a user's sockets and processes
draw on one allowance; the budgets are in realtime/protocol.py's table.
A page behaving normally stays far below them.

When the shared cache is away the frame goes through (logged): flood
control and the rest of the chat fail on their own terms then, and a budget
must not turn an outage into a crashed socket.
"""

import logging

from core import limits

from . import protocol

OVER = "You are doing that too often; wait a moment and try again."

log = logging.getLogger(__name__)


async def spend(user_pk, key):
    """Count one frame of kind `key` for the user; False when over budget.
    On the event loop: one Redis round trip, no thread (core/limits.py)."""
    limit, seconds = protocol.budget(key)
    try:
        return await limits.allow_soon(f"frames:{key}:{user_pk}", limit, seconds)
    except Exception:
        log.warning("could not count a %s frame of user %s; letting it through", key, user_pk, exc_info=True)
        return True
