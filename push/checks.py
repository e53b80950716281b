"""A deploy with push keys must have a usable pair: a mistyped key would
fail every push, one at a time, in the worker's log."""

from django.conf import settings
from django.core import checks

from . import vapid


@checks.register
def vapid_keys(app_configs, **kwargs):
    if not settings.VAPID_PUBLIC_KEY and not settings.VAPID_PRIVATE_KEY:
        return []
    if not vapid.configured():
        return [
            checks.Error(
                "Only one of VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY is set: push notifications need both.",
                hint="Set both from one `python manage.py vapid_keys`.",
                id="push.E001",
            )
        ]
    try:
        vapid.signer()
    except vapid.BadKeys as bad:
        return [checks.Error(str(bad), hint="Set both from one `python manage.py vapid_keys`.", id="push.E002")]
    return []
