from django.contrib import admin
from django.urls import include, path

from core.health import healthz
from core.views import metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("search/", include("search.urls")),
    path("", include("frontend.urls")),
    path("", include("files.urls")),
    path("", include("integrations.urls")),
    path("", include("notifications.urls")),
    path("", include("push.urls")),
    path("", include("transfer.urls")),
    path("", include("rooms.urls")),
]
