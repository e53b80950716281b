"""The peer: the Channels tutorial's async chat consumer (part 3), unchanged
except for the URL, served by daphne with the chat's settings and Redis layer."""
