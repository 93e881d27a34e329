"""The call notice (*avis d'appel de fonds*): one A4 PDF per co-owner and call,
made with WeasyPrint and rendered on demand (nothing big is stored: the figures come
from the call's `CallShare` rows, so the notice is always exact).

The page is templates/finance/pdf/notice.html styled by static/css/notice.css;
WeasyPrint is given a URL fetcher that refuses every address, so nothing in a name
or a label can make the server fetch anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from copro.lib.pdf import render_pdf

from . import services
from .models import Account, CallShare, FundCall

STYLESHEET = "css/notice.css"


@dataclass
class LotLines:
    lot: object
    shares: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((s.amount for s in self.shares), Decimal("0.00"))


def owned_lot_ids(account: Account) -> list[int]:
    """The lots whose share of a call is posted to this account: the same rule as
    when the calls are issued (two queries)."""
    owners = services.owners_by_lot(account.residence)
    return sorted(lot for lot, owner in owners.items() if owner == account.owner_id)


def shares_by_lot(shares) -> list[LotLines]:
    """Shares (lot and key selected, ordered by lot) grouped per lot."""
    groups: dict[int, LotLines] = {}
    for share in shares:
        groups.setdefault(share.lot_id, LotLines(share.lot)).shares.append(share)
    return list(groups.values())


def call_shares(call: FundCall, lot_ids=None):
    shares = CallShare.objects.filter(call=call).select_related("lot", "key")
    if lot_ids is not None:
        shares = shares.filter(lot_id__in=lot_ids)
    return shares.order_by("lot__number", "works_fund", "key__name", "pk")


def reference(call: FundCall, account: Account) -> str:
    return f"{call.residence.slug}-{call.pk}-{account.pk}"


def notice_context(call: FundCall, account: Account) -> dict | None:
    """What the notice shows, or None when none of the account's lots is in the
    call (three queries). `call` comes with its residence, `account` with its owner."""
    lots = shares_by_lot(call_shares(call, owned_lot_ids(account)))
    if not lots:
        return None
    return {
        "call": call,
        "account": account,
        "residence": call.residence,
        "owner": account.owner,
        "lots": lots,
        "total": sum((group.total for group in lots), Decimal("0.00")),
        "reference": reference(call, account),
        "iban": getattr(settings, "COPRO_RESIDENCE_IBAN", "") or "",
        "bic": getattr(settings, "COPRO_RESIDENCE_BIC", "") or "",
        "printed_at": timezone.now(),
    }


def notice_pdf(context: dict) -> bytes:
    return render_pdf("finance/pdf/notice.html", context, STYLESHEET)


def pdf_filename(context: dict) -> str:
    return f"appel-de-fonds-{context['reference']}.pdf"
