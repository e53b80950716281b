"""People in templates: {{ user|display_name }} and {% avatar user %} (accounts/names.py)."""

from django import template
from django.utils.html import format_html

from .. import names

register = template.Library()


@register.filter
def display_name(user):
    return names.display_name(user) if user is not None else "deleted user"


@register.simple_tag
def avatar(user, size="small"):
    """The person's picture, or their initial on their colour; decorative
    (alt=""): their name is always written beside it. `size`: small (beside
    a message or a name) or large (the settings page)."""
    if user is None:
        return format_html(
            '<span class="avatar avatar-{} avatar-initial avatar-hue-0" data-initial="?" aria-hidden="true"></span>',
            size,
        )
    url = names.avatar_url(user)
    if url:
        return format_html('<img class="avatar avatar-{}" src="{}" alt="" width="128" height="128">', size, url)
    # The letter is drawn by the stylesheet (data-initial): the name beside
    # it stays the element's whole text, for copying and for tests alike.
    return format_html(
        '<span class="avatar avatar-{} avatar-initial avatar-hue-{}" data-initial="{}" aria-hidden="true"></span>',
        size,
        names.avatar_hue(user),
        names.initial(user),
    )
