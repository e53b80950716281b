"""The worker's side of moving history: claim links by email after an
import, and each person's "Download my data" archive, made and, once
expired, deleted."""

import tempfile
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files import File
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Invitation
from core.tasks import GiveUp, retrying_task
from core.text import one_line

from .models import DataExport
from .slack_export import export_person


@retrying_task(retries=3)
def email_claim_link(invitation_id, attempt=1):
    """Email an imported person the link that claims their account, unless
    it was claimed or withdrawn meanwhile (SMTP errors are retried)."""
    invitation = Invitation.objects.select_related("account").filter(pk=invitation_id).first()
    if invitation is None or invitation.account is None or invitation.refusal():
        raise GiveUp(f"invitation {invitation_id} is gone or no longer valid")
    account = invitation.account
    if account.is_active or account.has_usable_password() or not account.email:
        return {"sent": 0, "why": "claimed already, or no address"}
    site = urlsplit(settings.CHAT_BASE_URL).hostname or settings.CHAT_BASE_URL
    context = {"account": account, "site": site, "link": invitation.link(), "expires_at": invitation.expires_at}
    EmailMessage(
        subject=one_line(f"Your history moved to {site}: claim your account", 150),
        body=render_to_string("transfer/claim_account.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[account.email],
    ).send()
    return {"sent": 1}


@task()
def make_data_export(export_id):
    """Write the person's archive, keep it for CHAT_DATA_EXPORT_DAYS, and
    queue its deletion for then."""
    export = DataExport.objects.select_related("user").filter(pk=export_id, status=DataExport.QUEUED).first()
    if export is None:
        return {"made": 0, "why": "gone, or made already"}
    try:
        with tempfile.TemporaryFile() as out:
            export_person(out, export.user)
            size = out.tell()
            out.seek(0)
            export.file.save(f"data-exports/{export.user.pk}/{export.pk}/{export.download_name}", File(out), save=False)
    except Exception:
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.FAILED, finished_at=timezone.now())
        raise
    export.status, export.size = DataExport.READY, size
    export.finished_at = timezone.now()
    export.expires_at = export.finished_at + timedelta(days=settings.CHAT_DATA_EXPORT_DAYS)
    export.save()
    delete_data_export.using(run_after=export.expires_at).enqueue(export.pk)
    return {"made": 1, "bytes": size}


@task()
def delete_data_export(export_id):
    """An archive past its time goes, with its file (transfer/signals.py)."""
    deleted, _ = DataExport.objects.expired().filter(pk=export_id).delete()
    return {"deleted": deleted}
