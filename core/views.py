import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import metrics as chat_metrics


@never_cache
@require_GET
def metrics(request):
    """Prometheus' scrape (docs/monitoring.md): only with METRICS_TOKEN set,
    only to `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets the
    site's 404, as for an address that does not exist."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Http404
    body, content_type = chat_metrics.exposition()
    return HttpResponse(body, content_type=content_type)
