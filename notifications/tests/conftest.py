import pytest


class Inbox:
    """What a real SMTP server (aiosmtpd) on 127.0.0.1 received."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        from email import message_from_bytes, policy

        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.envelopes]


@pytest.fixture
def smtp_inbox(settings):
    from aiosmtpd.controller import Controller

    from conftest import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10}}}
    settings.CHAT_BASE_URL = "https://chat.example.com"
    yield inbox
    controller.stop()
