"""A deploy that sends email must say where the chat is: every email's links
(messages, settings, unsubscribe, confirmation) are built from
CHAT_BASE_URL, and without it the worker sends none (core/links.py's NoBaseURL)."""

from django.conf import settings
from django.core import checks


@checks.register
def base_url_for_emails(app_configs, **kwargs):
    if settings.EMAIL_URL and not settings.CHAT_BASE_URL:
        return [
            checks.Warning(
                "EMAIL_URL is set but CHAT_BASE_URL is not: no email will be sent, since links in emails must be "
                "absolute.",
                hint="Set CHAT_BASE_URL to the address people open the chat at, e.g. https://chat.example.com.",
                id="notifications.W001",
            )
        ]
    return []
