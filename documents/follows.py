"""Members who follow a category hear of new and updated documents in it.

A follow is one row per person, residence and category. Following a category never
widens what someone may open: `notify_followers` only reaches followers who may see
the document, by the same rules as the library (`readers_of`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.services import notify
from residents.access import Standing, active_memberships, members_in_audience
from residents.models import Category as NotificationCategory
from residents.models import Residence, SyndicEmployee, User

from .categories import LEGAL_REQUIREMENTS, Category, Scope
from .models import CategoryFollow, Document, Visibility

# --- Selectors -----------------------------------------------------------------------


def readers_of(document: Document) -> QuerySet:
    """Ids of the people who may open this library document today.

    The inverse of `selectors._visible` (which answers for one person): the syndic's
    staff open everything; "everyone", "owners" and "council" are the announcement
    audiences of `members_in_audience`; named documents reach the named people and
    whoever holds a named lot through an active membership. A test asserts both
    answers agree for every persona. Personal documents have no readers but their
    owner, and are never announced: the result is empty for them.
    """
    residence = document.residence
    if document.is_personal:
        return User.objects.none().values_list("pk", flat=True)
    if document.visibility != Visibility.NAMED:
        return members_in_audience(residence, document.visibility)
    named_users = Document.members.through.objects.filter(
        document_id=document.pk
    ).values("user_id")
    named_lots = Document.lots.through.objects.filter(document_id=document.pk).values(
        "lot_id"
    )
    members = (
        active_memberships()
        .filter(residence=residence)
        .filter(Q(user_id__in=named_users) | Q(lots__in=named_lots))
    )
    staff = SyndicEmployee.objects.filter(syndic_id=residence.syndic_id, is_active=True)
    return User.objects.filter(
        Q(pk__in=members.values("user_id")) | Q(pk__in=staff.values("user_id")),
        is_active=True,
    ).values_list("pk", flat=True)


def followers_to_notify(document: Document, *, uploader_id: int | None) -> list[int]:
    """Followers of the document's category who may see it, minus the uploader
    (one query)."""
    if document.is_personal:
        return []
    followers = CategoryFollow.objects.filter(
        residence_id=document.residence_id,
        category=document.category,
        user_id__in=readers_of(document),
    )
    if uploader_id is not None:
        followers = followers.exclude(user_id=uploader_id)
    return list(followers.values_list("user_id", flat=True).order_by("user_id"))


def followed_categories(standing: Standing) -> set[str]:
    return set(
        CategoryFollow.objects.filter(
            user=standing.user, residence=standing.residence
        ).values_list("category", flat=True)
    )


def followable_categories(standing: Standing) -> list[tuple[str, list[tuple]]]:
    """Categories this member may follow, grouped as the law lists them.

    The council's own documents (décret 2019-502, art. 3) are offered to the council
    and the syndic only. Each co-owner's documents (art. 2) stay on offer to
    everyone: a follower only ever hears of the ones named for them.
    """
    scopes = {r.category.value: r.scope for r in LEGAL_REQUIREMENTS}
    groups: list[tuple[str, list[tuple]]] = []
    for scope in Scope:
        if scope == Scope.COUNCIL and not (standing.is_council or standing.is_syndic):
            continue
        choices = [(c.value, c.label) for c in Category if scopes.get(c.value) == scope]
        groups.append((scope.label, choices))
    others = [(c.value, c.label) for c in Category if c.value not in scopes]
    groups.append((_("Other categories"), others))
    return groups


# --- Services ------------------------------------------------------------------------


def _check_categories(categories: Iterable[str]) -> set[str]:
    chosen = set(categories)
    unknown = chosen - set(Category.values)
    if unknown:
        raise ValidationError(
            _("Unknown category: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    return chosen


def category_follow(*, user: User, residence: Residence, category: str) -> None:
    """Follow one category (following it twice changes nothing)."""
    _check_categories([category])
    CategoryFollow.objects.get_or_create(
        user=user, residence=residence, category=category
    )


def category_unfollow(*, user: User, residence: Residence, category: str) -> int:
    deleted, _rows = CategoryFollow.objects.filter(
        user=user, residence=residence, category=category
    ).delete()
    return deleted


@transaction.atomic
def category_follows_set(
    *,
    user: User,
    residence: Residence,
    categories: Iterable[str],
    offered: Iterable[str] | None = None,
) -> set[str]:
    """Follow exactly `categories` among `offered` (default: every category);
    follows outside `offered` are left alone. Returns the categories now followed."""
    chosen = _check_categories(categories)
    scope = set(offered) if offered is not None else set(Category.values)
    chosen &= scope
    mine = CategoryFollow.objects.filter(user=user, residence=residence)
    mine.filter(category__in=scope - chosen).delete()
    CategoryFollow.objects.bulk_create(
        [
            CategoryFollow(user=user, residence=residence, category=category)
            for category in sorted(chosen)
        ],
        ignore_conflicts=True,  # already followed: the unique constraint keeps one
    )
    return set(mine.values_list("category", flat=True))


def notify_followers(*, document: Document, new: bool) -> None:
    """Notify the members following `document`'s category who may see it: a new
    document (`new`) or a new version of it. Never for a personal document, never
    to the person who uploaded it. Two queries at most, whatever the followers."""
    if document.is_personal:
        return
    version = document.current_version
    uploader_id = version.uploaded_by_id if version else document.created_by_id
    recipients = followers_to_notify(document, uploader_id=uploader_id)
    if not recipients:
        return
    # The English label travels with the event; each recipient's template
    # translates it into their own language.
    with translation.override(None):
        category = str(Category(document.category).label)
    notify(
        recipients=recipients,
        residence=document.residence,
        category=NotificationCategory.DOCUMENTS,
        template="document_added" if new else "document_updated",
        context={
            "residence": document.residence.name,
            "title": document.title,
            "category": category,
            "version": version.number if version else 1,
            "note": (version.note if version else "")[:300],
        },
        url=document.get_absolute_url(),
    )
