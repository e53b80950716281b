"""Staff make bots here; the token is shown once, in the message after saving."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from .forms import BotForm
from .models import Bot, Delivery


def show_token(request, bot, token):
    messages.warning(
        request,
        f"Token for {bot.name} (shown only this once; copy it now): {token}",
    )


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    form = BotForm
    list_display = ["name", "token_prefix", "active", "webhook_url", "created_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name"]
    filter_horizontal = ["rooms"]
    readonly_fields = ["token_prefix", "revoked_at", "created_by", "created_at"]
    actions = ["revoke_tokens", "issue_new_tokens"]

    @admin.display(boolean=True, description="token works")
    def active(self, bot):
        return bot.is_active

    @transaction.atomic
    def save_model(self, request, bot, form, change):
        if change:
            if "name" in form.changed_data:
                bot.user.username = bot.name
                bot.user.save(update_fields=["username"])
            bot.save()
            return
        bot.user = get_user_model().objects.create_user(bot.name)
        bot.created_by = request.user
        bot.save()
        # Shown after the rooms are saved too (save_related); the request outlives this.
        request._new_bot_token = bot.issue_token()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.join_private_rooms()

    def response_add(self, request, bot, post_url_continue=None):
        show_token(request, bot, request._new_bot_token)
        return super().response_add(request, bot, post_url_continue)

    @admin.action(description="Revoke the selected bots' tokens")
    def revoke_tokens(self, request, queryset):
        for bot in queryset:
            bot.revoke()
        self.message_user(request, f"Revoked {queryset.count()} token(s); those bots can no longer post.")

    @admin.action(description="Issue new tokens (the old ones stop working)")
    def issue_new_tokens(self, request, queryset):
        for bot in queryset:
            show_token(request, bot, bot.issue_token())


def message_reference(message):
    """A message a delivery names: its start and a link for a room's; only
    that it was a direct message otherwise (its participants alone read it)."""
    if message is None:
        return "-"
    if message.room.is_direct:
        return f"a direct message (#{message.pk}, not shown)"
    return format_html('<a href="{}">{}</a>', reverse("admin:rooms_message_change", args=[message.pk]), message)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "bot", "event", "status", "attempts", "response_status", "last_error"]
    list_filter = ["status", "event", "bot"]
    list_select_related = ["bot"]
    fields = [
        "bot",
        "sent_message",
        "event",
        "url",
        "status",
        "attempts",
        "last_error",
        "response_status",
        "bot_reply",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("message__room", "message__author", "reply__room", "reply__author")
        )

    @admin.display(description="message")
    def sent_message(self, delivery):
        return message_reference(delivery.message)

    @admin.display(description="reply")
    def bot_reply(self, delivery):
        return message_reference(delivery.reply)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
