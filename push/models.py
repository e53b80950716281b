"""A device that gets pushes: one browser's push subscription (its push
service's endpoint and the keys its pushes are encrypted for), saved from
`PushSubscription.toJSON()` when its person enabled notifications there."""

from django.conf import settings
from django.db import models

# RFC 8291: the browser's P-256 public key (uncompressed point) and auth secret.
P256DH_BYTES, AUTH_BYTES = 65, 16


class PushSubscriptionQuerySet(models.QuerySet):
    def current(self):
        """Those made with the VAPID key in force: a push service refuses the
        others' pushes (their browser must subscribe again)."""
        return self.filter(server_key=settings.VAPID_PUBLIC_KEY.rstrip("="))


class PushSubscription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    # The push service's URL for this browser: one device, whoever signs in
    # on it last (a shared computer's pushes follow its current person).
    endpoint = models.URLField(max_length=1024, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    # The VAPID public key the browser subscribed with.
    server_key = models.CharField(max_length=100)
    device = models.CharField("device", max_length=100, help_text="What the browser said it is, for its person's list.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    objects = PushSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "push subscription"

    def __str__(self):
        return f"{self.device} of {self.user}"

    def info(self):
        """What pywebpush takes: the subscription as the browser gave it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def device_label(user_agent):
    """ "Chrome on Android", "Firefox on Windows": enough for a person to tell
    their devices apart, from the User-Agent header (order matters: Edge
    and Opera say Chrome too, Chrome says Safari, Android says Linux)."""
    browsers = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ]
    browser = next((name for mark, name in browsers if mark in user_agent), "A browser")
    system = next((name for mark, name in systems if mark in user_agent), None)
    return f"{browser} on {system}" if system else browser
