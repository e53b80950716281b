"""EMAIL_URL configures the SMTP server (Django 6.1's MAILERS); without it
emails are printed to the log, and the deploy check allows that."""

from project.tests.test_deploy import PRODUCTION, manage, settings_value


def test_email_url_sets_the_smtp_mailer():
    mailer = settings_value(
        "settings.MAILERS['default']",
        EMAIL_URL="submission://bot%40example.com:s3cret@smtp.example.com:587",
    )
    assert "'BACKEND': 'django.core.mail.backends.smtp.EmailBackend'" in mailer
    for part in ["'host': 'smtp.example.com'", "'port': 587", "'username': 'bot@example.com'",
                 "'password': 's3cret'", "'use_tls': True"]:
        assert part in mailer


def test_without_email_url_emails_go_to_the_console_and_the_deploy_check_passes():
    assert "console" in settings_value("settings.MAILERS['default']['BACKEND']", EMAIL_URL="")
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    with_smtp = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, EMAIL_URL="smtp://mail.example.com:25")
    assert with_smtp.returncode == 0, with_smtp.stdout + with_smtp.stderr
