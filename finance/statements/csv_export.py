"""CSV exports of bank accounts, as French banks' websites give them: ";" or ","
or tab separated, decimal comma, dd/mm/yyyy dates, Windows-1252 or UTF-8, a few
lines about the account before the header, one signed amount column or debit and
credit columns. Columns are recognised by their header names."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import BankFormat
from .common import (
    Statement,
    StatementLine,
    clean,
    decode,
    fingerprinted,
    fold,
    parse_amount,
    parse_date,
)

DATE, VALUE_DATE, AMOUNT, DEBIT, CREDIT = "date", "value", "amount", "debit", "credit"
LABEL, REFERENCE, COUNTERPARTY, BANK_ID = "label", "reference", "party", "id"

# Header names, folded (see `fold`), of French and English bank exports.
_EXACT = {
    VALUE_DATE: {"date valeur", "date de valeur", "dateval", "value date"},
    DATE: {
        "date",
        "dateop",
        "date op",
        "booking date",
        "transaction date",
        "date operation",
        "date de l operation",
        "date d operation",
        "date comptable",
        "date de comptabilisation",
    },
    AMOUNT: {"montant", "amount", "somme", "montant de l operation"},
    DEBIT: {"debit", "debits"},
    CREDIT: {"credit", "credits"},
    LABEL: {
        "libelle",
        "label",
        "description",
        "intitule",
        "detail",
        "details",
        "operation",
        "nature de l operation",
        "detail de l ecriture",
        "informations complementaires",
        "communication",
        "memo",
    },
    REFERENCE: {
        "reference",
        "ref",
        "motif",
        "reference client",
        "reference du paiement",
        "remittance information",
        "end to end id",
        "reference de bout en bout",
    },
    COUNTERPARTY: {
        "tiers",
        "nom",
        "beneficiaire",
        "emetteur",
        "donneur d ordre",
        "contrepartie",
        "counterparty",
        "payer",
        "emetteur beneficiaire",
        "nom du tiers",
    },
    BANK_ID: {
        "id",
        "identifiant",
        "transaction id",
        "fitid",
        "numero d operation",
        "n operation",
        "no operation",
        "reference bancaire",
        "reference banque",
    },
}
# "Montant (EUR)", "Débit euros", "Libellé de l'opération"…
_PREFIXES = [
    ("date valeur", VALUE_DATE),
    ("date de valeur", VALUE_DATE),
    ("date", DATE),
    ("montant", AMOUNT),
    ("debit", DEBIT),
    ("credit", CREDIT),
    ("libelle", LABEL),
    ("detail", LABEL),
]


def _role(header: str) -> str | None:
    name = fold(header)
    for role, names in _EXACT.items():
        if name in names:
            return role
    for prefix, role in _PREFIXES:
        if name.startswith(prefix + " "):
            return role
    return None


def _columns(row: list[str]) -> dict[str, list[int]] | None:
    """Which column holds what, if `row` is a statement's header row."""
    columns: dict[str, list[int]] = {}
    for index, cell in enumerate(row):
        role = _role(cell)
        if role:
            columns.setdefault(role, []).append(index)
    if DATE not in columns and VALUE_DATE in columns:
        columns[DATE] = columns[VALUE_DATE]
    if DATE in columns and (AMOUNT in columns or CREDIT in columns):
        return columns
    return None


def _header(text: str) -> tuple[str, int, dict[str, list[int]]]:
    """The delimiter, the header's row index and its columns. French banks often
    put a few lines about the account before the header: up to 30 are skipped."""
    for delimiter in (";", "\t", ","):
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            for index, row in enumerate(reader):
                if index >= 30:
                    break
                if columns := _columns(row):
                    return delimiter, index, columns
        except csv.Error:
            continue
    raise ValidationError(
        _(
            "The columns of this CSV file are not recognised: it needs a header "
            "line with a date column and an amount column (or debit and credit "
            "columns), e.g. “Date;Libellé;Débit;Crédit”."
        )
    )


def _cell(row: list[str], indexes: list[int] | None) -> str:
    if not indexes:
        return ""
    return " ".join(clean(row[i]) for i in indexes if i < len(row) and row[i].strip())


def parse_csv(data: bytes) -> Statement:
    text = decode(data)
    delimiter, header_index, columns = _header(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines = []
    try:
        for index, row in enumerate(reader):
            if index <= header_index or not any(cell.strip() for cell in row):
                continue
            line = _csv_line(row, columns, reader.line_num)
            if line is not None:
                lines.append(line)
    except csv.Error as error:
        raise ValidationError(
            _("Line %(line)s cannot be read (%(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from error
    return Statement(format=BankFormat.CSV, lines=fingerprinted(lines, ""))


def _csv_line(row, columns, number: int) -> StatementLine | None:
    raw_date = _cell(row, columns[DATE][:1])
    if not any(c.isdigit() for c in raw_date):
        return None  # "Solde au…", "Total": not a transaction
    try:
        booked_on = parse_date(raw_date)
    except ValueError:
        raise ValidationError(
            _("Line %(line)s: the date “%(value)s” cannot be read.")
            % {"line": number, "value": raw_date}
        ) from None
    try:
        if AMOUNT in columns:
            raw = _cell(row, columns[AMOUNT][:1])
            amount = parse_amount(raw) if raw else None
        else:
            raw = _cell(row, columns.get(CREDIT, [])[:1])
            amount = abs(parse_amount(raw)) if raw else None
            if not amount:
                raw = _cell(row, columns.get(DEBIT, [])[:1])
                amount = -abs(parse_amount(raw)) if raw else amount
    except ValueError:
        raise ValidationError(
            _("Line %(line)s: the amount “%(value)s” cannot be read.")
            % {"line": number, "value": raw}
        ) from None
    if amount is None:
        raise ValidationError(_("Line %(line)s has no amount.") % {"line": number})
    return StatementLine(
        booked_on=booked_on,
        amount=amount,
        label=_cell(row, columns.get(LABEL)),
        reference=_cell(row, columns.get(REFERENCE)),
        counterparty=_cell(row, columns.get(COUNTERPARTY)),
        bank_id=_cell(row, columns.get(BANK_ID, [])[:1]),
    )
