"""Reads for the directory and the useful-information pages, scoped by the reader's
standing in the residence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from residents.access import COUNCIL_ROLES, Perm, Standing, active_memberships
from residents.models import Lot, Membership

from .models import (
    SEARCH_CONFIG,
    Contact,
    ContactKind,
    DirectoryListing,
    InfoCategory,
    InfoPage,
    ServiceContract,
    info_search_vector,
)

# --- Directory ----------------------------------------------------------------------


def council_members(standing: Standing) -> QuerySet[Membership]:
    """Active council members of the residence, president first (one query)."""
    return (
        active_memberships()
        .filter(residence=standing.residence, role__in=list(COUNCIL_ROLES))
        .select_related("user")
        .order_by("-role", "user__last_name", "user__first_name", "pk")
    )


def current_contracts() -> QuerySet[ServiceContract]:
    """Contracts that have not ended (open-ended ones included)."""
    today = timezone.localdate()
    return ServiceContract.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )


def contacts_for(standing: Standing) -> QuerySet[Contact]:
    return Contact.objects.filter(residence=standing.residence)


def _contact_search_q(query: str) -> Q:
    # unaccent: "securite" finds "Sécurité" (the extension is installed by residents).
    return Q(name__unaccent__icontains=query) | Q(
        organisation__unaccent__icontains=query
    )


@dataclass
class DirectorySections:
    syndic_contacts: list[Contact] = field(default_factory=list)
    caretakers: list[Contact] = field(default_factory=list)
    providers: list[Contact] = field(default_factory=list)
    emergency: list[Contact] = field(default_factory=list)
    other: list[Contact] = field(default_factory=list)


_SECTION_OF = {
    ContactKind.SYNDIC_CONTACT: "syndic_contacts",
    ContactKind.CARETAKER: "caretakers",
    ContactKind.PROVIDER: "providers",
    ContactKind.EMERGENCY: "emergency",
    ContactKind.OTHER: "other",
}


def directory_sections(standing: Standing, query: str = "") -> DirectorySections:
    """Every contact of the residence by section, providers with their current
    contracts (two queries whatever the number of contacts)."""
    contacts = contacts_for(standing).prefetch_related(
        Prefetch(
            "contracts",
            queryset=current_contracts().order_by("kind", "starts_on", "pk"),
            to_attr="current_contracts",
        )
    )
    if query:
        contacts = contacts.filter(_contact_search_q(query))
    sections = DirectorySections()
    for contact in contacts.order_by("order", "name", "pk"):
        getattr(sections, _SECTION_OF[contact.kind]).append(contact)
    return sections


def resident_listings(standing: Standing) -> QuerySet[DirectoryListing]:
    """Residents who chose to appear, among the residence's active members only (a
    member who leaves or is blocked disappears at once). Lots are prefetched."""
    members = active_memberships().filter(residence=standing.residence)
    return (
        DirectoryListing.objects.filter(listed=True, membership__in=members)
        .select_related("membership__user")
        .prefetch_related(
            Prefetch(
                "membership__lots",
                queryset=Lot.objects.order_by("number"),
            )
        )
        .order_by(
            "membership__user__last_name",
            "membership__user__first_name",
            "pk",
        )
    )


def my_listing(standing: Standing) -> DirectoryListing | None:
    """The member's own listing, or an unsaved one with the defaults (nothing shown).
    None for people without a membership (syndic staff)."""
    if standing.membership_id is None:
        return None
    listing = DirectoryListing.objects.filter(
        membership_id=standing.membership_id
    ).first()
    return listing or DirectoryListing(membership_id=standing.membership_id)


def contracts_for(standing: Standing) -> QuerySet[ServiceContract]:
    return ServiceContract.objects.filter(residence=standing.residence).select_related(
        "provider"
    )


def contracts_to_renew(
    standing: Standing, within_days: int = 60
) -> QuerySet[ServiceContract]:
    """Current contracts whose renewal date falls in the next `within_days` days,
    soonest first: what the council and the syndic must look at (one query)."""
    if not standing.can(Perm.MANAGE_DIRECTORY):
        return ServiceContract.objects.none()
    today = timezone.localdate()
    return (
        current_contracts()
        .filter(
            residence=standing.residence,
            renewal_on__gte=today,
            renewal_on__lte=today + timedelta(days=within_days),
        )
        .select_related("provider")
        .order_by("renewal_on", "pk")
    )


def dashboard_contracts_to_renew(standing: Standing) -> list[ServiceContract]:
    """The dashboard widget: at most five contracts to renew (one query, none for
    people who cannot manage the directory)."""
    if not standing.can(Perm.MANAGE_DIRECTORY):
        return []
    return list(contracts_to_renew(standing)[:5])


# --- Useful information -------------------------------------------------------------


def info_pages_for(standing: Standing) -> QuerySet[InfoPage]:
    # The residence comes along for the pages' URLs.
    return InfoPage.objects.filter(residence=standing.residence).select_related(
        "residence"
    )


def info_pages_by_category(standing: Standing) -> list[tuple[str, list[InfoPage]]]:
    """(category label, pages) in the categories' order, empty ones left out."""
    pages: dict[str, list[InfoPage]] = {}
    for page in info_pages_for(standing).order_by("order", "title", "pk"):
        pages.setdefault(page.category, []).append(page)
    return [
        (category.label, pages[category])
        for category in InfoCategory
        if category in pages
    ]


_WORD = re.compile(r"\w+", re.UNICODE)
MARK_START, MARK_STOP = "\x02", "\x03"  # sentinels, replaced after escaping


def _prefix_query(text: str) -> SearchQuery | None:
    """Every word as a prefix ("poub" finds "poubelles"), all required. Words are
    extracted here, so the user cannot inject tsquery syntax."""
    words = _WORD.findall(text)[:8]
    if not words:
        return None
    raw = " & ".join(f"{word}:*" for word in words)
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


@dataclass
class SearchHit:
    page: InfoPage
    snippet: SafeString


def _snippet(headline: str | None) -> SafeString:
    # The body is people's Markdown: escape it all, then turn our sentinels (which
    # escaping leaves alone) into <mark>. Markdown punctuation is dropped for reading.
    text = re.sub(r"[*_`#>|]+|-{2,}|^\s*[-+]\s", " ", headline or "", flags=re.M)
    text = " ".join(text.split())
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 (escaped just above)


def search_info_pages(
    standing: Standing, text: str, limit: int = 30
) -> list[SearchHit]:
    """Full-text search (French) over the residence's pages, best first.

    Whole words (websearch syntax: "quoted phrases", -exclusions) or word prefixes
    match through the GIN index on the pages' search vector; if nothing matches, a
    trigram similarity on titles catches typos ("poubele"). One query, two when the
    fallback runs.
    """
    text = text.strip()[:200]
    prefix = _prefix_query(text)
    if prefix is None:
        return []
    words = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    query = words | prefix
    vector = info_search_vector()
    pages = list(
        info_pages_for(standing)
        .annotate(search=vector)
        .filter(Q(search=words) | Q(search=prefix))
        .annotate(
            rank=SearchRank(vector, query),
            headline=SearchHeadline(
                "body",
                query,
                config=SEARCH_CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "title", "pk")[:limit]
    )
    if not pages:
        pages = list(
            info_pages_for(standing)
            .annotate(
                similarity=Greatest(
                    TrigramWordSimilarity(text, "title"),
                    TrigramWordSimilarity(text, "body"),
                )
            )
            .filter(similarity__gte=0.5)
            .order_by("-similarity", "title", "pk")[:limit]
        )
        for page in pages:
            page.headline = page.body[:200]
    return [SearchHit(page=page, snippet=_snippet(page.headline)) for page in pages]
