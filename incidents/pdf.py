"""The "demande d'intervention": an A4 PDF for the provider, made with WeasyPrint.

The page is a Django template (templates/incidents/pdf/intervention.html) styled by
static/css/print.css. The incident's photos are read from private storage through
our own URL fetcher (`photo:<id>` addresses): WeasyPrint never opens a network or
file URL, so nothing in a ticket's text can make the server fetch anything.
"""

from __future__ import annotations

import mimetypes

from django.utils import timezone
from weasyprint import URLFetcher
from weasyprint.urls import URLFetcherResponse

from copro.lib.pdf import render_pdf
from directory.models import Contact, ContactKind

from .models import Intervention, Photo

STYLESHEET = "css/print.css"
MAX_PHOTOS = 6


class _PhotoFetcher(URLFetcher):
    """Serves `photo:<id>` from storage; refuses every other address."""

    def __init__(self, photos: dict[str, Photo]):
        super().__init__(allowed_protocols=["photo"])
        self._photos = photos

    def fetch(self, url, headers=None):
        photo = self._photos.get(url)
        if photo is None:
            raise ValueError(f"Refused address: {url}")
        # The stored image is re-encoded and at most 2560 px: readable when printed.
        with photo.image.open("rb") as handle:
            data = handle.read()
        content_type = mimetypes.guess_type(photo.image.name)[0] or "image/jpeg"
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


def intervention_context(intervention: Intervention) -> dict:
    """What the page shows (three queries: photos, on-site contacts, syndic)."""
    ticket = intervention.ticket
    residence = ticket.residence
    photos = list(ticket.photos.all()[:MAX_PHOTOS])
    on_site = list(
        Contact.objects.filter(
            residence=residence, kind=ContactKind.CARETAKER
        ).order_by("order", "name", "pk")[:3]
    )
    return {
        "intervention": intervention,
        "ticket": ticket,
        "residence": residence,
        "syndic": residence.syndic,
        "provider": intervention.provider,
        "photos": [(f"photo:{photo.pk}", photo) for photo in photos],
        "on_site": on_site,
        "handled_by": intervention.created_by,
        "printed_at": timezone.now(),
    }


def intervention_pdf(intervention: Intervention) -> bytes:
    """The PDF bytes of the "demande d'intervention" for `intervention` (with its
    ticket, residence, syndic, provider and creator selected)."""
    context = intervention_context(intervention)
    fetcher = _PhotoFetcher(dict(context["photos"]))
    return render_pdf("incidents/pdf/intervention.html", context, STYLESHEET, fetcher)


def pdf_filename(intervention: Intervention) -> str:
    return f"demande-intervention-{intervention.ticket_id}-{intervention.pk}.pdf"
