from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from rooms.models import Room
from rooms.models.direct import attach_participants

from . import engine
from .query import BadQuery, parse


@login_required
def search(request):
    """/search/?q=: the form, and a page of results (or, for "More results"
    fetched by htmx, just the next page of them)."""
    params = request.GET
    order = params.get("order") if params.get("order") in engine.ORDERS else engine.NEWEST
    form = {
        "q": params.get("q", ""),
        "room": params.get("room", ""),
        "author": params.get("author", ""),
        "order": order,
    }
    context = {
        **form,
        "orders": engine.ORDERS,
        "rooms": attach_participants(list(Room.objects.visible_to(request.user).order_by("name"))),
        "page": None,
        "error": None,
    }
    try:
        query = parse(form["q"], author=form["author"], room=form["room"])
        cursor = engine.Cursor.parse(params["cursor"], order) if params.get("cursor") else None
    except (BadQuery, engine.BadCursor) as error:
        context["error"] = str(error)
        return render(request, "search/search.html", context, status=400)
    if not query.is_empty or query.author or query.room:
        context["page"] = engine.search(request.user, query, order, cursor)
        # Conversations are titled by their people: fetched for the page at once.
        attach_participants([result.message.room for result in context["page"].results])
        more = params.copy()
        if context["page"].next_cursor:
            more["cursor"] = str(context["page"].next_cursor)
        context["more_query"] = more.urlencode()
    if cursor is not None and request.htmx:
        return render(request, "search/search.html#results-page", context)
    return render(request, "search/search.html", context)
