from django.contrib import admin

from .models import PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "device", "created_at", "last_pushed_at"]
    search_fields = ["user__username", "device"]
    readonly_fields = ["user", "endpoint", "p256dh", "auth", "server_key", "device", "created_at", "last_pushed_at"]

    def has_add_permission(self, request):
        return False  # made by browsers only
