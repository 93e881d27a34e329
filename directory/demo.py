"""Demo data for the directory: contacts, contracts, useful information and the demo
owners' listings. Idempotent: each part is created once per residence (judged by its
history, so what users deleted is not brought back) and goes through the services."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from residents.access import active_memberships
from residents.models import Residence

from . import services
from .models import (
    Contact,
    ContactKind,
    ContractKind,
    DirectoryListing,
    InfoCategory,
    InfoPage,
)

# Per residence slug: caretaker, syndic contacts, providers, emergency lines.
PEOPLE = {
    "les-tilleuls": {
        "caretaker": (
            "Mme Fernandes",
            "Gardienne",
            "04 78 60 12 34",
            "Loge au rez-de-chaussée, bâtiment A",
            "Lun–ven 8 h–12 h et 15 h–19 h, sam 8 h–12 h",
        ),
        "syndic": [
            (
                "Claire Dubois",
                "Gestionnaire de copropriété",
                "04 72 10 20 30",
                "c.dubois@syndic-horizon.example",
            ),
            (
                "Julien Moreau",
                "Assistant comptable",
                "04 72 10 20 31",
                "j.moreau@syndic-horizon.example",
            ),
        ],
        "owner": "proprietaire.tilleuls@copro.demo",
        "owner_note": "Au 3e, porte gauche — n'hésitez pas pour les colis.",
    },
    "clos-des-vignes": {
        "caretaker": (
            "M. Lambert",
            "Gardien",
            "05 56 44 21 09",
            "Loge à l'entrée, allée des Vendanges",
            "Lun–ven 7 h 30–12 h et 14 h–18 h",
        ),
        "syndic": [
            (
                "Nathalie Roux",
                "Gestionnaire de copropriété",
                "05 56 90 80 70",
                "n.roux@gestion-bellevue.example",
            ),
            (
                "Karim Benali",
                "Chargé de travaux",
                "05 56 90 80 72",
                "k.benali@gestion-bellevue.example",
            ),
        ],
        "owner": "proprietaire.vignes@copro.demo",
        "owner_note": "Rez-de-jardin, je peux arroser vos plantes l'été.",
    },
}

# (organisation, role, phone, email, contract kind, reference, years since start,
# renewal in N days, open-ended?, notice)
PROVIDERS = [
    ("Ascenseurs Rhône-Alpes Services", "Maintenance de l'ascenseur",
     "04 78 00 11 22", "contrat@ascenseurs-ras.example", ContractKind.LIFT,
     "ASC-2023-0147", 3, 45, False, "3 mois avant l'échéance"),
    ("Net'Immo Propreté", "Ménage des parties communes (2 passages par semaine)",
     "04 78 33 44 55", "agence@netimmo.example", ContractKind.CLEANING,
     "NP-5521", 2, 200, True, "1 mois"),
    ("Mutuelle des Copropriétés", "Assurance multirisque immeuble",
     "09 69 32 10 00", "sinistres@mutuelle-copro.example", ContractKind.INSURANCE,
     "MRI-778-2024", 1, 120, False, "2 mois avant l'échéance annuelle"),
]  # fmt: skip

EMERGENCY = [
    (
        "Plombier d'astreinte",
        "Plomberie Express 24/7",
        "Fuite d'eau, dégât des eaux : 24 h/24, 7 j/7",
        "06 12 34 56 78",
    ),
    (
        "Dépannage ascenseur",
        "Ascenseurs Rhône-Alpes Services",
        "Personne bloquée ou panne : ligne d'urgence 24 h/24",
        "0 800 12 34 56",
    ),
]

INFO_PAGES = [
    (
        InfoCategory.WASTE,
        "Collecte des déchets et tri",
        "Les **poubelles** sont sorties par le gardien la veille au soir.\n\n"
        "| Bac | Jour de collecte |\n|---|---|\n"
        "| Ordures ménagères (couvercle gris) | lundi et jeudi |\n"
        "| Emballages et papiers (couvercle jaune) | mercredi |\n"
        "| Verre | borne à l'angle de la rue |\n\n"
        "- Les encombrants se déposent à la déchetterie, jamais dans le local "
        "poubelles.\n"
        "- Pensez à aplatir les cartons.",
    ),
    (
        InfoCategory.ACCESS_KEYS,
        "Clés, badges et accès",
        "Chaque logement dispose de **deux badges** d'accès au hall et au parking.\n\n"
        "1. Badge perdu ou volé : prévenez le syndic pour qu'il soit désactivé.\n"
        "2. Badge supplémentaire : demande écrite au syndic (facturé 25 €).\n"
        "3. Clé du local vélos : à retirer auprès du gardien contre signature.\n\n"
        "Le code du portail piéton change chaque année après l'assemblée générale.",
    ),
    (
        InfoCategory.HOUSE_RULES,
        "Règlement intérieur : l'essentiel",
        "Extrait du règlement de copropriété, à respecter par tous les occupants.\n\n"
        "- **Bruit** : pas de travaux bruyants avant 9 h ni après 19 h, ni le "
        "dimanche.\n"
        "- **Parties communes** : rien ne doit encombrer les paliers et le hall "
        "(poussettes et vélos au local prévu).\n"
        "- **Balcons** : pas de linge étendu visible de la rue, pas de barbecue.\n"
        "- **Animaux** : tenus en laisse dans les parties communes.",
    ),
    (
        InfoCategory.FAQ,
        "Questions fréquentes",
        "### À qui signaler une fuite dans les parties communes ?\n"
        "Au gardien en journée, sinon au plombier d'astreinte (voir l'annuaire).\n\n"
        "### Comment recevoir un colis en mon absence ?\n"
        "Le gardien accepte les colis aux heures de loge. Certains voisins se "
        "proposent aussi dans l'annuaire.\n\n"
        "### Puis-je installer une borne de recharge au parking ?\n"
        "Oui : c'est un droit (« droit à la prise »). Informez le syndic par lettre "
        "recommandée avec votre projet.\n\n"
        "### Quand a lieu l'assemblée générale ?\n"
        "Une fois par an, au printemps. La date figure dans le calendrier.",
    ),
]


def seed(residences: dict[str, Residence]) -> None:
    """Add what is missing of the directory demo for each residence."""
    for slug, residence in residences.items():
        spec = PEOPLE.get(slug)
        if spec is None:
            continue
        with transaction.atomic():
            _seed_contacts(residence, spec)
            _seed_info_pages(residence)
            _seed_listing(residence, spec)


def _seed_contacts(residence: Residence, spec: dict) -> None:
    if Contact.history.filter(residence_id=residence.pk).exists():
        return
    name, role, phone, address, hours = spec["caretaker"]
    services.contact_save(
        residence=residence,
        kind=ContactKind.CARETAKER,
        name=name,
        role=role,
        phone=phone,
        address=address,
        hours=hours,
    )
    for order, (name, role, phone, email) in enumerate(spec["syndic"]):
        services.contact_save(
            residence=residence,
            kind=ContactKind.SYNDIC_CONTACT,
            name=name,
            organisation=residence.syndic.name if residence.syndic else "",
            role=role,
            phone=phone,
            email=email,
            order=order,
        )
    today = timezone.localdate()
    for order, row in enumerate(PROVIDERS):
        (organisation, role, phone, email, kind, reference, years, renewal_days,
         open_ended, notice) = row  # fmt: skip
        provider = services.contact_save(
            residence=residence,
            kind=ContactKind.PROVIDER,
            name=organisation,
            organisation=organisation,
            role=role,
            phone=phone,
            email=email,
            order=order,
        )
        starts = today.replace(day=1) - timedelta(days=365 * years)
        renewal = today + timedelta(days=renewal_days)
        services.contract_save(
            residence=residence,
            provider=provider,
            kind=kind,
            reference=reference,
            starts_on=starts,
            ends_on=None if open_ended else renewal + timedelta(days=365),
            renewal_on=renewal,
            notice=notice,
        )
    for order, (name, organisation, role, phone) in enumerate(EMERGENCY):
        services.contact_save(
            residence=residence,
            kind=ContactKind.EMERGENCY,
            name=name,
            organisation=organisation,
            role=role,
            phone=phone,
            order=order,
        )


def _seed_info_pages(residence: Residence) -> None:
    if InfoPage.history.filter(residence_id=residence.pk).exists():
        return
    for order, (category, title, body) in enumerate(INFO_PAGES):
        services.info_page_save(
            residence=residence,
            by=None,
            category=category,
            title=title,
            body=body,
            order=order,
        )


def _seed_listing(residence: Residence, spec: dict) -> None:
    membership = (
        active_memberships()
        .filter(residence=residence, user__email=spec["owner"])
        .first()
    )
    if (
        membership is None
        or DirectoryListing.history.filter(membership_id=membership.pk).exists()
    ):
        return
    services.listing_save(
        membership=membership,
        listed=True,
        show_email=True,
        show_phone=False,
        show_lots=True,
        note=spec["owner_note"],
    )
