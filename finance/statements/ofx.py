"""OFX bank statements, version 1 (SGML: elements are not closed) and 2 (XML),
read by a small tokenizer rather than an XML parser: each STMTTRN's elements."""

from __future__ import annotations

import html
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import BankFormat
from .common import (
    Statement,
    StatementLine,
    clean,
    decode,
    fingerprinted,
    parse_amount,
    parse_date,
)

_OFX_CHARSET = re.compile(rb"CHARSET:\s*(\d+)", re.IGNORECASE)
_OFX_XML_ENCODING = re.compile(rb"encoding=[\"']([\w.-]+)[\"']", re.IGNORECASE)
_OFX_LEAF = re.compile(r"<([A-Za-z0-9.]+)>([^<]*)")
_OFX_TRANSACTION = re.compile(r"<STMTTRN>", re.IGNORECASE)
_OFX_END = re.compile(r"</STMTTRN>|</BANKTRANLIST>", re.IGNORECASE)


def _ofx_decode(data: bytes) -> str:
    head = data[:1024]
    if match := _OFX_XML_ENCODING.search(head):
        encoding = match.group(1).decode()
    elif match := _OFX_CHARSET.search(head):
        encoding = {b"1252": "cp1252", b"8859": "latin-1"}.get(match.group(1), "")
    else:
        encoding = ""
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)


def _ofx_leaves(text: str) -> dict[str, str]:
    """Each element's first value: works for OFX 1 (SGML, elements not closed) and
    OFX 2 (XML), without an XML parser."""
    leaves: dict[str, str] = {}
    for name, value in _OFX_LEAF.findall(text):
        value = clean(html.unescape(value))
        if value:
            leaves.setdefault(name.upper(), value)
    return leaves


def parse_ofx(data: bytes) -> Statement:
    """OFX 1.x (SGML) or 2.x (XML) bank statement: each STMTTRN, FITID as the
    bank's id."""
    text = _ofx_decode(data)
    start = text.upper().find("<OFX>")
    if start < 0:
        raise ValidationError(_("This OFX file has no <OFX> content."))
    body = text[start:]
    parts = _OFX_TRANSACTION.split(body)
    statement_info = _ofx_leaves(parts[0])
    currency = statement_info.get("CURDEF", "EUR").upper()
    if currency != "EUR":
        raise ValidationError(
            _("This statement is in %(currency)s: only euros can be imported.")
            % {"currency": currency}
        )
    account = statement_info.get("ACCTID", "")
    lines = []
    for number, part in enumerate(parts[1:], start=1):
        end = _OFX_END.search(part)
        lines.append(
            _ofx_line(_ofx_leaves(part[: end.start()] if end else part), number)
        )
    return Statement(
        format=BankFormat.OFX, lines=fingerprinted(lines, account), account=account
    )


def _ofx_line(fields: dict[str, str], number: int) -> StatementLine:
    raw_amount = fields.get("TRNAMT", "")
    try:
        amount = parse_amount(raw_amount)
    except ValueError:
        raise ValidationError(
            _("Transaction %(number)s: the amount “%(value)s” cannot be read.")
            % {"number": number, "value": raw_amount}
        ) from None
    raw_date = fields.get("DTPOSTED", "")
    try:
        booked_on = parse_date(raw_date[:8])
    except ValueError:
        raise ValidationError(
            _("Transaction %(number)s: the date “%(value)s” cannot be read.")
            % {"number": number, "value": raw_date}
        ) from None
    name, memo = fields.get("NAME", ""), fields.get("MEMO", "")
    reference = " ".join(
        value
        for value in (fields.get("REFNUM", ""), fields.get("CHECKNUM", ""))
        if value
    )
    return StatementLine(
        booked_on=booked_on,
        amount=amount,
        # NAME is the payer of a credit, but banks also put their own wording in
        # it ("VIR SEPA DUPONT JEAN"): it is read as part of the label.
        label=" ".join(value for value in (name, memo) if value),
        reference=reference,
        bank_id=fields.get("FITID", ""),
    )
