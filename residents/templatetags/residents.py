from django import template

from residents.models import Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """A role's name in the active language (notifications carry the raw value)."""
    try:
        return Role(value).label
    except ValueError:
        return value
