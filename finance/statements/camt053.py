"""CAMT.053 (ISO 20022 BankToCustomerStatement), any version, read with defusedxml
(no DTD, no entity: a hostile file cannot expand or fetch anything)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import BankFormat
from .common import (
    CENT,
    MAX_AMOUNT,
    Statement,
    StatementLine,
    clean,
    fingerprinted,
    parse_date,
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _find(element, *path: str):
    for name in path:
        if element is None:
            return None
        found = _children(element, name)
        element = found[0] if found else None
    return element


def _text(element, *path: str) -> str:
    found = _find(element, *path)
    return clean(found.text) if found is not None else ""


def _not_provided(value: str) -> str:
    return "" if value.upper() == "NOTPROVIDED" else value


def parse_camt053(data: bytes) -> Statement:
    """A CAMT.053 (ISO 20022 BankToCustomerStatement), any version: booked credit
    and debit entries. An entry that batches several transfers (several TxDtls
    with their own amounts) gives one line per transfer."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise ValidationError(
            _("This XML file cannot be read (%(error)s).") % {"error": error}
        ) from None
    report = _find(root, "BkToCstmrStmt")
    if _local(root.tag) != "Document" or report is None:
        raise ValidationError(_("This XML file is not a CAMT.053 bank statement."))
    lines: list[StatementLine] = []
    accounts: list[str] = []
    not_booked = number = 0
    for statement in _children(report, "Stmt"):
        account = _text(statement, "Acct", "Id", "IBAN") or _text(
            statement, "Acct", "Id", "Othr", "Id"
        )
        accounts.append(account)
        entry_lines: list[StatementLine] = []
        for entry in _children(statement, "Ntry"):
            number += 1
            status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
            if status and status.upper() != "BOOK":
                not_booked += 1
                continue
            entry_lines.extend(_camt_entry(entry, number))
        lines.extend(fingerprinted(entry_lines, account))
    return Statement(
        format=BankFormat.CAMT053,
        lines=lines,
        account=accounts[0] if len(set(accounts)) == 1 else "",
        not_booked=not_booked,
    )


def _camt_amount(element, number: int) -> Decimal | None:
    if element is None:
        return None
    currency = element.get("Ccy", "EUR")
    if currency != "EUR":
        raise ValidationError(
            _("Entry %(entry)s is in %(currency)s: only euros can be imported.")
            % {"entry": number, "currency": currency}
        )
    value = clean(element.text)
    try:
        amount = Decimal(value).quantize(CENT)
    except InvalidOperation:
        raise ValidationError(
            _("Entry %(entry)s: the amount “%(value)s” cannot be read.")
            % {"entry": number, "value": value}
        ) from None
    if amount < 0 or amount > MAX_AMOUNT:
        raise ValidationError(
            _("Entry %(entry)s: the amount “%(value)s” cannot be read.")
            % {"entry": number, "value": value}
        )
    return amount


def _camt_tx_amount(tx, number: int) -> Decimal | None:
    found = _find(tx, "AmtDtls", "TxAmt", "Amt")
    return _camt_amount(found if found is not None else _find(tx, "Amt"), number)


def _camt_entry(entry, number: int) -> list[StatementLine]:
    amount = _camt_amount(_find(entry, "Amt"), number)
    if amount is None:
        raise ValidationError(_("Entry %(entry)s has no amount.") % {"entry": number})
    sign = {"CRDT": 1, "DBIT": -1}.get(_text(entry, "CdtDbtInd").upper())
    if sign is None:
        raise ValidationError(
            _("Entry %(entry)s says neither credit nor debit (CdtDbtInd).")
            % {"entry": number}
        )
    raw_date = (
        _text(entry, "BookgDt", "Dt")
        or _text(entry, "BookgDt", "DtTm")
        or _text(entry, "ValDt", "Dt")
        or _text(entry, "ValDt", "DtTm")
    )
    try:
        booked_on = parse_date(raw_date[:10])
    except ValueError:
        raise ValidationError(
            _("Entry %(entry)s: the date “%(value)s” cannot be read.")
            % {"entry": number, "value": raw_date}
        ) from None
    entry_id = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    details = [
        tx
        for entry_details in _children(entry, "NtryDtls")
        for tx in _children(entry_details, "TxDtls")
    ]
    extra = _text(entry, "AddtlNtryInf")
    tx_amounts = [_camt_tx_amount(tx, number) for tx in details]
    if len(details) > 1 and all(tx_amounts):
        return [
            _camt_line(
                tx,
                booked_on,
                sign * tx_amount,
                f"{entry_id}/{_text(tx, 'Refs', 'AcctSvcrRef') or index}"
                if entry_id
                else "",
                extra,
            )
            for index, (tx, tx_amount) in enumerate(
                zip(details, tx_amounts, strict=True), start=1
            )
        ]
    return [
        _camt_line(
            details[0] if details else None, booked_on, sign * amount, entry_id, extra
        )
    ]


def _camt_line(tx, booked_on, amount, bank_id, extra) -> StatementLine:
    if tx is None:
        return StatementLine(
            booked_on=booked_on, amount=amount, label=extra, bank_id=bank_id
        )
    remittance = " ".join(
        clean(element.text)
        for info in _children(tx, "RmtInf")
        for element in _children(info, "Ustrd")
        if element.text
    )
    creditor_refs = [
        _text(structured, "CdtrRefInf", "Ref")
        for info in _children(tx, "RmtInf")
        for structured in _children(info, "Strd")
    ]
    references = [
        *creditor_refs,
        _not_provided(_text(tx, "Refs", "EndToEndId")),
    ]
    debtor = (
        _text(tx, "RltdPties", "Dbtr", "Nm")
        or _text(tx, "RltdPties", "Dbtr", "Pty", "Nm")
        or _text(tx, "RltdPties", "UltmtDbtr", "Nm")
        or _text(tx, "RltdPties", "UltmtDbtr", "Pty", "Nm")
    )
    if amount < 0:  # a debit: the other party is the creditor
        debtor = _text(tx, "RltdPties", "Cdtr", "Nm") or _text(
            tx, "RltdPties", "Cdtr", "Pty", "Nm"
        )
    return StatementLine(
        booked_on=booked_on,
        amount=amount,
        label=remittance or _text(tx, "AddtlTxInf") or extra,
        reference=" ".join(dict.fromkeys(r for r in references if r)),
        counterparty=debtor,
        bank_id=bank_id,
    )
