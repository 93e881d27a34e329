"""What every statement reader shares: the lines read, amounts and dates as banks
write them, text decoding, and the fingerprints that make an import idempotent."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # the ledger's 12 digits


@dataclass(frozen=True)
class StatementLine:
    booked_on: date
    amount: Decimal  # positive: money received (credit); negative: debit
    label: str = ""
    reference: str = ""
    counterparty: str = ""
    bank_id: str = ""  # the bank's own transaction id, when the file has one
    fingerprint: str = ""


@dataclass(frozen=True)
class Statement:
    format: str  # a BankFormat value
    lines: list[StatementLine]
    account: str = ""  # the statement's account (IBAN, account id) when given
    not_booked: int = 0  # entries read but not booked yet (CAMT "PDNG"…)

    @property
    def credits(self) -> list[StatementLine]:
        return [line for line in self.lines if line.amount > 0]


_AMOUNT_NOISE = re.compile(r"[\s\u00a0\u202f'’€]|eur", re.IGNORECASE)
_PLAIN_AMOUNT = re.compile(r"\d+(\.\d{1,2})?")
_THOUSANDS = re.compile(r"\d{1,3}([.,]\d{3})+")


def parse_amount(text: str) -> Decimal:
    """A bank amount as written in France or elsewhere: "1 234,56", "-12,50 €",
    "1.234,56", "1,234.56", "+30.00", "(12,50)", "12,50-". Raises ValueError."""
    value = _AMOUNT_NOISE.sub("", text.strip()).replace("\u2212", "-")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):
        negative, value = not negative, value[:-1]
    if value and value[0] in "+-":
        negative, value = (value[0] == "-") != negative, value[1:]
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        value = value.replace(thousands, "").replace(decimal_mark, ".")
    elif _THOUSANDS.fullmatch(value):
        # "1,234" or "1.234": euros never have three decimals.
        value = value.replace(",", "").replace(".", "")
    else:
        value = value.replace(",", ".")
    if not _PLAIN_AMOUNT.fullmatch(value):
        raise ValueError(text)
    try:
        amount = Decimal(value).quantize(CENT)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if amount > MAX_AMOUNT:
        raise ValueError(text)
    return -amount if negative else amount


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_YMD = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def parse_date(text: str) -> date:
    """dd/mm/yyyy (French exports), dd/mm/yy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd,
    yyyymmdd; a time after the date is ignored. Raises ValueError."""
    value = text.strip().split(" ")[0].split("T")[0]
    if match := _DMY.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
        if year < 100:
            year += 2000
    elif match := _YMD.fullmatch(value) or _YMD_SLASH.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(text)
    return date(year, month, day)  # ValueError for 31/02


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/latin-1,
    what French banks' exports use."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def fingerprinted(lines: list[StatementLine], account: str) -> list[StatementLine]:
    seen: Counter[str] = Counter()
    result = []
    for line in lines:
        if line.bank_id:
            key = f"{account}|{line.bank_id}"
        else:
            key = "|".join(
                [
                    account,
                    line.booked_on.isoformat(),
                    str(line.amount),
                    fold(line.label),
                    fold(line.reference),
                    fold(line.counterparty),
                ]
            )
        rank = seen[key]
        seen[key] += 1
        if rank:  # a repeated bank id or content: still one line each
            key = f"{key}|{rank}"
        if line.bank_id and len(key) <= 120:
            fingerprint = f"id:{key}"
        else:
            fingerprint = "sha:" + hashlib.sha256(key.encode()).hexdigest()
        result.append(replace(line, fingerprint=fingerprint))
    return result
