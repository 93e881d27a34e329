"""Large generated data for benchmarks: N residences of realistic size, in bulk."""

from __future__ import annotations

import random

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from .demo import DEMO_PASSWORD
from .models import (
    AllocationKey,
    Lot,
    LotKind,
    LotShare,
    Membership,
    MembershipStatus,
    Residence,
    Role,
    Syndic,
    SyndicRole,
    User,
)
from .services import employee_add


@transaction.atomic
def seed_scale(count: int, *, lots_per_residence: int = 120, seed: int = 1) -> int:
    """Add `count` residences (each with lots, tantièmes and one owner per flat).

    Returns the number of residences created. Runs in a few bulk inserts per residence.
    """
    rng = random.Random(seed)  # noqa: S311 (generated data)
    password_hash = make_password(DEMO_PASSWORD)
    start = Residence.objects.filter(slug__startswith="scale-").count()
    syndic, _ = Syndic.objects.get_or_create(name="Syndic Échelle")
    if not syndic.employees.exists():
        manager = User.objects.create(
            email="gestionnaire.echelle@copro.demo",
            first_name="Gestionnaire",
            last_name="Échelle",
            password=password_hash,
        )
        EmailAddress.objects.create(
            user=manager, email=manager.email, verified=True, primary=True
        )
        employee_add(syndic=syndic, user=manager, role=SyndicRole.MANAGER)
    for index in range(start, start + count):
        residence = Residence.objects.create(
            name=f"Résidence Échelle {index + 1}",
            slug=f"scale-{index + 1}",
            address=f"{index + 1} avenue des Mesures",
            city="Paris",
            postal_code="75011",
            syndic=syndic,
        )
        general = AllocationKey.objects.create(
            residence=residence,
            code="generales",
            name="Charges générales",
            is_general=True,
        )
        lift = AllocationKey.objects.create(
            residence=residence, code="ascenseur", name="Ascenseur"
        )
        lots = bulk_create_with_history(
            [
                Lot(
                    residence=residence,
                    number=n,
                    kind=LotKind.APARTMENT if n % 5 else LotKind.PARKING,
                    floor=(n % 8) if n % 5 else None,
                )
                for n in range(1, lots_per_residence + 1)
            ],
            Lot,
        )
        shares = []
        for lot in lots:
            shares.append(LotShare(lot=lot, key=general, units=rng.randint(20, 600)))
            if lot.floor:
                shares.append(LotShare(lot=lot, key=lift, units=lot.floor * 10))
        bulk_create_with_history(shares, LotShare)
        flats = [lot for lot in lots if lot.kind == LotKind.APARTMENT]
        users = User.objects.bulk_create(
            [
                User(
                    email=f"owner{lot.number}.scale{index + 1}@copro.demo",
                    first_name="Owner",
                    last_name=str(lot.number),
                    password=password_hash,
                )
                for lot in flats
            ]
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=u, email=u.email, verified=True, primary=True)
                for u in users
            ]
        )
        memberships = bulk_create_with_history(
            [
                Membership(
                    user=u,
                    residence=residence,
                    role=Role.OWNER,
                    status=MembershipStatus.ACTIVE,
                )
                for u in users
            ],
            Membership,
        )
        Membership.lots.through.objects.bulk_create(
            [
                Membership.lots.through(membership_id=m.pk, lot_id=lot.pk)
                for m, lot in zip(memberships, flats, strict=True)
            ]
        )
    return count
