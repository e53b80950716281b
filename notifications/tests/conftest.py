import pytest


@pytest.fixture
def smtp_inbox(settings, smtp_server):
    """The real SMTP server of the root conftest, as this suite's mailer."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 10},
        }
    }
    settings.CHAT_BASE_URL = "https://chat.example.com"
    return smtp_server


@pytest.fixture(autouse=True)
def no_delay(settings):
    """Unread messages are due at once (the delay is the worker's run_after)."""
    settings.CHAT_EMAIL_DELAY_SECONDS = 0


def confirmed(user, address):
    """`user` with `address` set and confirmed, as after opening the link."""
    from notifications.models import NotificationSettings

    user.email = address
    user.save()
    NotificationSettings.objects.for_user(user).confirm(address)
    return user


@pytest.fixture
def alice_with_email(alice):
    return confirmed(alice, "alice@example.com")
