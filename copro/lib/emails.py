"""Templated email: a subject / text / html triple under templates/emails/<name>.*"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_email(
    name: str, *, to: list[str], context: dict, language: str | None = None
) -> None:
    """Render emails/<name>_subject.txt, _body.txt, _body.html in `language`; send."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"emails/{name}_subject.txt", context, using="text")
        text = render_to_string(f"emails/{name}_body.txt", context, using="text")
        html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=to
    )
    message.attach_alternative(html, "text/html")
    message.send()
