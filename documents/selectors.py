"""Which documents a member may see, found and filtered; the legal checklist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.postgres.search import SearchHeadline, SearchRank
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from copro.lib import search
from residents.access import Perm, Standing
from residents.models import Membership, Role

from .categories import LEGAL_REQUIREMENTS, Category, Requirement, Scope
from .models import Document, DocumentVersion, Visibility

# Highlight markers: the snippet is HTML-escaped first, then they become <mark>.
MARK_START, MARK_STOP = "\u27e6", "\u27e7"


def _named_for(standing: Standing) -> Q:
    """Named documents that name this person, or one of their lots."""
    through_members = Document.members.through.objects.filter(
        document_id=OuterRef("pk"), user_id=standing.user.pk
    )
    q = Exists(through_members)
    if standing.membership_id is not None:
        my_lots = Membership.lots.through.objects.filter(
            membership_id=standing.membership_id
        ).values("lot_id")
        through_lots = Document.lots.through.objects.filter(
            document_id=OuterRef("pk"), lot_id__in=my_lots
        )
        q = q | Exists(through_lots)
    return Q(visibility=Visibility.NAMED) & q


def _visible(standing: Standing) -> Q:
    if standing.is_syndic:
        return Q()
    audiences = [Visibility.EVERYONE]
    if standing.is_owner:
        audiences.append(Visibility.OWNERS)
    if standing.is_council:
        audiences.append(Visibility.COUNCIL)
    return Q(visibility__in=audiences) | _named_for(standing)


def library(standing: Standing, *, archived: bool = False) -> QuerySet[Document]:
    """The residence's documents this member may open (personal spaces excluded)."""
    return (
        Document.objects.filter(
            residence=standing.residence,
            owner__isnull=True,
            archived_at__isnull=not archived,
        )
        .filter(_visible(standing))
        .select_related("current_version", "residence")
        # The search vector and the PDFs' text are big and never shown in lists.
        .defer("search", "current_version__text")
    )


def document_for(
    standing: Standing, document_id: int, *, archived: bool | None = None
) -> Document | None:
    """A document this member may open: in the library, the archive, or their own
    personal space."""
    documents = Document.objects.filter(residence=standing.residence).filter(
        Q(owner=standing.user) | (Q(owner__isnull=True) & _visible(standing))
    )
    if archived is not None:
        documents = documents.filter(archived_at__isnull=not archived)
    return (
        documents.select_related("current_version", "residence", "created_by")
        .filter(pk=document_id)
        .first()
    )


def manageable(standing: Standing, document_id: int) -> Document | None:
    if not standing.can(Perm.MANAGE_DOCUMENTS):
        return None
    return (
        Document.objects.filter(
            residence=standing.residence, owner__isnull=True, pk=document_id
        )
        .select_related("residence", "current_version")
        .first()
    )


@dataclass
class Filters:
    q: str = ""
    category: str = ""
    year: int | None = None
    kind: str = ""
    tag: str = ""

    @classmethod
    def from_query(cls, params) -> Filters:
        year = params.get("year", "")
        category = params.get("category", "")
        return cls(
            q=params.get("q", "").strip()[:200],
            category=category if category in Category.values else "",
            year=int(year) if year.isdigit() and 1900 < int(year) < 2200 else None,
            kind=params.get("kind", "")[:20],
            tag=params.get("tag", "").strip().lower()[:40],
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.category or self.year or self.kind or self.tag)


def _filtered(standing: Standing, filters: Filters, *, archived: bool):
    documents = library(standing, archived=archived)
    if filters.category:
        documents = documents.filter(category=filters.category)
    if filters.year:
        documents = documents.filter(date__year=filters.year)
    if filters.kind:
        documents = documents.filter(current_version__kind=filters.kind)
    if filters.tag:
        documents = documents.filter(tags__contains=[filters.tag])
    return documents


def search_library(
    standing: Standing, filters: Filters, *, archived: bool = False
) -> QuerySet[Document]:
    """The library filtered and, with a query, ranked (best first)."""
    documents = _filtered(standing, filters, archived=archived)
    if not filters.q:
        return documents.order_by("-date", "-pk")
    query = search.query(filters.q)
    return (
        documents.filter(search=query)
        .annotate(rank=SearchRank(F("search"), query))
        .order_by("-rank", "-date", "-pk")
    )


def search_page(
    standing: Standing,
    filters: Filters,
    number,
    *,
    archived: bool = False,
    per_page: int = 25,
) -> Page:
    """One page of `search_library`, with highlighted title and text snippets.

    The ranking pages ids only; the 25 rows shown are then loaded with their
    snippets, so that `ts_headline` runs for what is shown, not for every row a
    far page skips (one query more than a plain page, constant)."""
    ranked = search_library(standing, filters, archived=archived)
    page = Paginator(ranked.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    rows = (
        Document.objects.filter(pk__in=ids)
        .select_related("current_version", "residence")
        .defer("search", "current_version__text")
    )
    if filters.q:
        rows = with_snippets(rows, filters.q)
    by_id = {document.pk: document for document in rows}
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]
    return page


def with_snippets(documents: QuerySet[Document], q: str) -> QuerySet[Document]:
    """Each document with `title_snippet` and `snippet` (its text around the words
    of `q`), the words between MARK_START and MARK_STOP."""
    query = search.query(q)
    return documents.annotate(
        snippet=SearchHeadline(
            F("current_version__text"),
            query,
            config=search.CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_STOP,
            max_words=35,
            min_words=15,
        ),
        title_snippet=SearchHeadline(
            "title",
            query,
            config=search.CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_STOP,
            highlight_all=True,
        ),
    )


def facets(standing: Standing) -> dict:
    """The years to offer in the filter menu: from the newest document this member
    may see back to the oldest (one indexed query, whatever the volume)."""
    span = library(standing).order_by().aggregate(first=Min("date"), last=Max("date"))
    if span["first"] is None:
        return {"years": []}
    return {"years": list(range(span["last"].year, span["first"].year - 1, -1))}


def versions_of(document: Document) -> QuerySet[DocumentVersion]:
    return document.versions.select_related("uploaded_by").order_by("-number")


def version_for(
    standing: Standing, document_id: int, number: int
) -> DocumentVersion | None:
    document = document_for(standing, document_id)
    if document is None:
        return None
    return document.versions.filter(number=number).first()


def personal_space(standing: Standing) -> QuerySet[Document]:
    return (
        Document.objects.filter(residence=standing.residence, owner=standing.user)
        .select_related("current_version", "residence")
        .order_by("-created_at", "-pk")
    )


# --- The legal checklist ---------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    requirement: Requirement
    latest: date | None
    current: bool
    owners_covered: int | None = None
    owners_total: int | None = None

    @property
    def label(self) -> str:
        return Category(self.requirement.category).label


def legal_checklist(standing: Standing) -> dict[Scope, list[ChecklistRow]]:
    """For each document the law requires, whether the residence has a current one
    (for each co-owner's own documents: how many co-owners have theirs). Three
    queries whatever the number of documents."""
    today = timezone.localdate()
    library_docs = Document.objects.filter(
        residence=standing.residence, owner__isnull=True, archived_at__isnull=True
    ).exclude(current_version__isnull=True)
    latest: dict[str, date] = {}
    for category, day in library_docs.values_list("category", "date").order_by():
        if category not in latest or day > latest[category]:
            latest[category] = day
    owners = list(
        Membership.objects.filter(
            residence=standing.residence,
            status="active",
            role__in=[Role.OWNER, Role.COUNCIL_MEMBER, Role.COUNCIL_PRESIDENT],
        ).values_list("user_id", flat=True)
    )
    per_owner_categories = [r.category for r in LEGAL_REQUIREMENTS if r.per_owner]
    covered: dict[str, set[int]] = {c: set() for c in per_owner_categories}
    for category, user_id, day in (
        library_docs.filter(category__in=per_owner_categories, members__isnull=False)
        .values_list("category", "members", "date")
        .order_by()
    ):
        requirement = next(r for r in LEGAL_REQUIREMENTS if r.category == category)
        if _is_current(requirement, day, today):
            covered[category].add(user_id)
    rows: dict[Scope, list[ChecklistRow]] = {scope: [] for scope in Scope}
    for requirement in LEGAL_REQUIREMENTS:
        day = latest.get(requirement.category)
        if requirement.per_owner:
            have = len(covered[requirement.category] & set(owners))
            row = ChecklistRow(
                requirement,
                day,
                bool(owners) and have == len(owners),
                owners_covered=have,
                owners_total=len(owners),
            )
        else:
            current = day is not None and _is_current(requirement, day, today)
            row = ChecklistRow(requirement, day, current)
        rows[requirement.scope].append(row)
    return rows


def _is_current(requirement: Requirement, day: date, today: date) -> bool:
    if requirement.max_age_days is None:
        return True
    return day >= today - timedelta(days=requirement.max_age_days)
