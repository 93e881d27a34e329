from __future__ import annotations

import re

from django import template

register = template.Library()


@register.filter
def tel(number: str) -> str:
    """A phone number as a tel: address: digits and a leading +, nothing else."""
    number = (number or "").strip()
    digits = re.sub(r"\D", "", number)
    return f"tel:+{digits}" if number.startswith("+") else f"tel:{digits}"
