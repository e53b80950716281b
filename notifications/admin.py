from django.contrib import admin

from .models import NotificationSettings


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mentions", "last_emailed_at"]
    list_filter = ["email_mentions"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = ["user", "last_emailed_at", "emailed_through", "check_queued_for"]
