from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import PasswordResetForm

from .models import NotificationSettings, pace_in_words


class EmailSettingsForm(forms.ModelForm):
    """Whether to email the person, and their address: save() saves the
    choice; the address goes through NotificationSettings.set_address (a new
    one is sent a confirmation link)."""

    email = forms.EmailField(
        label="Email address", required=False,
        help_text="Where emails about mentions and direct messages you have not read go, once you confirm it "
                  "from the link sent there. Leave empty for none.",
    )

    class Meta:
        model = NotificationSettings
        fields = ["email", "email_mentions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.user.email
        self.fields["email_mentions"].help_text = email_mentions_help()

    def clean_email(self):
        return BaseUserManager.normalize_email(self.cleaned_data["email"])


def email_mentions_help():
    return f"{pace_in_words()}, with a link to each message."


class ConfirmedAddressResetForm(PasswordResetForm):
    """"Forgot your password?": the people whose confirmed address this is
    (active, with a password) are each sent a reset link by the worker. An
    address set but never confirmed gets nothing: anyone can type anyone's
    address into their settings. Nobody is told whether anyone matched."""

    def get_users(self, email):
        return (user for user in super().get_users(email)
                if NotificationSettings.objects.filter(user=user, confirmed_email=user.email).exists())

    def save(self, **options):
        """Queue the emails. Django's options (domain, templates, token
        generator) are not used: the worker makes the link from
        CHAT_BASE_URL and a fresh token when it sends."""
        from .tasks import queue_password_reset

        for user in self.get_users(self.cleaned_data["email"]):
            queue_password_reset(user)
