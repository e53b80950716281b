from django import forms
from django.contrib.auth.base_user import BaseUserManager

from .models import NotificationSettings, pace_in_words


class EmailSettingsForm(forms.ModelForm):
    """Whether to email the person, and their address: save() saves the
    choice; the address goes through NotificationSettings.set_address (a new
    one is sent a confirmation link)."""

    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Where emails about mentions and direct messages you have not read go, once you confirm it "
        "from the link sent there. Leave empty for none.",
    )

    class Meta:
        model = NotificationSettings
        fields = ["email", "email_unread_mentions_and_dms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.user.email
        self.fields["email_unread_mentions_and_dms"].help_text = email_unread_mentions_and_dms_help()

    def clean_email(self):
        return BaseUserManager.normalize_email(self.cleaned_data["email"])


def email_unread_mentions_and_dms_help():
    return f"{pace_in_words()}, with a link to each message."
