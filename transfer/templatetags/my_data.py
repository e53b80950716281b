from django import template

from ..views import section_context

register = template.Library()


@register.inclusion_tag("transfer/my_data.html", takes_context=True)
def my_data_section(context):
    """The "Download my data" part of /settings/, for the signed-in person."""
    return {**section_context(context["request"].user), "request": context["request"]}
