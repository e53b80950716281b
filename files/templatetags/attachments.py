from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from core.text import describe_size

register = template.Library()


@register.filter
def attachment_size(size):
    """A file's size as the message shows it (25 MiB, 300 KiB, 12 bytes)."""
    return describe_size(size)


@register.simple_tag
def upload_limits():
    """The composer's file input: the per-file limit, in bytes and as the
    refusal names it, so the page refuses at once what the server would."""
    limit = settings.CHAT_MAX_UPLOAD_BYTES
    return format_html(
        'data-max-bytes="{}" data-max-size="{}" data-max-files="{}"',
        limit,
        describe_size(limit),
        settings.CHAT_MAX_FILES_PER_MESSAGE,
    )


@register.simple_tag
def upload_url(room):
    """Where the composer posts files: /rooms/<slug>/files/ or /dm/<id>/files/."""
    return reverse("files:dm-upload" if room.is_direct else "files:upload", kwargs=room.route)
