from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from .forms import EmailSettingsForm
from .models import NotificationSettings


@login_required
def email_settings(request):
    prefs = NotificationSettings.objects.for_user(request.user)
    form = EmailSettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})


# The signed token is the authority, not a session: an email client's
# one-click POST (RFC 8058) carries no cookie and no CSRF token.
@csrf_exempt
def unsubscribe(request, token):
    """One click from an email turns these emails off (GET from the link,
    POST from the mail client's unsubscribe button)."""
    prefs = NotificationSettings.objects.from_unsubscribe_token(token)
    if prefs is None:
        return render(request, "notifications/unsubscribed.html", {"invalid": True}, status=400)
    if request.method in {"GET", "POST"} and prefs.email_mentions:
        prefs.email_mentions = False
        prefs.save(update_fields=["email_mentions"])
    return render(request, "notifications/unsubscribed.html", {"prefs": prefs})
