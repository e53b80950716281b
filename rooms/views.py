from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Room


@login_required
def room_list(request):
    rooms = Room.objects.visible_to(request.user)
    return render(request, "rooms/room_list.html", {"rooms": rooms})


@login_required
def room_detail(request, slug):
    # A private room the user may not see is a 404: its existence stays secret.
    room = get_object_or_404(Room.objects.visible_to(request.user), slug=slug)
    return render(
        request,
        "rooms/room.html",
        {
            "room": room,
            "history": room.latest_messages(),
            "max_length": settings.CHAT_MAX_MESSAGE_LENGTH,
        },
    )


def signup(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "rooms:list")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect(next_url or "rooms:list")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
