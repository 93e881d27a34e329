"""Demo works: the facade renovation of each demo residence, with two updates.

Rows are created directly (not through `works_post_update`): old demo updates must
not notify anybody. Idempotent: a residence that already has (or had) the demo works
record is left alone.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from copro.lib.uploads import clean_image
from residents.models import Residence, SyndicRole, User

from .models import Works, WorksPhoto, WorksStatus, WorksUpdate

TITLE = "Ravalement de la façade"
MANAGERS = {
    "les-tilleuls": "gestionnaire.horizon@copro.demo",
    "clos-des-vignes": "gestionnaire.bellevue@copro.demo",
}
CONTRACTORS = {
    "les-tilleuls": "Façades Rhône Rénovation",
    "clos-des-vignes": "Aquitaine Façades et Peinture",
}
DESCRIPTION = (
    "Ravalement complet des façades sur rue et sur cour, voté en assemblée "
    "générale.\n\n"
    "- Nettoyage haute pression et traitement anti-mousse\n"
    "- Reprise des fissures et des éclats de béton\n"
    "- Deux couches de peinture minérale (teinte « pierre de Bourgogne »)\n"
    "- Remise en peinture des garde-corps des balcons\n\n"
    "Les échafaudages restent en place pendant toute la durée du chantier : merci de "
    "ne rien suspendre aux balcons."
)
UPDATES = [
    # (days ago, progress, status, text)
    (
        40,
        15,
        WorksStatus.IN_PROGRESS,
        "Les échafaudages sont montés sur la façade côté rue. Le nettoyage haute "
        "pression commence lundi : gardez vos fenêtres fermées de 8 h à 17 h.",
    ),
    (
        8,
        40,
        "",
        "Le nettoyage est terminé côté rue et les fissures ont été reprises. La "
        "première couche de peinture est en cours ; la façade sur cour suivra en "
        "janvier.",
    ),
]


def _facade_photo() -> ContentFile:
    """A simple drawing of a facade under scaffolding (no external file)."""
    image = Image.new("RGB", (960, 640), (178, 214, 240))  # sky
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 120, 840, 640), fill=(226, 208, 178))  # the building
    draw.rectangle((120, 120, 480, 640), fill=(242, 232, 212))  # freshly painted half
    for x in range(170, 800, 120):
        for y in range(170, 600, 110):
            draw.rectangle((x, y, x + 60, y + 70), fill=(70, 90, 110))  # windows
    for x in range(100, 880, 90):  # scaffolding
        draw.line((x, 100, x, 640), fill=(120, 120, 120), width=5)
    for y in range(100, 640, 80):
        draw.line((100, y, 870, y), fill=(140, 140, 140), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return ContentFile(buffer.getvalue(), name="facade-echafaudage.jpg")


def _manager(slug: str, residence: Residence) -> User | None:
    user = User.objects.filter(email=MANAGERS.get(slug, "")).first()
    if user is not None:
        return user
    employee = (
        residence.syndic.employees.filter(role=SyndicRole.MANAGER, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
        if residence.syndic_id
        else None
    )
    return employee.user if employee else None


@transaction.atomic
def seed(residences: dict[str, Residence]) -> None:
    """One works record per demo residence, once (users may change or delete it)."""
    now = timezone.now()
    for slug, residence in residences.items():
        if Works.history.filter(residence_id=residence.pk, title=TITLE).exists():
            continue
        manager = _manager(slug, residence)
        works = Works.objects.create(
            residence=residence,
            title=TITLE,
            description=DESCRIPTION,
            contractor=CONTRACTORS.get(slug, "Façades et Peinture Durand"),
            budget=Decimal("186500.00"),
            voted_at_assembly="Assemblée générale ordinaire du 12 juin 2026",
            voted_on=date(2026, 6, 12),
            status=WorksStatus.IN_PROGRESS,
            progress=40,
            starts_on=(now - timedelta(days=42)).date(),
            ends_on=(now + timedelta(days=120)).date(),
            created_by=manager,
            created_at=now - timedelta(days=60),
        )
        for days, progress, status, text in UPDATES:
            update = WorksUpdate.objects.create(
                works=works,
                author=manager,
                posted_at=now - timedelta(days=days),
                text=text,
                progress=progress,
                status=status,
            )
        photo = clean_image(_facade_photo())
        WorksPhoto.objects.create(
            update=update,  # the latest one
            image=photo.image,
            thumbnail=photo.thumbnail,
            width=photo.width,
            height=photo.height,
            original_name=photo.original_name,
            caption="Échafaudages sur la façade côté rue, la moitié gauche repeinte",
        )
