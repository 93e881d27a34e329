"""Rendering an attestation as an A4 PDF (WeasyPrint), from its row alone.

Everything printed comes from the Attestation: its code, kind, period, issue time
and the figures frozen when it was issued (with the names and the language of that
day). Rendering again therefore gives the same bytes, whose SHA-256 the row keeps.

The QR code is an inline SVG drawn here: WeasyPrint is given a URL fetcher that
refuses every address, so nothing in a name or a label can make the server fetch
anything.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from copro.lib.pdf import render_pdf

from .models import Attestation, AttestationKind

STYLESHEET = "css/attestation.css"
TEMPLATE = "finance/pdf/attestation.html"
ALWAYS_PRINTED = {"provisions", "works_fund", "works", "regularisation", "payments"}


def verify_url(code: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{reverse('finance:attestation_verify')}?code={code}"


def qr_svg(data: str) -> str:
    """The QR code of `data` as SVG markup (no XML declaration), sized by CSS."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    return image.to_string(encoding="unicode")


def sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def filename(attestation: Attestation) -> str:
    stem = {
        AttestationKind.PAYMENT: "attestation-paiement-charges",
        AttestationKind.STATEMENT: "releve-de-compte",
        AttestationKind.YEARLY: f"recapitulatif-{attestation.period_end.year}",
    }[attestation.kind]
    return f"{stem}-{attestation.code}.pdf"


def _d(value: str) -> Decimal:
    return Decimal(value)


def _row(label: str, amount: Decimal, when: date | None = None) -> dict:
    """A line with its amount in the column it belongs to: owed or credited."""
    return {
        "date": when,
        "label": label,
        "debit": amount if amount > 0 else None,
        "credit": -amount if amount < 0 else None,
    }


def _balance(amount: Decimal) -> dict:
    return {"amount": amount, "abs": abs(amount)}


def _yearly_labels() -> dict[str, str]:
    return {
        "provisions": _("Budget provisions called"),
        "works_fund": _("Fonds de travaux contributions called"),
        "works": _("Works calls (voted at an AG)"),
        "regularisation": _("Year-end regularisation"),
        "payments": _("Payments received"),
        "refunds": _("Refunds"),
        "fees": _("Recovery fees"),
        "adjustments": _("Adjustments"),
    }


def _figures(attestation: Attestation) -> dict:
    """The frozen figures as the template reads them (Decimals, dates, rows)."""
    f = attestation.figures
    if attestation.kind == AttestationKind.PAYMENT:
        return {
            "as_of": date.fromisoformat(f["as_of"]),
            "owed": _d(f["owed"]),
            "credited": _d(f["credited"]),
            "balance": _balance(_d(f["balance"])),
        }
    if attestation.kind == AttestationKind.STATEMENT:
        return {
            "start": date.fromisoformat(f["start"]),
            "end": date.fromisoformat(f["end"]),
            "opening": _balance(_d(f["opening"])),
            "rows": [
                _row(e["label"], _d(e["amount"]), date.fromisoformat(e["date"]))
                for e in f["entries"]
            ],
            "debits": _d(f["debits"]),
            "credits": _d(f["credits"]),
            "closing": _balance(_d(f["closing"])),
        }
    labels = _yearly_labels()
    return {
        "year": f["year"],
        "start": date.fromisoformat(f["start"]),
        "end": date.fromisoformat(f["end"]),
        "opening": _balance(_d(f["opening"])),
        "rows": [
            _row(labels[name], _d(amount))
            for name, amount in f["lines"].items()
            if name in ALWAYS_PRINTED or _d(amount)
        ],
        "closing": _balance(_d(f["closing"])),
    }


def render(attestation: Attestation) -> bytes:
    """The PDF of `attestation` (needs no query: every figure is in the row)."""
    frozen = attestation.figures
    with (
        translation.override(frozen.get("language") or settings.LANGUAGE_CODE),
        timezone.override(settings.TIME_ZONE),
    ):
        url = verify_url(attestation.code)
        context = {
            "attestation": attestation,
            "title": attestation.get_kind_display(),
            "header": frozen,
            "f": _figures(attestation),
            "issued_at": timezone.localtime(attestation.issued_at),
            "verify_url": url,
            "verify_page": url.split("?", 1)[0],
            # Our own markup, drawn from a URL made of the code's characters only.
            "qr": mark_safe(qr_svg(url)),  # noqa: S308
        }
        return render_pdf(TEMPLATE, context, STYLESHEET)
