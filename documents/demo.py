"""Demo documents: the legal basics of each demo residence, as real PDFs."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from weasyprint import HTML

from copro.lib.uploads import clean_document
from residents.models import Residence, User

from . import services
from .categories import Category
from .models import Document, Visibility

# (title, category, date, visibility, body text)
LIBRARY = [
    (
        "Règlement de copropriété",
        Category.REGLEMENT,
        date(1998, 3, 12),
        Visibility.EVERYONE,
        "Le présent règlement fixe la destination des parties privatives et communes, "
        "les conditions de leur jouissance et la répartition des charges.",
    ),
    (
        "Procès-verbal de l'assemblée générale 2026",
        Category.MINUTES,
        date(2026, 6, 12),
        Visibility.OWNERS,
        "Résolution 12 : ravalement de la façade adopté à la majorité de l'article 25. "
        "Résolution 14 : remplacement de l'interphone reporté.",
    ),
    (
        "Contrat d'entretien",
        Category.MAINTENANCE_CONTRACTS,
        date(2025, 1, 1),
        Visibility.OWNERS,
        "Visite mensuelle de l'ascenseur, dépannage sous 4 heures, pièces d'usure "
        "comprises. Astreinte 24 h/24.",
    ),
    (
        "Attestation d'assurance de l'immeuble",
        Category.INSURANCE,
        date(2026, 1, 5),
        Visibility.EVERYONE,
        "Multirisque immeuble : dégâts des eaux, incendie, responsabilité civile du "
        "syndicat des copropriétaires.",
    ),
    (
        "Carnet d'entretien",
        Category.CARNET_ENTRETIEN,
        date(2026, 5, 20),
        Visibility.OWNERS,
        "Toiture refaite en 2019. Chaudière collective révisée en 2025. Colonnes "
        "d'eau remplacées en 2021.",
    ),
    (
        "Relevés bancaires du compte séparé",
        Category.BANK_STATEMENTS,
        date(2026, 9, 30),
        Visibility.COUNCIL,
        "Solde au 30 septembre : compte courant et fonds de travaux.",
    ),
]
OWNERS = {
    "les-tilleuls": "proprietaire.tilleuls@copro.demo",
    "clos-des-vignes": "proprietaire.vignes@copro.demo",
}
MANAGERS = {
    "les-tilleuls": "gestionnaire.horizon@copro.demo",
    "clos-des-vignes": "gestionnaire.bellevue@copro.demo",
}


def pdf(title: str, text: str, residence: Residence) -> bytes:
    return HTML(
        string=(
            f"<html lang='fr'><body><h1>{title}</h1><p>{residence.name}, "
            f"{residence.address}</p><p>{text}</p></body></html>"
        )
    ).write_pdf()


def seed(residences: dict[str, Residence]) -> None:
    """Add the demo documents once per residence (users may change them after)."""
    for slug, residence in residences.items():
        if Document.history.filter(residence_id=residence.pk).exists():
            continue
        manager = User.objects.get(email=MANAGERS[slug])
        for title, category, day, visibility, text in LIBRARY:
            upload = SimpleUploadedFile(f"{title}.pdf", pdf(title, text, residence))
            document = services.documents_upload(
                residence=residence,
                by=manager,
                uploads=[clean_document(upload)],
                title=title,
                category=category,
                date=day,
                visibility=visibility,
            )[0]
            services.extract_version_text(document.current_version_id)
        owner = User.objects.get(email=OWNERS[slug])
        title = "Relevé de compte individuel"
        text = "Solde débiteur au 30 septembre : 412,50 €. Appel du 1er octobre inclus."
        upload = SimpleUploadedFile(f"{title}.pdf", pdf(title, text, residence))
        statement = services.documents_upload(
            residence=residence,
            by=manager,
            uploads=[clean_document(upload)],
            title=title,
            category=Category.OWNER_ACCOUNT,
            date=date(2026, 10, 1),
            visibility=Visibility.NAMED,
            members=[owner],
        )[0]
        services.extract_version_text(statement.current_version_id)
        _seed_sharing_and_signatures(residence, manager, owner)


def _seed_sharing_and_signatures(residence: Residence, manager: User, owner: User):
    """A followed category, a link for a notary, and a mandate waiting for the
    owner's signature."""
    from datetime import timedelta

    from django.utils import timezone

    from residents.access import standing

    from .models import CategoryFollow
    from .sharing import share_link_create
    from .signatures import signature_request_create

    CategoryFollow.objects.get_or_create(
        user=owner, residence=residence, category=Category.MINUTES
    )
    rules = Document.objects.get(residence=residence, category=Category.REGLEMENT)
    share_link_create(
        residence=residence,
        by=manager,
        documents=[rules],
        label="Maître Durand, notaire — vente du lot 12",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    title = "Mandat de prélèvement des charges"
    text = "J'autorise le syndic à prélever les appels de fonds trimestriels."
    upload = SimpleUploadedFile(f"{title}.pdf", pdf(title, text, residence))
    mandate = services.documents_upload(
        residence=residence,
        by=manager,
        uploads=[clean_document(upload)],
        title=title,
        category=Category.OTHER,
        visibility=Visibility.NAMED,
        members=[owner],
    )[0]
    signature_request_create(
        standing=standing(manager, residence.slug),
        document=mandate,
        signer=owner,
        message="Merci de signer ce mandat avant le prochain appel de fonds.",
    )
