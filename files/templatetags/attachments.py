from django import template

from ..uploads import describe_size

register = template.Library()


@register.filter
def attachment_size(size):
    """A file's size as the message shows it (25 MiB, 300 KiB, 12 bytes)."""
    return describe_size(size)
