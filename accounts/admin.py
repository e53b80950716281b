"""Staff make, copy and revoke invitations here; adding or renaming a user refuses look-alike names."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import F
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from .forms import AdminSignupForm, AdminUserChangeForm
from .models import Invitation


def _copyable(link):
    return format_html('<input type="text" readonly value="{}" aria-label="Invitation link" size="50">', link)


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("usable", "Usable"), ("expired", "Expired"), ("used", "Used up"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "usable":
                return queryset.usable()
            case "expired":
                return queryset.filter(expires_at__lte=now)
            case "used":
                return queryset.filter(uses__gte=F("max_uses"))
            case "revoked":
                return queryset.filter(revoked=True)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_filter = [StateFilter, "revoked", "created_at", "expires_at"]
    fields = ["max_uses", "expires_at", "revoked", "link_to_copy", "created_by", "created_at", "uses"]
    readonly_fields = ["link_to_copy", "created_by", "created_at", "uses"]
    actions = ["revoke"]

    def get_changeform_initial_data(self, request):
        return {
            "expires_at": timezone.now() + timedelta(hours=settings.CHAT_INVITE_HOURS),
            "max_uses": settings.CHAT_INVITE_USES,
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_list_display(self, request):
        @admin.display(description="link")
        def link(obj):
            return _copyable(obj.link(request))

        return [link, "created_by", "created_at", "expires_at", "uses_left", "state"]

    @admin.display(description="link")
    def link_to_copy(self, obj):
        # Absolute with CHAT_BASE_URL, else the path on this site.
        return _copyable(obj.link()) if obj.pk else "Shown once saved."

    @admin.display(description="uses left")
    def uses_left(self, obj):
        return obj.uses_left

    @admin.display(description="state")
    def state(self, obj):
        return obj.refusal() or "Usable"

    @admin.action(description="Revoke selected invitations", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(
            request, ngettext("%d invitation revoked.", "%d invitations revoked.", count) % count, messages.SUCCESS
        )


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ChatUserAdmin(UserAdmin):
    add_form = AdminSignupForm
    form = AdminUserChangeForm
