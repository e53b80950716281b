from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts (sign-up, invitations, first run)"

    def ready(self):
        from . import signals, throttle  # noqa: F401  (throttle counts failed logins from every login form, the admin's too)
