from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from documents.selectors import MARK_START, MARK_STOP

register = template.Library()


@register.filter
def highlight(snippet: str):
    """A search snippet, escaped, with the matched words in <mark>."""
    html = escape(snippet or "")
    html = html.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 (escaped just above)
