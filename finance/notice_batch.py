"""Every co-owner's notice of one call in one ZIP, built by a Celery task.

Notices are rendered on demand one at a time (notices.py); the syndic who prints or
mails a whole call asks for all of them at once instead: `render_call_notices`
renders each billed co-owner's notice, in that co-owner's language, into one ZIP
kept in private storage (under `FOLDER`, served only by views_notice_batch.py after
the access policy said yes) and replaces the call's previous ZIP. The figures are
read in a fixed number of queries whatever the number of co-owners, and are the
on-demand notices' own (`notices.call_shares`, `notices.shares_by_lot`, the lots of
`services.owners_by_lot`): the time goes into WeasyPrint.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections import defaultdict
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.text import slugify

from residents.access import Standing

from . import notices, services
from .models import Entry, EntryKind, FundCall

FOLDER = "private/finance/notices"


def residence_call(standing: Standing, call_id: int) -> FundCall | None:
    """The call if it belongs to the standing's residence (one query)."""
    return (
        FundCall.objects.filter(residence=standing.residence, pk=call_id)
        .select_related("residence")
        .first()
    )


def zip_name(call: FundCall) -> str:
    """Where the call's ZIP is kept in the default storage."""
    return f"{FOLDER}/{call.residence_id}/call-{call.pk}.zip"


def zip_filename(call: FundCall) -> str:
    """The name the syndic's browser saves the ZIP under."""
    return f"appels-de-fonds-{call.residence.slug}-{call.due_on:%Y-%m-%d}-{call.pk}.zip"


def notice_contexts(call: FundCall) -> list[dict]:
    """`notices.notice_context` of every co-owner with an entry on the call, ordered
    by name (four queries in all). `call` comes with its residence."""
    entries = (
        Entry.objects.filter(call=call, kind=EntryKind.CALL)
        .select_related("account__owner")
        .order_by("account__owner__last_name", "account__owner__first_name", "pk")
    )
    lots_of: dict[int, set[int]] = defaultdict(set)
    for lot_id, owner_id in services.owners_by_lot(call.residence).items():
        lots_of[owner_id].add(lot_id)
    groups = notices.shares_by_lot(notices.call_shares(call))
    iban = getattr(settings, "COPRO_RESIDENCE_IBAN", "") or ""
    bic = getattr(settings, "COPRO_RESIDENCE_BIC", "") or ""
    contexts = []
    for entry in entries:
        account = entry.account
        account.residence = call.residence
        mine = lots_of.get(account.owner_id, set())
        lots = [group for group in groups if group.lot.pk in mine]
        if not lots:
            continue  # sold every lot of the call since: no notice on demand either
        contexts.append(
            {
                "call": call,
                "account": account,
                "residence": call.residence,
                "owner": account.owner,
                "lots": lots,
                "total": sum((group.total for group in lots), Decimal("0.00")),
                "reference": notices.reference(call, account),
                "iban": iban,
                "bic": bic,
                "printed_at": timezone.now(),
            }
        )
    return contexts


def entry_name(context: dict) -> str:
    """The PDF's name in the ZIP: the co-owner's name, then the notice's own."""
    owner = context["owner"]
    who = slugify(owner.get_full_name()) or f"compte-{context['account'].pk}"
    return f"{who}-{notices.pdf_filename(context)}"


def call_notices_zip_build(call_id: int) -> str:
    """Render every co-owner's notice of the call into one ZIP, stored in place of
    the previous one; return its storage name ("" for an unknown call or a call no
    co-owner on the platform bears). Safe to run again: it rebuilds the same ZIP."""
    call = FundCall.objects.select_related("residence").filter(pk=call_id).first()
    if call is None:
        return ""
    contexts = notice_contexts(call)
    if not contexts:
        return ""
    stamp = timezone.localtime().timetuple()[:6]
    name = zip_name(call)
    with tempfile.TemporaryFile() as spool:
        # PDFs are compressed already: deflating them again costs time for ~nothing.
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            for context in contexts:
                language = context["owner"].language or settings.LANGUAGE_CODE
                with translation.override(language):
                    pdf = notices.notice_pdf(context)
                info = zipfile.ZipInfo(entry_name(context), date_time=stamp)
                info.external_attr = 0o644 << 16
                archive.writestr(info, pdf)
        spool.seek(0)
        default_storage.delete(name)
        saved = default_storage.save(name, File(spool, name=name))
    if saved != name:  # another build saved meanwhile: keep one, under the name
        default_storage.delete(saved)
        saved = name
    return saved


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_call_notices(call_id: int) -> str:
    """Build the ZIP of a call's notices (see `call_notices_zip_build`)."""
    return call_notices_zip_build(call_id)
