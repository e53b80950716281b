"""EMAIL_URL configures the SMTP server (Django 6.1's MAILERS); without it
emails are printed to the log, and the deploy check allows that. With it,
the check insists on CHAT_BASE_URL: emails are not sent without it."""

from project.tests.test_deploy import PRODUCTION, manage, settings_value


def test_email_url_sets_the_smtp_mailer():
    mailer = settings_value(
        "settings.MAILERS['default']",
        EMAIL_URL="submission://bot%40example.com:s3cret@smtp.example.com:587",
    )
    assert "'BACKEND': 'django.core.mail.backends.smtp.EmailBackend'" in mailer
    for part in [
        "'host': 'smtp.example.com'",
        "'port': 587",
        "'username': 'bot@example.com'",
        "'password': 's3cret'",
        "'use_tls': True",
    ]:
        assert part in mailer


def test_without_email_url_emails_go_to_the_console_and_the_deploy_check_passes():
    assert "console" in settings_value("settings.MAILERS['default']['BACKEND']", EMAIL_URL="")
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    with_smtp = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        EMAIL_URL="smtp://mail.example.com:25",
        CHAT_BASE_URL="https://chat.example.com",
    )
    assert with_smtp.returncode == 0, with_smtp.stdout + with_smtp.stderr


def test_the_deploy_check_refuses_email_without_a_base_url_for_its_links():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        EMAIL_URL="smtp://mail.example.com:25",
        CHAT_BASE_URL=None,
    )
    assert result.returncode != 0
    assert "notifications.W001" in result.stderr and "CHAT_BASE_URL is not" in result.stderr
