from django.contrib import admin

from .forms import email_unread_mentions_and_dms_help
from .models import NotificationSettings


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_unread_mentions_and_dms", "email_confirmed", "last_emailed_at"]
    list_filter = ["email_unread_mentions_and_dms"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = [
        "user",
        "confirmed_email",
        "confirmation_sent_to",
        "confirmation_sent_at",
        "last_emailed_at",
        "emailed_through",
        "check_queued_for",
    ]

    @admin.display(boolean=True, description="address confirmed")
    def email_confirmed(self, prefs):
        return prefs.email_confirmed

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "email_unread_mentions_and_dms":
            field.help_text = email_unread_mentions_and_dms_help()
        return field
