""" "Download my data" at /settings/: asking for the archive, its status
while the worker makes it, and the download, which only its person gets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.serving import signed_url

from .models import DataExport
from .tasks import make_data_export


def section_context(user):
    return {"export": DataExport.objects.latest_for(user)}


@login_required
@require_GET
def my_data(request):
    """The section alone: what the settings page asks for while an archive is being made."""
    return render(request, "transfer/my_data.html", section_context(request.user))


@login_required
@require_POST
def request_data(request):
    """Queue a new archive (one at a time); the ones before it go."""
    with transaction.atomic():
        if DataExport.objects.filter(user=request.user, status=DataExport.QUEUED).exists():
            messages.info(request, "Your data is being prepared already.")
        else:
            DataExport.objects.filter(user=request.user).delete()
            export = DataExport.objects.create(user=request.user)
            transaction.on_commit(lambda: make_data_export.enqueue(export.pk), robust=True)
            messages.success(request, "Preparing your data: a link to download it appears here when it is ready.")
    return redirect(reverse("notifications:settings") + "#my-data")


@login_required
@require_GET
def download_data(request, pk):
    """The archive, to its person only, while it is kept (404 for anyone else, or once it is gone)."""
    export = DataExport.objects.filter(pk=pk, user=request.user).first()
    if export is None or not export.is_downloadable:
        raise Http404("No such archive: it may have expired. Ask for a new one at Settings.")
    url = signed_url(export.file.name, export.download_name, "application/zip", inline=False)
    if url is not None:
        response = HttpResponseRedirect(url)
    else:
        try:
            stream = export.file.open("rb")
        except FileNotFoundError:
            raise Http404("No such archive.") from None
        response = FileResponse(
            stream, as_attachment=True, filename=export.download_name, content_type="application/zip"
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
