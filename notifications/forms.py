from django import forms

from .models import NotificationSettings


class EmailSettingsForm(forms.ModelForm):
    """The person's address (on their user) and whether to email them."""

    email = forms.EmailField(
        label="Email address", required=False,
        help_text="Where emails about mentions and direct messages you have not read go. Leave empty for none.",
    )

    class Meta:
        model = NotificationSettings
        fields = ["email", "email_mentions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.user.email

    def save(self, commit=True):
        prefs = super().save(commit=commit)
        prefs.user.email = self.cleaned_data["email"]
        if commit:
            prefs.user.save(update_fields=["email"])
        return prefs
