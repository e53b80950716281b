"""Links for outside the site (emails, pushes): made from CHAT_BASE_URL."""

from urllib.parse import urlsplit

from django.conf import settings

from .tasks import GiveUp


class NoBaseURL(GiveUp):
    """CHAT_BASE_URL is unset, so an email could hold only bare paths, which
    open nothing from a mail program (and a List-Unsubscribe link must be
    absolute). Not retried: waiting does not set it. `manage.py check` warns
    of it wherever EMAIL_URL is set."""


def absolute(path):
    """A link for outside the site, from CHAT_BASE_URL; raises NoBaseURL
    when it is unset (emails are not sent with bare paths)."""
    if not settings.CHAT_BASE_URL:
        raise NoBaseURL("CHAT_BASE_URL is unset: emails need it for their links, e.g. https://chat.example.com")
    return settings.CHAT_BASE_URL + path


def site_name():
    """The chat as an email names it: the host people reach it at."""
    return urlsplit(absolute("/")).hostname
