"""Reading bank statements (no database): French CSV exports, CAMT.053, OFX 1 and
2, and the files that must be refused with a message naming the line at fault."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from finance import statements
from finance.models import BankFormat

from .statements import sample

D = Decimal


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _rows(statement):
    return [
        (line.booked_on, line.amount, line.label, line.reference, line.counterparty)
        for line in statement.lines
    ]


def test_a_french_csv_with_debit_and_credit_columns_in_windows_1252():
    """Crédit Agricole-like: account lines before the header, ";" separator,
    decimal comma, thousands separated by a space, a label on two lines, a total
    line at the end, and two identical transfers on the same day."""
    data = sample("fr_debit_credit_cp1252.csv")
    assert "Libellé".encode("cp1252") in data  # really not UTF-8
    statement = statements.parse(data)
    assert statement.format == BankFormat.CSV
    assert _rows(statement) == [
        (
            date(2027, 1, 2),
            D("450.00"),
            "VIR SEPA RECU /DE M JEAN DUPONT /MOTIF @REF_OWNER@ /REF 123",
            "",
            "",
        ),
        (date(2027, 1, 3), D("-1234.56"), "PRLV SEPA EDF FACTURE 0123456", "", ""),
        (
            date(2027, 1, 5),
            D("450.00"),
            "VIR SEPA RECU /DE MME MARIE LEFÈVRE /MOTIF APPEL T1",
            "",
            "",
        ),
        (date(2027, 1, 6), D("600.00"), "REMISE CHEQUE N° 1234567", "", ""),
        (date(2027, 1, 7), D("99.99"), "VIR INST RECU /DE INCONNU SARL", "", ""),
        (date(2027, 1, 7), D("99.99"), "VIR INST RECU /DE INCONNU SARL", "", ""),
    ]
    assert len(statement.credits) == 5
    fingerprints = [line.fingerprint for line in statement.lines]
    # Two identical lines stay two lines; reading again gives the same prints.
    assert len(set(fingerprints)) == 6
    assert fingerprints == [line.fingerprint for line in statements.parse(data).lines]


def test_a_csv_with_a_signed_amount_column_in_utf8_with_bom():
    """Boursorama-like: ISO dates, quoted cells, "-1 234,56" with a no-break
    space, "+600,00", columns the reader does not need."""
    statement = statements.parse(sample("signed_amount_utf8_bom.csv"))
    assert _rows(statement) == [
        (date(2027, 1, 2), D("450.00"), "VIR SEPA M JEAN DUPONT @REF_OWNER@", "", ""),
        (date(2027, 1, 4), D("-1234.56"), "PRLV SEPA ASCENSEURS DU RHÔNE", "", ""),
        (date(2027, 1, 5), D("600.00"), "VIR SEPA MARTIN PAUL", "", ""),
    ]


def test_csv_columns_are_found_by_their_names_in_any_order():
    data = (
        "Référence,Montant (EUR),Tiers,Date de valeur,Date opération,Libellé\n"
        '"ABC-1","1,234.50",DUPONT JEAN,03/01/27,02/01/27,Virement\n'
    ).encode()
    (line,) = statements.parse(data).lines
    assert (line.booked_on, line.amount) == (date(2027, 1, 2), D("1234.50"))
    assert (line.reference, line.counterparty, line.label) == (
        "ABC-1",
        "DUPONT JEAN",
        "Virement",
    )


@pytest.mark.parametrize(
    "text,amount",
    [
        ("450,00", "450.00"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56 €", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("-12,5", "-12.50"),
        ("+30.00", "30.00"),
        ("12,50-", "-12.50"),
        ("(12,50)", "-12.50"),
        ("\u221212,50", "-12.50"),
        ("1,234", "1234.00"),
        ("7", "7.00"),
        ("EUR 15,00", "15.00"),
    ],
)
def test_amounts_as_banks_write_them(text, amount):
    assert statements.parse_amount(text) == D(amount)


@pytest.mark.parametrize(
    "text", ["", "six", "12,345,6", "1.2.3,4,5", "12.5.6", "1e5", "--5"]
)
def test_unreadable_amounts(text):
    with pytest.raises(ValueError):
        statements.parse_amount(text)


@pytest.mark.parametrize(
    "text,day",
    [
        ("02/01/2027", date(2027, 1, 2)),
        ("2/1/27", date(2027, 1, 2)),
        ("02-01-2027", date(2027, 1, 2)),
        ("02.01.2027", date(2027, 1, 2)),
        ("2027-01-02", date(2027, 1, 2)),
        ("20270102", date(2027, 1, 2)),
        ("2027-01-02T10:00:00", date(2027, 1, 2)),
        ("02/01/2027 10:00", date(2027, 1, 2)),
    ],
)
def test_dates_as_banks_write_them(text, day):
    assert statements.parse_date(text) == day


@pytest.mark.parametrize("text", ["31/02/2027", "2027", "01/13/2027", "hier"])
def test_unreadable_dates(text):
    with pytest.raises(ValueError):
        statements.parse_date(text)


def test_camt053_booked_entries_with_their_references_and_payers():
    statement = statements.parse(sample("camt053.xml"))
    assert statement.format == BankFormat.CAMT053
    assert statement.account == "FR7630006000011234567890189"
    assert statement.not_booked == 1  # the pending entry is not read as a line
    assert _rows(statement) == [
        (
            date(2027, 1, 2),
            D("450.00"),
            "Appel de fonds 1er trimestre",
            "@REF_OWNER@",
            "DUPONT JEAN",
        ),
        (date(2027, 1, 3), D("-1234.56"), "FACTURE 0123456", "EDF-0123456", "EDF"),
        # One entry batching two transfers gives one line per transfer.
        (date(2027, 1, 5), D("450.00"), "CHARGES T1", "", "Mme LEFÈVRE Marie"),
        (
            date(2027, 1, 5),
            D("600.00"),
            "@REF_PRESIDENT@",
            "E2E-MARTIN-01",
            "MARTIN PAUL",
        ),
    ]
    # The bank's own references make the fingerprints.
    assert [line.fingerprint for line in statement.lines] == [
        "id:FR7630006000011234567890189|2027010200001",
        "id:FR7630006000011234567890189|2027010300002",
        "id:FR7630006000011234567890189|2027010500003/T1",
        "id:FR7630006000011234567890189|2027010500003/T2",
    ]


def test_camt053_of_a_later_version_without_namespace_prefix_issues():
    data = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<Stmt><Acct><Id><Othr><Id>12345</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="EUR">12.30</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2027-02-03T09:00:00+01:00</DtTm></BookgDt>
<NtryDtls><TxDtls><Amt Ccy="EUR">12.30</Amt>
<RltdPties><Dbtr><Pty><Nm>Jean Dupont</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"""
    (line,) = statements.parse(data).lines
    assert (line.booked_on, line.amount) == (date(2027, 2, 3), D("12.30"))
    assert (line.counterparty, line.reference) == ("Jean Dupont", "RF18539007547034")
    assert line.fingerprint.startswith("sha:")  # no bank id: the content's hash


def test_camt053_in_another_currency_is_refused_naming_the_entry():
    data = sample("camt053.xml").replace(b'Ccy="EUR">1234.56', b'Ccy="USD">1234.56')
    with pytest.raises(ValidationError) as error:
        statements.parse(data)
    assert error.value.messages == ["Entry 2 is in USD: only euros can be imported."]


def test_xml_entities_are_refused_not_expanded():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<BookgDt><Dt>2027-01-02</Dt></BookgDt><AddtlNtryInf>&lol2;</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
    with pytest.raises(ValidationError) as error:
        statements.parse(bomb)
    assert "cannot be read" in error.value.messages[0]


def test_ofx_1_sgml_in_windows_1252():
    statement = statements.parse(sample("statement_v1.ofx"))
    assert (statement.format, statement.account) == (BankFormat.OFX, "12345678901")
    assert _rows(statement) == [
        (date(2027, 1, 2), D("450.00"), "VIR SEPA DUPONT JEAN @REF_OWNER@", "", ""),
        (date(2027, 1, 3), D("-1234.56"), "PRLV SEPA EDF FACTURE 0123456", "", ""),
        # A decimal comma, an escaped "&", the cheque number as reference.
        (
            date(2027, 1, 6),
            D("600.00"),
            "REMISE CHEQUE Résidence & charges",
            "1234567",
            "",
        ),
    ]
    assert statement.lines[0].fingerprint == "id:12345678901|2027010200001"


def test_ofx_2_xml_gives_the_same_lines_for_the_same_transactions():
    v1 = statements.parse(sample("statement_v1.ofx"))
    v2 = statements.parse(sample("statement_v2.ofx"))
    assert v2.format == BankFormat.OFX
    assert _rows(v2)[0] == _rows(v1)[0]
    assert v2.lines[0].fingerprint == v1.lines[0].fingerprint  # FITID
    assert _rows(v2)[2] == (
        date(2027, 1, 5),
        D("600.00"),
        "VIR SEPA MARTIN PAUL CHARGES 1ER TRIMESTRE",
        "",
        "",
    )


@pytest.mark.parametrize(
    "name,message",
    [
        ("bad_date.csv", "Line 3: the date “32/13/2027” cannot be read."),
        ("bad_amount.csv", "Line 3: the amount “six cents” cannot be read."),
        ("no_header.csv", "The columns of this CSV file are not recognised"),
        ("not_a_statement.bin", "This is not a bank statement"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(name, message):
    with pytest.raises(ValidationError) as error:
        statements.parse(sample(name))
    assert error.value.messages[0].startswith(message)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "The file is empty."),
        (b"  \r\n", "The file is empty."),
        (b"%PDF-1.7\n%\xe2\xe3", "This is not a bank statement"),
        (b"PK\x03\x04\x14\x00", "This is not a bank statement"),
        (b"<?xml version='1.0'?><Document><pain.001/></Document>", "This XML file"),
        (b"<html><body>Relev\xc3\xa9</body></html>", "This XML file"),
        (b"Date;Montant\n02/01/2027;\n", "Line 2 has no amount."),
        (b"OFXHEADER:100\n<STMTTRN><TRNAMT>1", "This OFX file has no <OFX>"),
        (
            b"OFXHEADER:100\n<OFX><STMTTRN><DTPOSTED>20270102<TRNAMT>abc</STMTTRN>",
            "Transaction 1: the amount “abc” cannot be read.",
        ),
    ],
)
def test_other_bad_files(data, message):
    with pytest.raises(ValidationError) as error:
        statements.parse(data)
    assert error.value.messages[0].startswith(message)
