"""Demo data: two residences under two syndics, one account per role in each.

Idempotent: running it again keeps what exists (and what users changed) and only adds
what is missing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from . import services
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

DEMO_PASSWORD = "copro-demo-2026"  # noqa: S105 (documented in the README)


@dataclass(frozen=True)
class DemoResidence:
    slug: str
    name: str
    address: str
    postal_code: str
    city: str
    syndic: str
    lot_count: int


RESIDENCES = [
    DemoResidence(
        "les-tilleuls",
        "Résidence Les Tilleuls",
        "12 rue des Tilleuls",
        "69003",
        "Lyon",
        "Syndic Horizon",
        20,
    ),
    DemoResidence(
        "clos-des-vignes",
        "Le Clos des Vignes",
        "4 allée des Vendanges",
        "33000",
        "Bordeaux",
        "Gestion Bellevue",
        22,
    ),
]

SYNDIC_DETAILS = {
    "Syndic Horizon": {
        "email": "contact@syndic-horizon.example",
        "phone": "04 72 10 20 00",
        "address": "45 cours Lafayette, 69003 Lyon",
    },
    "Gestion Bellevue": {
        "email": "accueil@gestion-bellevue.example",
        "phone": "05 56 44 12 00",
        "address": "8 quai des Chartrons, 33000 Bordeaux",
    },
}

# (email, first name, last name, residence slug, role); syndic roles attach to the
# residence's syndic.
ACCOUNTS = [
    ("proprietaire.tilleuls@copro.demo", "Paul", "Martin", "les-tilleuls", Role.OWNER),
    ("locataire.tilleuls@copro.demo", "Léa", "Bernard", "les-tilleuls", Role.TENANT),
    (
        "conseil.tilleuls@copro.demo",
        "Hugo",
        "Petit",
        "les-tilleuls",
        Role.COUNCIL_MEMBER,
    ),
    (
        "president.tilleuls@copro.demo",
        "Claire",
        "Durand",
        "les-tilleuls",
        Role.COUNCIL_PRESIDENT,
    ),
    (
        "gestionnaire.horizon@copro.demo",
        "Marc",
        "Leroy",
        "les-tilleuls",
        Role.SYNDIC_MANAGER,
    ),
    (
        "assistant.horizon@copro.demo",
        "Inès",
        "Moreau",
        "les-tilleuls",
        Role.SYNDIC_STAFF,
    ),
    ("proprietaire.vignes@copro.demo", "Julie", "Simon", "clos-des-vignes", Role.OWNER),
    ("locataire.vignes@copro.demo", "Karim", "Laurent", "clos-des-vignes", Role.TENANT),
    (
        "conseil.vignes@copro.demo",
        "Sophie",
        "Lefebvre",
        "clos-des-vignes",
        Role.COUNCIL_MEMBER,
    ),
    (
        "president.vignes@copro.demo",
        "Thomas",
        "Michel",
        "clos-des-vignes",
        Role.COUNCIL_PRESIDENT,
    ),
    (
        "gestionnaire.bellevue@copro.demo",
        "Nadia",
        "Garcia",
        "clos-des-vignes",
        Role.SYNDIC_MANAGER,
    ),
    (
        "assistant.bellevue@copro.demo",
        "Louis",
        "David",
        "clos-des-vignes",
        Role.SYNDIC_STAFF,
    ),
    # One person in both residences with different roles.
    ("double@copro.demo", "Emma", "Bertrand", "les-tilleuls", Role.OWNER),
    ("double@copro.demo", "Emma", "Bertrand", "clos-des-vignes", Role.COUNCIL_MEMBER),
]
PLATFORM_ADMIN = "admin@copro.demo"


def _user(email: str, first: str, last: str, password_hash: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "password": password_hash},
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _fill_lots(residence: Residence, lot_count: int, rng: random.Random) -> None:
    general = residence.allocation_keys.get(is_general=True)
    lift = AllocationKey.objects.create(
        residence=residence, code="ascenseur", name="Ascenseur"
    )
    lots = []
    for number in range(1, lot_count + 1):
        kind = LotKind.PARKING if number > lot_count - 4 else LotKind.APARTMENT
        floor = None if kind == LotKind.PARKING else (number - 1) // 4
        lots.append(
            Lot(
                residence=residence,
                number=number,
                kind=kind,
                floor=floor,
                building="Bâtiment A" if number % 2 else "Bâtiment B",
            )
        )
    lots = bulk_create_with_history(lots, Lot)
    shares = []
    for lot in lots:
        units = 40 if lot.kind == LotKind.PARKING else rng.randint(300, 700)
        shares.append(LotShare(lot=lot, key=general, units=units))
        if lot.floor:  # ground floor and parkings do not pay for the lift
            shares.append(LotShare(lot=lot, key=lift, units=lot.floor * 10))
    bulk_create_with_history(shares, LotShare)


@transaction.atomic
def seed_demo(*, rng: random.Random | None = None) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo; return (email, role, residence) rows."""
    rng = rng or random.Random(2026)  # noqa: S311 (demo data, not security)
    password_hash = make_password(DEMO_PASSWORD)
    residences: dict[str, Residence] = {}
    for spec in RESIDENCES:
        syndic, _ = Syndic.objects.get_or_create(
            name=spec.syndic, defaults=SYNDIC_DETAILS.get(spec.syndic, {})
        )
        residence = Residence.objects.filter(slug=spec.slug).first()
        if residence is None:
            residence = services.residence_create(
                name=spec.name,
                address=spec.address,
                postal_code=spec.postal_code,
                city=spec.city,
                syndic=syndic,
                slug=spec.slug,
            )
            _fill_lots(residence, spec.lot_count, rng)
        residences[spec.slug] = residence

    rows = []
    next_lot = dict.fromkeys(residences, 1)
    for email, first, last, slug, role in ACCOUNTS:
        residence = residences[slug]
        user = _user(email, first, last, password_hash)
        if role in (Role.SYNDIC_MANAGER, Role.SYNDIC_STAFF):
            if not user.employments.exists():
                services.employee_add(
                    syndic=residence.syndic, user=user, role=SyndicRole(role.value)
                )
        else:
            membership, created = Membership.objects.get_or_create(
                user=user,
                residence=residence,
                defaults={"role": role, "status": MembershipStatus.ACTIVE},
            )
            if created and role != Role.TENANT:
                lot = residence.lots.get(number=next_lot[slug])
                membership.lots.add(lot)
            if created and role == Role.TENANT:
                membership.lots.add(residence.lots.get(number=1))
            if role != Role.TENANT:
                next_lot[slug] += 1
        rows.append((email, role.label, residence.name))

    _seed_announcements(residences)
    _seed_events(residences)
    _seed_apps(residences)

    admin = _user(PLATFORM_ADMIN, "Admin", "Plateforme", password_hash)
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    rows.append((PLATFORM_ADMIN, "Platform admin", "—"))
    return rows


ANNOUNCEMENTS = [
    (
        "Bienvenue sur l'intranet de la résidence",
        "Retrouvez ici les annonces, vos lots et vos **tantièmes**.\n\n"
        "- Pour toute question : votre conseil syndical\n"
        "- En cas d'urgence : le syndic",
        "everyone",
        True,
    ),
    (
        "Coupure d'eau mardi de 9 h à 12 h",
        "Intervention sur la colonne montante du bâtiment A. Pensez à faire des "
        "réserves.",
        "everyone",
        False,
    ),
    (
        "Préparation de l'assemblée générale",
        "Les copropriétaires peuvent proposer des questions à inscrire à l'ordre du "
        "jour jusqu'à la fin du mois.",
        "owners",
        False,
    ),
]


def _seed_apps(residences: dict[str, Residence]) -> None:
    """Each app seeds its own demo data, once."""
    from albums import demo as albums_demo
    from directory import demo as directory_demo
    from documents import demo as documents_demo
    from finance import demo as finance_demo
    from incidents import demo as incidents_demo
    from works import demo as works_demo

    apps = (directory_demo, works_demo, albums_demo, documents_demo, incidents_demo,
            finance_demo)  # fmt: skip
    for app in apps:
        app.seed(residences)


def _seed_announcements(residences: dict[str, Residence]) -> None:
    """A few announcements per residence, once (users may edit or remove them)."""
    from life.models import Announcement

    for residence in residences.values():
        if Announcement.history.filter(residence_id=residence.pk).exists():
            continue
        author = residence.syndic.employees.order_by("pk").first()
        for title, body, audience, pinned in ANNOUNCEMENTS:
            Announcement.objects.create(
                residence=residence,
                author=author.user if author else None,
                title=title,
                body=body,
                audience=audience,
                pinned=pinned,
                notified_at=timezone.now(),  # demo data: nobody to notify
            )


EVENTS = [
    # (kind, title, place, days from today, hour, duration in hours)
    ("maintenance", "Entretien de l'ascenseur", "Bâtiment A", 6, 9, 3),
    ("outage", "Coupure d'eau (colonne montante)", "Bâtiment A", 9, 9, 3),
    ("council", "Réunion du conseil syndical", "Salle commune", 14, 19, 2),
    (
        "assembly",
        "Assemblée générale annuelle",
        "Salle des fêtes de la mairie",
        45,
        18,
        3,
    ),
]


def _seed_events(residences: dict[str, Residence]) -> None:
    """A few events per residence, relative to today, once."""
    from datetime import datetime, time, timedelta

    from life.models import Event

    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for residence in residences.values():
        if Event.history.filter(residence_id=residence.pk).exists():
            continue
        for kind, title, place, days, hour, hours in EVENTS:
            start = datetime.combine(today + timedelta(days=days), time(hour), tz)
            Event.objects.create(
                residence=residence,
                kind=kind,
                title=title,
                place=place,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                council_only=kind == "council",
            )
