"""What pages need of push: the key a browser subscribes with (every page's
head, for its "Enable notifications"), and the settings page's devices."""

from django import template
from django.conf import settings

from .. import vapid
from ..models import PushSubscription

register = template.Library()


@register.inclusion_tag("push/head.html")
def push_config():
    """{% push_config %}: in <head>, the public key and where subscriptions go (nothing while push is off)."""
    return {"key": settings.VAPID_PUBLIC_KEY if vapid.configured() else ""}


@register.inclusion_tag("push/settings.html", takes_context=True)
def push_settings(context):
    """{% push_settings %}: the settings page's section about devices."""
    user = context["user"]
    return {
        "enabled": vapid.configured(),
        "devices": PushSubscription.objects.filter(user=user),
        "csrf_token": context.get("csrf_token"),
    }
