"""Generated library volume for benchmarks: tens of thousands of documents, in bulk.

Each generated residence gets documents of every category over ten years, mixed
visibilities (some named to one owner or to their lot, some in owners' personal
spaces, a few archived), one or two versions each, tags, and a few hundred words of
French copropriété prose in each version's `text` so that full-text search has work to
do. Rendering 100,000 PDFs would take hours, so a handful of real PDFs are rendered
once and shared by the library's versions (several rows name the same stored file:
library documents are archived, never deleted). Personal documents can be deleted with
their files (`personal_document_delete`), so each of those gets its own copy. The
search vector is computed by PostgreSQL, one UPDATE per batch, with the same weights
as `services.refresh_search`. Documents get their creation in history through
`bulk_create_with_history`, like residents/scale.py's lots and memberships; their ids
are taken from the sequence first, so each historical row already names its current
version.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from copro.lib import search
from residents.models import Membership, MembershipStatus, Residence, Role, User

from .categories import Category
from .models import Document, DocumentVersion, Visibility

BATCH_SIZE = 5_000
SHARED_PDFS = 5

# --- Vocabulary ----------------------------------------------------------------------

EQUIPMENT = [
    "l'ascenseur", "la chaudière collective", "l'interphone", "la porte de garage",
    "la toiture-terrasse", "les colonnes d'eau", "la VMC", "le digicode",
    "l'éclairage des parties communes", "le portail", "les extincteurs",
    "l'antenne collective", "la fibre optique", "le local vélos", "le local poubelles",
    "la cage d'escalier", "les canalisations", "les compteurs d'eau",
    "le désenfumage", "la pompe de relevage", "les espaces verts",
    "le parking souterrain", "les boîtes aux lettres", "les garde-corps",
    "les gouttières", "le chauffage urbain", "les volets roulants", "la ventilation",
]  # fmt: skip
PROVIDERS = [
    "Otis", "Kone", "Schindler", "Dalkia", "Idex", "Proxiserve", "Veolia", "Ista",
    "Techem", "Atalian", "Onet", "Nettoyage Plus", "Jardins de France",
    "Toitures Martin", "Plomberie Dupont", "Électricité Moreau", "Serrurerie Lefebvre",
    "Ravalement Girard", "Thermique Bernard", "Étanchéité Roux", "Ascenseurs Fontaine",
]  # fmt: skip
PROBLEMS = [
    "une fuite d'eau", "des infiltrations", "une panne", "des fissures",
    "un dysfonctionnement", "des traces d'humidité", "un dégât des eaux",
    "une surconsommation", "un défaut d'étanchéité", "des nuisances sonores",
    "un affaissement", "de la corrosion", "un court-circuit", "des moisissures",
]  # fmt: skip
PLACES = [
    "la cage d'escalier B", "le hall d'entrée", "la toiture", "le sous-sol",
    "le parking", "la cour intérieure", "le local technique", "les combles",
    "la façade nord", "le palier du troisième étage", "la loge du gardien",
    "la chaufferie", "les caves", "le jardin", "la terrasse du bâtiment A",
]  # fmt: skip
WORKS = [
    "le ravalement de la façade", "la réfection de la toiture",
    "le remplacement de l'ascenseur", "l'isolation thermique par l'extérieur",
    "la mise aux normes électriques", "le remplacement des fenêtres du hall",
    "la rénovation de la cage d'escalier", "le remplacement de la chaudière",
    "l'installation de bornes de recharge", "la réfection de l'étanchéité",
    "le remplacement des colonnes d'eau", "la création d'un local vélos",
    "la pose d'un contrôle d'accès", "l'élagage des arbres",
    "le curage des canalisations",
]  # fmt: skip
DIAGNOSTICS = [
    "amiante (DTA)", "plomb (CREP)", "termites", "de performance énergétique",
    "technique global (DTG)", "des installations électriques",
    "des installations de gaz", "d'accessibilité", "du plan pluriannuel de travaux",
]  # fmt: skip
FINDINGS = [
    "l'absence d'amiante dans les parties communes",
    "la présence de plomb dans les peintures anciennes de l'escalier",
    "une étiquette énergétique D", "la nécessité de remplacer les menuiseries",
    "des travaux de mise en conformité à prévoir", "un bon état général du bâti",
    "des déperditions importantes par la toiture", "une installation conforme",
]  # fmt: skip
REASONS = ["un signalement", "une alerte", "une visite périodique"]
KEYS = ["charges générales", "ascenseur", "chauffage", "escalier B", "parkings"]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip
TAGS = [
    "ascenseur", "chauffage", "toiture", "façade", "ravalement", "sécurité",
    "eau", "électricité", "urgent", "ag", "budget", "assurance", "jardin",
    "parking", "énergie", "nettoyage", "conseil", "travaux",
]  # fmt: skip

SENTENCES: list[Callable[[random.Random, int], str]] = [
    lambda r, y: (
        f"Le syndic a constaté {r.choice(PROBLEMS)} dans {r.choice(PLACES)} "
        f"le {_day(r, y)}."
    ),
    lambda r, y: (
        f"L'entreprise {r.choice(PROVIDERS)} est intervenue le {_day(r, y)} sur "
        f"{r.choice(EQUIPMENT)} à la suite d'{r.choice(REASONS)}."
    ),
    lambda r, y: (
        f"Le devis de {r.choice(PROVIDERS)} pour {r.choice(WORKS)} s'élève à "
        f"{_euros(r, 800, 250_000)} TTC."
    ),
    lambda r, y: (
        f"Résolution n° {r.randint(1, 30)} : l'assemblée générale approuve "
        f"{r.choice(WORKS)} à la majorité de l'article {r.choice([24, 25, 26])}, par "
        f"{r.randint(3000, 9000)} tantièmes sur 10 000."
    ),
    lambda r, y: (
        f"Le conseil syndical demande au syndic de relancer {r.choice(PROVIDERS)} "
        f"avant le {_day(r, y)} au sujet de {r.choice(EQUIPMENT)}."
    ),
    lambda r, y: (
        f"Les charges relatives à {r.choice(EQUIPMENT)} sont réparties selon la clé "
        f"« {r.choice(KEYS)} »."
    ),
    lambda r, y: (
        "Le fonds de travaux prévu par la loi ALUR s'élève à "
        f"{_euros(r, 5000, 90_000)} au 31 décembre {y}."
    ),
    lambda r, y: (
        f"Le diagnostic {r.choice(DIAGNOSTICS)} réalisé par {r.choice(PROVIDERS)} "
        f"relève {r.choice(FINDINGS)}."
    ),
    lambda r, y: (
        f"Le budget prévisionnel de l'exercice {y} est arrêté à "
        f"{_euros(r, 40_000, 400_000)}, appelé par quarts le premier jour de chaque "
        "trimestre."
    ),
    lambda r, y: (
        f"Les copropriétaires sont informés que {r.choice(EQUIPMENT)} sera hors "
        f"service du {_day(r, y)} au {_day(r, y)} pour maintenance."
    ),
    lambda r, y: (
        f"Le contrat d'entretien de {r.choice(EQUIPMENT)} conclu avec "
        f"{r.choice(PROVIDERS)} est renouvelé pour {r.randint(1, 5)} ans."
    ),
    lambda r, y: (
        f"L'assureur de l'immeuble a été déclaré pour {r.choice(PROBLEMS)} ; "
        f"l'expert passera le {_day(r, y)}."
    ),
    lambda r, y: (
        f"Le lot n° {r.randint(1, 120)} présente un solde débiteur de "
        f"{_euros(r, 50, 4000)} après l'appel de fonds du {_day(r, y)}."
    ),
    lambda r, y: (
        "Conformément au règlement de copropriété, l'usage des parties communes ne "
        f"doit pas gêner les autres occupants ({r.choice(PLACES)})."
    ),
]
# Rare on purpose (about one document in 500): what a "rare word" search finds.
RARE_SHARE = 0.002
RARE = [
    lambda r, y: (
        f"Une expertise a confirmé la présence de mérule dans la cave n° "
        f"{r.randint(1, 60)} ; un traitement fongicide est prescrit."
    ),
]

# category: (weight, title patterns)
CATEGORIES: dict[str, tuple[float, list[str]]] = {
    Category.INVOICES: (20, ["Facture {provider} n° {year}-{n:04d}"]),
    Category.REPORTS: (12, ["Rapport d'intervention {provider} — {equipment}"]),
    Category.QUOTES: (8, ["Devis {provider} : {work}"]),
    Category.MINUTES: (5, ["Procès-verbal de l'assemblée générale du {day}"]),
    Category.CONVOCATIONS: (
        5,
        ["Convocation à l'assemblée générale du {day}"],
    ),
    Category.CONTRACTS: (5, ["Contrat {provider} — {equipment}"]),
    Category.MAINTENANCE_CONTRACTS: (
        5,
        ["Contrat d'entretien de {equipment} ({provider})"],
    ),
    Category.OWNER_ACCOUNT: (7, ["Relevé de compte individuel — {month} {year}"]),
    Category.OWNER_CALLS: (6, ["Appel de fonds du {day}"]),
    Category.OWNER_CHARGES: (2, ["Décompte de charges {year}"]),
    Category.OWNER_WORKS_FUND: (1, ["Quote-part du fonds de travaux {year}"]),
    Category.BANK_STATEMENTS: (
        4,
        ["Relevé bancaire du compte séparé — {month} {year}"],
    ),
    Category.BUDGET: (3, ["Budget prévisionnel {year}"]),
    Category.ACCOUNTS: (3, ["Comptes de l'exercice {year}"]),
    Category.DIAGNOSTICS: (3, ["Diagnostic {diagnostic}"]),
    Category.INSURANCE: (2, ["Attestation d'assurance de l'immeuble {year}"]),
    Category.CARNET_ENTRETIEN: (1, ["Carnet d'entretien — mise à jour {year}"]),
    Category.FICHE_SYNTHETIQUE: (1, ["Fiche synthétique {year}"]),
    Category.SYNDIC_CONTRACT: (0.5, ["Contrat de syndic {year}"]),
    Category.OWNERS_LIST: (0.5, ["Liste des copropriétaires au {day}"]),
    Category.PROCEEDINGS: (0.5, ["Assignation — {provider}"]),
    Category.SYNDIC_CARD: (0.3, ["Carte professionnelle du syndic {year}"]),
    Category.SYNDIC_INSURANCE: (0.3, ["Assurance RC du syndic {year}"]),
    Category.SYNDIC_GUARANTEE: (0.3, ["Garantie financière du syndic {year}"]),
    Category.REGLEMENT: (0.1, ["Règlement de copropriété (modificatif {year})"]),
    Category.EDD: (0.1, ["État descriptif de division (modificatif {year})"]),
    Category.OTHER: (5, ["Note d'information : {equipment}", "Courrier du {day}"]),
}
PER_OWNER = {
    Category.OWNER_ACCOUNT,
    Category.OWNER_CALLS,
    Category.OWNER_CHARGES,
    Category.OWNER_WORKS_FUND,
}
COUNCIL_ONLY = {
    Category.BANK_STATEMENTS,
    Category.OWNERS_LIST,
    Category.PROCEEDINGS,
    Category.SYNDIC_CARD,
    Category.SYNDIC_INSURANCE,
    Category.SYNDIC_GUARANTEE,
}
# Long documents (minutes, rules) have far more words than an invoice.
WORDS = {
    Category.MINUTES: (40, 160),
    Category.REGLEMENT: (150, 300),
    Category.EDD: (60, 120),
    Category.ACCOUNTS: (20, 60),
    Category.DIAGNOSTICS: (20, 60),
    Category.CONTRACTS: (15, 50),
}  # sentences; default (3, 20)
PERSONAL_SHARE = 0.02
ARCHIVED_SHARE = 0.03
SECOND_VERSION_SHARE = 0.1


def _day(rng: random.Random, year: int) -> str:
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {year}"


def _euros(rng: random.Random, low: int, high: int) -> str:
    amount = f"{rng.uniform(low, high):,.2f}".replace(",", " ").replace(".", ",")
    return f"{amount} €"


def _text(rng: random.Random, category: str, year: int) -> str:
    low, high = WORDS.get(category, (3, 20))
    sentences = [
        rng.choice(SENTENCES)(rng, year) for _ in range(rng.randint(low, high))
    ]
    if rng.random() < RARE_SHARE:
        sentences.insert(rng.randrange(len(sentences)), RARE[0](rng, year))
    return " ".join(sentences)


# --- Shared files --------------------------------------------------------------------


@dataclass(frozen=True)
class _StoredPdf:
    name: str
    content: bytes
    size: int
    sha256: str

    def copy(self) -> str:
        storage = DocumentVersion.file.field.storage
        upload_to = DocumentVersion.file.field.upload_to
        return storage.save(upload_to(None, "document.pdf"), ContentFile(self.content))


@functools.cache
def _pdf(index: int) -> bytes:
    from weasyprint import HTML

    rng = random.Random(index)  # noqa: S311 (generated data)
    paragraphs = "".join(
        f"<p>{_text(rng, Category.MINUTES, 2020 + index)}</p>" for _ in range(3)
    )
    return HTML(
        string=(
            f"<html lang='fr'><body><h1>Document généré n° {index + 1}</h1>"
            f"{paragraphs}</body></html>"
        )
    ).write_pdf()


def _shared_pdfs(count: int = SHARED_PDFS) -> list[_StoredPdf]:
    """A few real PDFs, rendered once per process, stored like uploads (private,
    random names)."""
    storage = DocumentVersion.file.field.storage
    upload_to = DocumentVersion.file.field.upload_to
    stored = []
    for index in range(count):
        content = _pdf(index)
        name = storage.save(upload_to(None, "document.pdf"), ContentFile(content))
        stored.append(
            _StoredPdf(name, content, len(content), hashlib.sha256(content).hexdigest())
        )
    return stored


# --- Seeding -------------------------------------------------------------------------


def _reserve_ids(model, count: int) -> list[int]:
    """Take `count` ids from the table's sequence, so that documents and versions can
    point at each other in one batch (the foreign keys are checked at commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
            "FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _refresh_search_in_bulk(document_ids: Sequence[int]) -> None:
    """The search vector of many documents in one UPDATE, with the weights of
    `services.refresh_search`. `search` is excluded from history, so a raw UPDATE
    skips no historical record."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE documents_document AS d SET search =
                setweight(to_tsvector(%(config)s::regconfig, d.title), 'A')
                || setweight(to_tsvector(%(config)s::regconfig,
                       d.description || ' ' || array_to_string(d.tags, ' ')), 'B')
                || setweight(to_tsvector(%(config)s::regconfig,
                       coalesce(v.text, '')), 'C')
            FROM documents_documentversion AS v
            WHERE v.id = d.current_version_id AND d.id = ANY(%(ids)s)
            """,
            {"config": search.CONFIG, "ids": list(document_ids)},
        )


@dataclass
class _Residents:
    """Who generated documents can be about, in one residence."""

    author: User | None
    owners: list[tuple[int, list[int]]]  # (user id, lot ids)


def _residents(residence: Residence) -> _Residents:
    memberships = (
        Membership.objects.filter(
            residence=residence, status=MembershipStatus.ACTIVE, role=Role.OWNER
        )
        .prefetch_related("lots")
        .order_by("pk")
    )
    owners = [(m.user_id, [lot.pk for lot in m.lots.all()]) for m in memberships]
    employee = residence.syndic.employees.select_related("user").first()
    return _Residents(employee.user if employee else None, owners)


def _title(rng: random.Random, category: str, day: date, n: int) -> str:
    pattern = rng.choice(CATEGORIES[category][1])
    return pattern.format(
        provider=rng.choice(PROVIDERS),
        equipment=rng.choice(EQUIPMENT),
        work=rng.choice(WORKS),
        diagnostic=rng.choice(DIAGNOSTICS),
        day=f"{day.day} {MONTHS[day.month - 1]} {day.year}",
        month=MONTHS[day.month - 1],
        year=day.year,
        n=n,
    )[:200]


def _visibility(rng: random.Random, category: str) -> str:
    if category in PER_OWNER:
        return Visibility.NAMED
    if category in COUNCIL_ONLY:
        return Visibility.COUNCIL
    roll = rng.random()
    if roll < 0.5:
        return Visibility.EVERYONE
    return Visibility.OWNERS if roll < 0.9 else Visibility.COUNCIL


@transaction.atomic
def _seed_batch(
    residence: Residence,
    people: _Residents,
    count: int,
    pdfs: list[_StoredPdf],
    rng: random.Random,
) -> None:
    today = timezone.localdate()
    categories = list(CATEGORIES)
    weights = [CATEGORIES[c][0] for c in categories]
    document_ids = _reserve_ids(Document, count)
    documents, versions, named_members, named_lots = [], [], [], []
    for document_id in document_ids:
        day = today - timedelta(days=rng.randint(0, 3652))
        at = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 18))))
        personal = bool(people.owners) and rng.random() < PERSONAL_SHARE
        category = Category.OTHER if personal else rng.choices(categories, weights)[0]
        visibility = Visibility.NAMED if personal else _visibility(rng, category)
        owner_id, owner_lots = rng.choice(people.owners) if people.owners else (0, [])
        if visibility == Visibility.NAMED and not people.owners:
            visibility = Visibility.OWNERS  # nobody to name
        title = _title(rng, category, day, document_id % 10_000)
        texts = [_text(rng, category, day.year)]
        if rng.random() < SECOND_VERSION_SHARE:
            texts.append(_text(rng, category, day.year))
        for number, text in enumerate(texts, start=1):
            pdf = rng.choice(pdfs)
            versions.append(
                DocumentVersion(
                    document_id=document_id,
                    number=number,
                    file=pdf.copy() if personal else pdf.name,
                    original_name=f"{title[:150]}.pdf",
                    content_type="application/pdf",
                    kind="pdf",
                    size=pdf.size,
                    sha256=pdf.sha256,
                    note="" if number == 1 else "Version corrigée",
                    uploaded_by=people.author,
                    uploaded_at=at + timedelta(days=number - 1),
                    text=text,
                    text_extracted_at=at + timedelta(days=number - 1),
                )
            )
        documents.append(
            Document(
                pk=document_id,
                residence=residence,
                owner_id=owner_id if personal else None,
                category=category,
                title=title,
                description=rng.choice(SENTENCES)(rng, day.year)
                if rng.random() < 0.6
                else "",
                tags=sorted(set(rng.sample(TAGS, rng.randint(0, 3)))),
                date=day,
                visibility=visibility,
                archived_at=at + timedelta(days=400)
                if rng.random() < ARCHIVED_SHARE
                else None,
                created_by=people.author,
                created_at=at,
                updated_at=at,
            )
        )
        if visibility == Visibility.NAMED and not personal:
            if owner_lots and rng.random() < 0.3:
                named_lots.append((document_id, rng.choice(owner_lots)))
            else:
                named_members.append((document_id, owner_id))
    version_ids = iter(_reserve_ids(DocumentVersion, len(versions)))
    current: dict[int, int] = {}
    for version in versions:
        version.pk = next(version_ids)
        current[version.document_id] = version.pk  # the last number is current
    for document in documents:
        document.current_version_id = current[document.pk]
    bulk_create_with_history(
        documents, Document, batch_size=1000, default_user=people.author
    )
    DocumentVersion.objects.bulk_create(versions, batch_size=1000)
    Document.members.through.objects.bulk_create(
        [Document.members.through(document_id=d, user_id=u) for d, u in named_members]
    )
    Document.lots.through.objects.bulk_create(
        [Document.lots.through(document_id=d, lot_id=lot) for d, lot in named_lots]
    )
    _refresh_search_in_bulk(document_ids)


def seed_documents(
    residences: Sequence[Residence],
    *,
    per_residence: int,
    batch_size: int = BATCH_SIZE,
    seed: int = 4,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill each residence up to `per_residence` documents (already there count, so a
    second run adds nothing). Commits every `batch_size` documents; returns how many
    were added. About a minute per 30,000 documents on a small machine."""
    missing = {
        residence: per_residence - residence.documents.count()
        for residence in residences
    }
    if not any(n > 0 for n in missing.values()):
        return 0
    pdfs = _shared_pdfs()
    added = 0
    for residence, count in missing.items():
        if count <= 0:
            continue
        # Seeded by what exists, so that topping up does not repeat the same rows.
        rng = random.Random(f"{seed}-{residence.pk}-{per_residence - count}")  # noqa: S311
        people = _residents(residence)
        while count > 0:
            size = min(batch_size, count)
            _seed_batch(residence, people, size, pdfs, rng)
            count -= size
            added += size
            if progress is not None:
                progress(added)
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner misjudges the new volume.
        cursor.execute("ANALYZE documents_document")
        cursor.execute("ANALYZE documents_documentversion")
    return added
