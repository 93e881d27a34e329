"""Reading bank statements: CSV exports of French banks, CAMT.053 and OFX.

Pure functions, bytes in and a `Statement` out: nothing here touches the database.
The format is recognised from the content, never from the file name. A file that
cannot be read raises a `ValidationError` whose message names the line (or the
entry) at fault, so the syndic knows what to fix; nothing is half-read.

Each line gets a fingerprint that stays the same when the same statement is read
again: the bank's transaction id when the file gives one, else a hash of the line's
content and of its rank among identical lines of the file (two identical transfers
on the same day are two lines, and stay two lines when the file is read again).
"""

from __future__ import annotations

import codecs

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import BankFormat
from .camt053 import parse_camt053
from .common import Statement, StatementLine, fold, parse_amount, parse_date
from .csv_export import parse_csv
from .ofx import parse_ofx

__all__ = [
    "Statement",
    "StatementLine",
    "fold",
    "parse",
    "parse_amount",
    "parse_camt053",
    "parse_csv",
    "parse_date",
    "parse_ofx",
    "sniff",
]


def parse(data: bytes) -> Statement:
    """Read a statement in any supported format (recognised from its content)."""
    kind = sniff(data)
    parser = {
        BankFormat.CSV: parse_csv,
        BankFormat.CAMT053: parse_camt053,
        BankFormat.OFX: parse_ofx,
    }[kind]
    return parser(data)


def sniff(data: bytes) -> str:
    """The file's format, from its first bytes; refuses what is not a statement."""
    head = data[:4096].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if not head:
        raise ValidationError(_("The file is empty."))
    if b"\x00" in data[:4096] and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise ValidationError(
            _("This is not a bank statement: choose a CSV, CAMT.053 or OFX file.")
        )
    if head.startswith(b"ofxheader") or b"<ofx>" in head or b"ofxheader=" in head:
        return BankFormat.OFX
    if head.startswith(b"<"):
        if b"camt.053" in head or b"bktocstmrstmt" in head:
            return BankFormat.CAMT053
        raise ValidationError(
            _(
                "This XML file is not a CAMT.053 bank statement (other CAMT "
                "messages are not statements)."
            )
        )
    if head.startswith((b"%pdf", b"pk\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationError(
            _(
                "This is not a bank statement: choose a CSV, CAMT.053 or OFX file "
                "(a PDF or a spreadsheet cannot be read; export the statement as "
                "CSV from the bank's website)."
            )
        )
    return BankFormat.CSV
