"""What a person's change looks like on every signed-in page."""

from django.template.loader import render_to_string

from realtime import broadcast


def person_changed(user):
    """Someone set their display name or avatar: every signed-in page shows
    the new ones beside their messages and in "Here now" (people.js), from
    one fragment for everyone (`user` has its profile selected)."""
    html = render_to_string("accounts/person_changed.html", {"person": user})
    broadcast.publish(broadcast.LIST_GROUP, broadcast.FRAGMENT, html)
