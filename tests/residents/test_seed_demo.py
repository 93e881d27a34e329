"""The demo data: what the README promises, created once, never overwritten."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command

from life.models import Announcement, Event
from residents.access import standing
from residents.demo import DEMO_PASSWORD
from residents.models import Lot, Membership, Residence, SyndicEmployee, User

pytestmark = pytest.mark.django_db


def _readme_accounts() -> list[tuple[str, str]]:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    rows = re.findall(r"^\| (\S+@copro\.demo) \| [^|]+ \| ([^|]+) \|$", readme, re.M)
    return [(email, residence.strip()) for email, residence in rows]


def test_seed_matches_the_readme_and_every_account_signs_in(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    assert f"`{DEMO_PASSWORD}`" in (Path(settings.BASE_DIR) / "README.md").read_text()
    assert Residence.objects.count() == 2
    assert len({r.syndic_id for r in Residence.objects.all()}) == 2
    assert all(r.lots.count() >= 20 for r in Residence.objects.all())
    for email, residence_name in _readme_accounts():
        user = authenticate(email=email, password=DEMO_PASSWORD)
        assert user is not None, email
        if residence_name != "—":
            residence = Residence.objects.get(name=residence_name)
            assert standing(user, residence.slug) is not None, (email, residence_name)


def test_running_it_again_keeps_what_exists_and_what_users_changed():
    call_command("seed_demo", stdout=io.StringIO())
    owner = User.objects.get(email="proprietaire.tilleuls@copro.demo")
    owner.first_name = "Renamed"
    owner.save()
    membership = Membership.objects.get(user=owner)
    extra = Lot.objects.get(residence=membership.residence, number=20)
    membership.lots.add(extra)
    models = (User, Residence, Lot, Membership, SyndicEmployee, Announcement, Event)
    counts = [m.objects.count() for m in models]
    assert counts[-2:] == [6, 8]  # three announcements and four events per residence
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == [m.objects.count() for m in models]
    owner.refresh_from_db()
    assert owner.first_name == "Renamed"
    assert extra in membership.lots.all()


def test_the_demo_owner_has_calls_and_a_payment():
    from decimal import Decimal

    from django.db.models import Sum

    from finance.models import BankLine, Entry, FundCall
    from residents.demo import seed_demo

    seed_demo()
    calls = FundCall.objects.filter(residence__slug="les-tilleuls", kind="provision")
    assert calls.count() == 4
    for call in calls:
        assert call.shares.aggregate(total=Sum("amount"))["total"] == call.total
    entries = Entry.objects.filter(
        account__owner__email="proprietaire.tilleuls@copro.demo"
    )
    assert entries.filter(kind="payment").count() == 1
    assert entries.aggregate(total=Sum("amount"))["total"] > Decimal("0")
    works = FundCall.objects.filter(residence__slug="les-tilleuls", kind="works")
    assert works.count() == 3
    assert sum(c.total for c in works) == Decimal("36000.00")
    queue = BankLine.objects.filter(residence__slug="les-tilleuls")
    # The owner's transfer quoting the notice is proposed; a stranger's is not;
    # the direct debit (money out) is not a line to match.
    assert sorted(queue.values_list("status", flat=True)) == ["proposed", "unmatched"]
    assert queue.get(status="proposed").account.owner.email == (
        "proprietaire.tilleuls@copro.demo"
    )
    seed_demo()  # again: nothing new
    assert FundCall.objects.filter(residence__slug="les-tilleuls").count() == 7
    assert queue.count() == 2
