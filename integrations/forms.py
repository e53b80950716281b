from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator

from . import webhooks
from .models import Bot


def validate_bot_name(name, bot=None):
    """A bot's name is its username: the username rules, and not taken."""
    UnicodeUsernameValidator()(name)
    taken = get_user_model().objects.filter(username__iexact=name)
    if bot is not None and bot.user_id:
        taken = taken.exclude(pk=bot.user_id)
    if taken.exists():
        raise forms.ValidationError(f"The name {name} is taken by someone (or some bot) already.")


def validate_webhook_url(url):
    if url:
        try:
            webhooks.check_url(url)
        except webhooks.RefusedURL as refusal:
            raise forms.ValidationError(str(refusal)) from None


class BotForm(forms.ModelForm):
    class Meta:
        model = Bot
        fields = ["name", "rooms", "webhook_url"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        validate_bot_name(name, self.instance if self.instance.pk else None)
        return name

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"]
        validate_webhook_url(url)
        return url
