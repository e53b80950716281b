"""Staff manage rooms and messages here; every change reaches open pages live.

Nothing here broadcasts: saving a room, changing its members and deleting
rooms or messages do it themselves (rooms/models/), after commit.
"""

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import ngettext

from .models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "topic", "is_private", "is_archived", "created_at"]
    list_filter = ["is_archived", "is_private", "created_at"]
    search_fields = ["name", "slug", "topic"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    actions = ["archive", "unarchive", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "topic"]}),
        ("Access", {"fields": ["is_archived", "is_private", "members"]}),
    ]

    @admin.action(description="Archive selected rooms (read-only)", permissions=["change"])
    def archive(self, request, queryset):
        self._set_archived(request, queryset, True)

    @admin.action(description="Unarchive selected rooms", permissions=["change"])
    def unarchive(self, request, queryset):
        self._set_archived(request, queryset, False)

    def _set_archived(self, request, queryset, archived):
        rooms = list(queryset.filter(is_archived=not archived))
        for room in rooms:
            room.set_archived(archived)
        verb = "archived" if archived else "unarchived"
        self.message_user(
            request,
            ngettext("%(count)d room %(verb)s.", "%(count)d rooms %(verb)s.", len(rooms))
            % {"count": len(rooms), "verb": verb},
            messages.SUCCESS,
        )


class NextPagePaginator(Paginator):
    """Counts no further than the page after the one asked for: the admin's
    "1 2 3 ... 40,000" and "N messages" would COUNT(*) the whole table (twice)
    on every load, which at millions of messages costs more than the page."""

    def __init__(self, object_list, per_page, page_number, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.page_number = page_number

    @cached_property
    def count(self):
        offset = (self.page_number - 1) * self.per_page
        return offset + len(self.object_list[offset:offset + self.per_page + 1].values_list("pk", flat=True))


class UncountedChangeList(ChangeList):
    """Previous / next links instead of page numbers and totals
    (templates/admin/rooms/message/pagination.html)."""

    def get_results(self, request):
        super().get_results(request)
        more = self.result_count > self.page_num * self.list_per_page
        self.previous_url = self.get_query_string({PAGE_VAR: self.page_num - 1}) if self.page_num > 1 else None
        self.next_url = self.get_query_string({PAGE_VAR: self.page_num + 1}) if more else None
        # What "0 of N selected" counts: the rows shown (there is no total to
        # select across).
        self.result_count = len(self.result_list)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "author_name", "short_text"]
    list_filter = ["room", "created_at"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["author"]
    readonly_fields = ["created_at"]
    # Newest first, sortable only by what an index orders, and no
    # date_hierarchy (it reads the dates of every row): every page costs the
    # same however long the history.
    ordering = ["-id"]
    sortable_by = ["created_at"]
    show_full_result_count = False
    list_max_show_all = 0
    # One field: an OR with the author's or room's name (other tables) would
    # scan every message. PostgreSQL serves this search from a trigram index
    # (migration 0008); @name lists one person's messages.
    search_fields = ["text"]
    search_help_text = (
        "Words in the messages' text, or @username for one person's messages. "
        "Pages are not counted: use Previous and Next."
    )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = max(1, int(request.GET.get(PAGE_VAR, 1)))
        except ValueError:
            page = 1
        return NextPagePaginator(queryset, per_page, page, orphans=orphans,
                                 allow_empty_first_page=allow_empty_first_page)

    def get_changelist(self, request, **kwargs):
        return UncountedChangeList

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.startswith("@") and len(term) > 1:
            return queryset.filter(author__username=term[1:]), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="author", ordering="author__username")
    def author_name(self, message):
        return message.author_name

    @admin.display(description="text")
    def short_text(self, message):
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"
