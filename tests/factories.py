"""Small factories for tests: real rows in the test database, nothing faked."""

from __future__ import annotations

import itertools

from allauth.account.models import EmailAddress

from residents import services
from residents.models import (
    AllocationKey,
    Lot,
    LotShare,
    Membership,
    MembershipStatus,
    Residence,
    Syndic,
    SyndicRole,
    User,
)

PASSWORD = "correct-horse-battery-42"
_seq = itertools.count(1)


def make_user(email: str | None = None, *, password: str = PASSWORD, **fields) -> User:
    n = next(_seq)
    email = email or f"person{n}@example.org"
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=fields.pop("first_name", f"P{n}"),
        last_name=fields.pop("last_name", "Test"),
        **fields,
    )
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def make_syndic(name: str | None = None) -> Syndic:
    return Syndic.objects.create(name=name or f"Syndic {next(_seq)}")


def make_residence(
    *, syndic: Syndic | None = None, lots: int = 3, name=None
) -> Residence:
    residence = services.residence_create(
        name=name or f"Résidence {next(_seq)}",
        address="1 rue de la Paix",
        city="Lyon",
        syndic=syndic or make_syndic(),
        lot_count=0,
    )
    general = residence.allocation_keys.get(is_general=True)
    for number in range(1, lots + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=100 * number)
    return residence


def make_member(
    residence: Residence,
    role: str,
    *,
    user: User | None = None,
    status: str = MembershipStatus.ACTIVE,
    lots=(),
) -> Membership:
    membership = Membership.objects.create(
        user=user or make_user(), residence=residence, role=role, status=status
    )
    membership.lots.set(lots)
    return membership


def make_employee(
    syndic: Syndic, role: str = SyndicRole.STAFF, user: User | None = None
):
    user = user or make_user()
    services.employee_add(syndic=syndic, user=user, role=role)
    return user


def add_key(residence: Residence, code: str, name: str) -> AllocationKey:
    return AllocationKey.objects.create(residence=residence, code=code, name=name)
