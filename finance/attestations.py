"""Attestations and statements a co-owner downloads as PDFs, and their public check.

Three kinds (`AttestationKind`): the attestation of payment of charges as of a date,
the account statement over a period, and the yearly summary. Each is issued once
(`attestation_issue`): its figures are computed from the ledger, frozen in the row
with the language it was issued in, and the PDF is rendered from that row alone, so
downloading it again gives the same document byte for byte (its SHA-256 is kept).

The figures themselves are read in `attestation_figures`.

Each document carries a verification code: 20 symbols from an alphabet without the
characters people confuse (0/O, 1/I/L), in groups of four (99 bits from `secrets`).
The public page only says whether a code is genuine, the kind and the issue date;
lookups are rate-limited per address in the cache.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from residents.access import Perm, Standing
from residents.models import Lot, User

from . import attestation_pdf, notices
from .attestation_figures import payment_figures, statement_figures, yearly_figures
from .models import Account, Attestation, AttestationKind

log = logging.getLogger(__name__)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0 O 1 I L
GROUPS, GROUP_SIZE = 5, 4  # 31 ** 20 ≈ 2 ** 99
VERIFY_LIMIT = 30  # lookups per address…
VERIFY_WINDOW = 60 * 60  # …per hour


@dataclass(frozen=True)
class Period:
    """What a document covers: up to `end` (payment), or from `start` to `end`."""

    end: date
    start: date | None = None


@dataclass(frozen=True)
class Issued:
    attestation: Attestation
    pdf: bytes


# --------------------------------------------------------------------- codes


def new_code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE))
    return _grouped(symbols)


def _grouped(symbols: str) -> str:
    return "-".join(
        symbols[i : i + GROUP_SIZE] for i in range(0, len(symbols), GROUP_SIZE)
    )


def normalize_code(raw: str) -> str | None:
    """The code as stored (`XXXX-XXXX-XXXX-XXXX-XXXX`) from what someone typed, in
    any case, with or without spaces and dashes; None if it cannot be a code."""
    symbols = "".join(ch for ch in raw.upper() if ch not in " -\t\n\r")
    if len(symbols) != GROUPS * GROUP_SIZE or any(ch not in ALPHABET for ch in symbols):
        return None
    return _grouped(symbols)


# -------------------------------------------------------------------- reads


def issuable_accounts(standing: Standing) -> QuerySet[Account]:
    """The accounts this member may get documents for: every account of the
    residence for the syndic, their own for a co-owner, none for anyone else
    (tenants are not members of the syndicat)."""
    accounts = Account.objects.filter(residence=standing.residence).select_related(
        "owner", "residence__syndic"
    )
    if standing.can(Perm.MANAGE_FINANCE):
        return accounts.order_by("owner__last_name", "owner__first_name", "pk")
    if standing.is_owner:
        return accounts.filter(owner=standing.user)
    return accounts.none()


def attestations_of(account: Account) -> QuerySet[Attestation]:
    return account.attestations.select_related("issued_by").order_by(
        "-issued_at", "-pk"
    )


def attestation_for(standing: Standing, pk: int) -> Attestation | None:
    """One attestation of an account the member may get documents for."""
    return (
        Attestation.objects.filter(pk=pk, account__in=issuable_accounts(standing))
        .select_related("account__residence")
        .first()
    )


def _header(account: Account, lot_ids: list[int]) -> dict:
    """Who and what the document is about, frozen with its figures (one query:
    the lots' numbers)."""
    residence = account.residence
    lots = Lot.objects.filter(pk__in=lot_ids).order_by("number")
    return {
        "language": translation.get_language() or "fr",
        "residence": {
            "name": residence.name,
            "address": residence.address,
            "postal_code": residence.postal_code,
            "city": residence.city,
        },
        "syndic": residence.syndic.name,
        "owner": account.owner.get_full_name() or account.owner.email,
        "lots": list(lots.values_list("number", flat=True)),
    }


def attestation_pdf_again(attestation: Attestation) -> bytes:
    """The document's PDF rendered again from its row (no query). It is the file
    first given out unless the renderer or its fonts changed since: that is logged,
    as the public page's file check would then not recognise this copy."""
    pdf = attestation_pdf.render(attestation)
    if attestation.sha256 and attestation_pdf.sha256(pdf) != attestation.sha256:
        log.warning("Attestation %s no longer renders identically", attestation.pk)
    return pdf


# --------------------------------------------------------------- the check


@dataclass(frozen=True)
class Verdict:
    """What the public page may say: nothing about the person or the amounts."""

    state: str  # "genuine", "unknown", "malformed" or "limited"
    kind: str = ""
    issued_at: datetime | None = None
    file_matches: bool | None = None

    @property
    def kind_label(self) -> str:
        return AttestationKind(self.kind).label if self.kind else ""


def _client_key(ip: str | None) -> str:
    """Per address; an IPv6 client counts per /64, the block one subscriber holds."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "attestation-verify:-"
    if address.version == 6:
        return f"attestation-verify:{ipaddress.ip_network(f'{address}/64', False)}"
    return f"attestation-verify:{address}"


def _count_lookup(ip: str | None) -> bool:
    """Count one lookup from `ip`; False once it made more than VERIFY_LIMIT
    within the window (each lookup counts, found or not)."""
    key = _client_key(ip)
    cache.add(key, 0, timeout=VERIFY_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=VERIFY_WINDOW)
        count = 1
    return count <= VERIFY_LIMIT


def attestation_verify(
    raw_code: str, ip: str | None, file_sha256: str | None = None
) -> Verdict:
    """Whether `raw_code` is the code of a document we issued (and, given the hash
    of a file, whether that file is the very PDF issued). One query at most."""
    if not _count_lookup(ip):
        return Verdict("limited")
    code = normalize_code(raw_code)
    if code is None:
        return Verdict("malformed")
    found = (
        Attestation.objects.filter(code=code)
        .only("kind", "issued_at", "sha256")
        .first()
    )
    if found is None:
        return Verdict("unknown")
    matches = None
    if file_sha256 is not None:
        matches = secrets.compare_digest(file_sha256, found.sha256)
    return Verdict("genuine", found.kind, found.issued_at, matches)


# -------------------------------------------------------------------- writes


def _amount(value: str) -> str:
    return number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)


def _check_period(kind: str, period: Period, today: date) -> None:
    if period.end > today:
        raise ValidationError(_("The date cannot be after today."))
    if period.start is not None and period.start > period.end:
        raise ValidationError(_("The period must start before it ends."))
    if kind != AttestationKind.PAYMENT and period.start is None:
        raise ValidationError(_("Give the start of the period."))


def _refuse_unless_paid(figures: dict, as_of: date) -> None:
    """A syndic attests payment only of an account that was up to date: otherwise it
    says what was outstanding and points to the statement."""
    if Decimal(figures["balance"]) <= 0:
        return
    messages = [
        _(
            "No attestation of payment can be issued as of %(date)s: %(amount)s € "
            "due on or before that date remained unpaid."
        )
        % {"date": date_format(as_of), "amount": _amount(figures["balance"])}
    ]
    messages += [
        _("%(label)s, due on %(date)s: %(amount)s € unpaid.")
        % {
            "label": item["label"],
            "date": date_format(date.fromisoformat(item["date"])),
            "amount": _amount(item["amount"]),
        }
        for item in figures["unpaid"]
    ]
    messages.append(
        _("Once it is paid, ask again; an account statement shows it in detail.")
    )
    raise ValidationError(messages)


def attestation_issue(
    *,
    kind: str,
    account: Account,
    period: Period,
    by: User | None,
    today: date | None = None,
) -> Issued:
    """Issue one document: figures from the ledger, frozen in a new Attestation
    with a fresh code and the SHA-256 of its PDF. An attestation of payment is
    refused, saying what is outstanding, unless nothing due by its date remains
    unpaid. Raises ValidationError on a period it cannot cover."""
    today = today or timezone.localdate()
    # The co-owner's lots, by the rule the calls are issued with (two queries).
    lot_ids = notices.owned_lot_ids(account)
    if kind == AttestationKind.YEARLY and period.start is not None:
        period = Period(start=period.start, end=min(period.end, today))
    _check_period(kind, period, today)
    if kind == AttestationKind.PAYMENT:
        figures = payment_figures(account, period.end)
        _refuse_unless_paid(figures, period.end)
        period = Period(end=period.end)
    elif kind == AttestationKind.STATEMENT:
        figures = statement_figures(account, period.start, period.end)
    elif kind == AttestationKind.YEARLY:
        figures = yearly_figures(account, period.start.year, period.end, lot_ids)
    else:
        raise ValidationError(_("Unknown kind of document."))
    figures = {**_header(account, lot_ids), **figures}
    for _attempt in range(3):
        attestation = Attestation(
            account=account,
            kind=kind,
            code=new_code(),
            period_start=period.start,
            period_end=period.end,
            figures=figures,
            issued_by=by,
            issued_at=timezone.now(),
        )
        pdf = attestation_pdf.render(attestation)
        attestation.sha256 = attestation_pdf.sha256(pdf)
        # The account and the issuer are rows we hold: not looked up again.
        attestation.full_clean(exclude={"account", "issued_by"}, validate_unique=False)
        try:
            with transaction.atomic():
                attestation.save()
        except IntegrityError:  # the same code drawn twice: draw again
            continue
        return Issued(attestation, pdf)
    raise RuntimeError("could not draw a unique verification code")
