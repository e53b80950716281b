from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ProfileForm, avatar_body_ceiling, avatar_too_large
from accounts.models import Profile
from core.request_bodies import accepts_body
from realtime import broadcast
from rooms.models import Room

from .forms import EmailSettingsForm
from .models import BadConfirmation, ConfirmationPaused, NotificationSettings
from .preferences import ALL, MENTIONS, RoomPreference
from .templatetags.room_notifications import menu_context


def _settings_page(request, email_form=None, profile_form=None, status=200):
    """/settings/: the person's name and avatar, their password, their email."""
    prefs = NotificationSettings.objects.for_user(request.user)
    return render(
        request,
        "notifications/settings.html",
        {
            "form": email_form or EmailSettingsForm(instance=prefs),
            "prefs": prefs,
            "profile_form": profile_form or ProfileForm(instance=_profile(request.user)),
        },
        status=status,
    )


def _profile(user):
    return Profile.objects.filter(user=user).first() or Profile(user=user)


@accepts_body(
    avatar_body_ceiling, avatar_too_large, signed_out="You are signed out. Log in again to change your settings."
)
@login_required
@require_POST
def profile_settings(request):
    """The display name and avatar (accounts.forms.ProfileForm); saving
    shows them on every open page at once (accounts.models.Profile)."""
    form = ProfileForm(request.POST, request.FILES, instance=_profile(request.user))
    if form.is_valid():
        form.save()
        messages.success(request, "Saved: your name and avatar are shown as they are now.")
        return redirect("notifications:settings")
    return _settings_page(request, profile_form=form, status=400)


@login_required
def email_settings(request):
    prefs = NotificationSettings.objects.for_user(request.user)
    form = EmailSettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        # Only the choice: a confirmation opened meanwhile stays recorded.
        form.save(commit=False).save(update_fields=["email_unread_mentions_and_dms"])
        address = form.cleaned_data["email"]
        try:
            if prefs.set_address(address):
                messages.success(
                    request, f"Saved. A confirmation link is on its way to {address}: emails start once you open it."
                )
            else:
                messages.success(request, "Saved.")
        except ConfirmationPaused as paused:
            messages.warning(request, f"Saved. {paused_text(paused)}")
        return redirect("notifications:settings")
    return _settings_page(request, email_form=form)


@login_required
@require_POST
def send_confirmation(request):
    """ "Send again": another confirmation link to the address set now."""
    prefs = NotificationSettings.objects.for_user(request.user)
    if not prefs.awaiting_confirmation:
        messages.info(request, "There is no address waiting for confirmation.")
        return redirect("notifications:settings")
    try:
        prefs.request_confirmation()
    except ConfirmationPaused as paused:
        messages.warning(request, paused_text(paused))
    else:
        messages.success(request, f"A new confirmation link is on its way to {prefs.user.email}.")
    return redirect("notifications:settings")


def paused_text(paused):
    until = timezone.localtime(paused.until)
    when = f"{until:%H:%M %Z}" if until.date() == timezone.localdate() else f"{until:%Y-%m-%d %H:%M %Z}"
    return f"No confirmation link was sent now: so that no inbox gets flooded, ask again after {when}."


# The link in the email is the authority, not a session: it works signed out
# and in another browser. GET only shows the button (mail scanners open links).
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    try:
        prefs, address = NotificationSettings.objects.from_confirmation_token(token)
    except BadConfirmation as refusal:
        return render(request, "notifications/confirm.html", {"refusal": str(refusal)}, status=400)
    confirmed = prefs.email_confirmed
    if request.method == "POST" and not confirmed:
        prefs.confirm(address)
        confirmed = True
    return render(
        request,
        "notifications/confirm.html",
        {
            "address": address,
            "username": prefs.user.get_username(),
            "confirmed": confirmed,
            "emails_off": not prefs.email_unread_mentions_and_dms,
        },
    )


# RFC 8058: mail programs POST `List-Unsubscribe=One-Click` here without a
# cookie or a CSRF token; the signed token is the authority. A GET (a mail
# scanner following the link, or a person) only shows the button, and never
# the address: anyone holding the link would learn it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    prefs = NotificationSettings.objects.from_unsubscribe_token(token)
    if prefs is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST" and prefs.email_unread_mentions_and_dms:
        prefs.email_unread_mentions_and_dms = False
        prefs.save(update_fields=["email_unread_mentions_and_dms"])
    return render(request, "notifications/unsubscribe.html", {"done": request.method == "POST"})


BAD_ROOM_CHOICE = "Send level=all or level=mentions, or muted=true or muted=false."


@login_required
@require_POST
def room_notifications(request, **route):
    """A choice from the room's menu: its level, or muting it. The reader's
    other pages learn of it at once (their background notifications follow
    it); the menu comes back to htmx, the room page to a plain form."""
    room = get_object_or_404(Room.objects.visible_to(request.user).at(**route))
    level, muted = request.POST.get("level"), request.POST.get("muted")
    if level not in (None, ALL, MENTIONS) or muted not in (None, "true", "false") or (level is None) == (muted is None):
        return HttpResponseBadRequest(BAD_ROOM_CHOICE, content_type="text/plain; charset=utf-8")
    RoomPreference.objects.choose(request.user, room, level=level, muted=None if muted is None else muted == "true")
    user = request.user
    transaction.on_commit(lambda: levels_changed(user), robust=True)
    if request.htmx:
        return render(request, "notifications/room_menu.html", menu_context(user, room, open=True))
    return redirect(room.get_absolute_url())


def levels_changed(user):
    """Every page of `user` gets their levels anew (notifications.js reads them)."""
    html = render_to_string(
        "notifications/notify_levels.html", {"levels": RoomPreference.objects.levels_for(user), "oob": True}
    )
    broadcast.publish(broadcast.user_group(user.pk), broadcast.FRAGMENT, html)
