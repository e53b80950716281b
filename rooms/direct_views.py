"""Starting a direct conversation: "Message <name>" on a person's name, and
the "New message" picker (/dm/new/), which finds people by name."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .models import MAX_OTHERS, conversation_between, people_named
from .models.direct import people_matching


@login_required
@require_http_methods(["GET", "POST"])
def new_conversation(request):
    """GET: the picker (?q= finds people; ?with= keeps those picked). POST
    with= 1-8 usernames: the conversation of those people and the user,
    started if it is new, opened either way."""
    picked_names = request.POST.getlist("with") if request.method == "POST" else request.GET.getlist("with")
    error = None
    if request.method == "POST":
        try:
            room, _ = conversation_between(request.user, people_named(picked_names, request.user))
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            return redirect(room.get_absolute_url())
    try:
        picked = people_named(picked_names, request.user) if picked_names else []
    except ValidationError:
        picked = []
    query = request.GET.get("q", "")
    picked_pks = {person.pk for person in picked}
    found = [person for person in people_matching(query, request.user) if person.pk not in picked_pks]
    context = {"picked": picked, "found": found, "q": query, "error": error, "max_others": MAX_OTHERS, "searched": True}
    if request.htmx and request.method == "GET":
        return render(request, "rooms/new_conversation.html#people", context)
    return render(request, "rooms/new_conversation.html", context, status=400 if error else 200)
