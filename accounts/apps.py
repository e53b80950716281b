from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts (sign-up, invitations, first run)"

    def ready(self):
        from . import throttle  # noqa: F401  (counts failed logins from every login form, the admin's too)
