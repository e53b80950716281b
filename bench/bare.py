"""The ceiling: a bare `websockets` server that broadcasts one frame per message.

python -m bench.bare --port PORT

Every text frame a client sends is parsed like the chat's (JSON with a
`message` field) and broadcast with websockets.broadcast() to every socket
on the same path, as {"message": text}: one encode, one write per socket.
No auth, no database, no channel layer. Plain asyncio event loop, as daphne
uses (pass --uvloop to try uvloop).
"""

import argparse
import asyncio
import json
import signal

from websockets.asyncio.server import broadcast, serve

rooms = {}


async def handler(websocket):
    path = websocket.request.path
    members = rooms.setdefault(path, set())
    members.add(websocket)
    try:
        async for frame in websocket:
            try:
                text = json.loads(frame)["message"]
            except (ValueError, TypeError, KeyError):
                continue
            broadcast(members, json.dumps({"message": text}))
    finally:
        members.discard(websocket)


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.cancel)
    # No compression: daphne does not negotiate it either.
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None, ping_interval=20, backlog=1024):
        try:
            await stop
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.run(main(args.port))
    else:
        asyncio.run(main(args.port))
