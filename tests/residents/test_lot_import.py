"""Importing lots from CSV: preview, line-by-line errors, all or nothing, idempotent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from residents.lot_import import apply_import, plan_import
from residents.models import Invitation, Lot, LotShare, Membership, Role

from ..factories import make_residence, make_user

pytestmark = pytest.mark.django_db

GOOD = (
    b"number;kind;floor;building;owner_email;generales;ascenseur\n"
    b"1;appartement;0;A;alice@example.org;250;\n"
    b"2;apartment;3;A;bob@example.org;300;40\n"
    b"3;cave;-1;A;;10;\n"
)


@pytest.fixture
def residence():
    return make_residence(lots=0)


def test_preview_reads_every_line_and_writes_nothing(residence):
    plan = plan_import(residence, GOOD)
    assert plan.ok
    assert [r.number for r in plan.rows] == [1, 2, 3]
    assert plan.rows[1].shares == {"generales": 300, "ascenseur": 40}
    assert plan.new_keys == ["ascenseur"]
    assert not residence.lots.exists()


def test_apply_creates_lots_keys_shares_and_reaches_owners(
    residence, django_capture_on_commit_callbacks, mailoutbox
):
    alice = make_user("alice@example.org")
    staff = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        counts = apply_import(residence, plan_import(residence, GOOD), by=staff)
    assert counts == {"created": 3, "updated": 0, "attached": 1, "invited": 1}
    lot2 = Lot.objects.get(residence=residence, number=2)
    assert lot2.floor == 3
    assert {s.key.code: s.units for s in lot2.shares.all()} == {
        "generales": 300,
        "ascenseur": 40,
    }
    assert Lot.objects.get(residence=residence, number=3).kind == "cellar"
    alice_membership = Membership.objects.get(user=alice, residence=residence)
    assert alice_membership.role == Role.OWNER
    assert [lot.number for lot in alice_membership.lots.all()] == [1]
    invitation = Invitation.objects.get(email="bob@example.org")
    assert [lot.number for lot in invitation.lots.all()] == [2]
    assert [m.to for m in mailoutbox] == [["bob@example.org"]]


def test_importing_the_same_file_twice_changes_nothing(residence):
    staff = make_user()
    apply_import(residence, plan_import(residence, GOOD), by=staff)
    before = (Lot.objects.count(), LotShare.objects.count(), Invitation.objects.count())
    counts = apply_import(residence, plan_import(residence, GOOD), by=staff)
    assert counts == {"created": 0, "updated": 0, "attached": 0, "invited": 0}
    after = (Lot.objects.count(), LotShare.objects.count(), Invitation.objects.count())
    assert before == after


def test_changed_tantiemes_update_the_lot(residence):
    staff = make_user()
    apply_import(residence, plan_import(residence, GOOD), by=staff)
    changed = GOOD.replace(
        b"2;apartment;3;A;bob@example.org;300;40", b"2;apartment;3;A;;310;"
    )
    counts = apply_import(residence, plan_import(residence, changed), by=staff)
    assert counts["updated"] == 1
    lot2 = Lot.objects.get(residence=residence, number=2)
    assert {s.key.code: s.units for s in lot2.shares.all()} == {"generales": 310}


def test_errors_are_reported_per_line_and_nothing_is_imported(residence):
    bad = (
        b"number,kind,floor,owner_email,generales\n"
        b"1,appartement,2,ok@example.org,100\n"
        b"x,appartement,2,,100\n"
        b"3,spaceship,2,,100\n"
        b"4,cave,deux,,100\n"
        b"5,cave,1,not-an-email,100\n"
        b"6,cave,1,,-3\n"
        b"1,cave,1,,100\n"
    )
    plan = plan_import(residence, bad)
    assert not plan.ok
    assert [line for line, _ in plan.errors] == [3, 4, 5, 6, 7, 8]
    with pytest.raises(ValidationError):
        apply_import(residence, plan, by=make_user())
    assert not residence.lots.exists()


def test_missing_number_column_is_explained(residence):
    with translation.override("en"):
        plan = plan_import(residence, b"lot,kind\n1,cave\n")
    assert plan.errors == [(1, "The first line must name the columns, with 'number'.")]


def test_windows_encoded_file_is_read(residence):
    data = "number;kind;building;generales\n1;appartement;Bâtiment A;100\n".encode(
        "cp1252"
    )
    plan = plan_import(residence, data)
    assert plan.ok and plan.rows[0].building == "Bâtiment A"
