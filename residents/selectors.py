"""Reads about residences and people, always scoped through the access policy."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.urls import reverse

from .access import Perm, Standing, active_memberships, residences_where
from .models import (
    Category,
    CommunicationPreference,
    Lot,
    LotShare,
    Membership,
    MembershipStatus,
    Residence,
    Syndic,
)


def switcher_residences(user) -> QuerySet[Residence]:
    """The residences a person can open, for the switcher (one query); `is_member`
    is False where they are only someone's delegate (their door is the incidents
    they follow, not the dashboard)."""
    members = residences_where(user, Perm.VIEW_RESIDENCE).values("pk")
    return (
        residences_where(user, Perm.VIEW_TICKETS)
        .annotate(
            is_member=ExpressionWrapper(Q(pk__in=members), output_field=BooleanField())
        )
        .only("name", "slug")
        .order_by("name")
    )


def entry_url(residence: Residence) -> str:
    """Where a person lands in a residence from the switcher's list."""
    if getattr(residence, "is_member", True):
        return residence.get_absolute_url()
    return reverse("incidents:list", args=[residence.slug])


def lots_with_shares() -> Prefetch:
    return Prefetch(
        "lots",
        queryset=Lot.objects.order_by("number").prefetch_related(
            Prefetch("shares", queryset=LotShare.objects.select_related("key"))
        ),
    )


def my_membership(standing: Standing) -> Membership | None:
    """The member's own membership with their lots and tantièmes (three queries)."""
    if standing.membership_id is None:
        return None
    return (
        Membership.objects.prefetch_related(lots_with_shares())
        .filter(pk=standing.membership_id)
        .first()
    )


def residence_summary(residence: Residence) -> dict:
    """Counts shown on the dashboard (one query each)."""
    return {
        "lot_count": residence.lots.count(),
        "member_count": active_memberships().filter(residence=residence).count(),
        "general_units": LotShare.objects.filter(
            key__residence=residence, key__is_general=True
        ).aggregate(total=Sum("units"))["total"]
        or 0,
    }


def pending_requests(residence: Residence) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(residence=residence, status=MembershipStatus.PENDING)
        .select_related("user")
        .order_by("created_at")
    )


def residence_members(residence: Residence) -> QuerySet[Membership]:
    """Members of a residence with their lots, for the council/syndic list."""
    return (
        Membership.objects.filter(residence=residence)
        .exclude(status=MembershipStatus.PENDING)
        .select_related("user")
        .prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number")))
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def residence_lots(residence: Residence) -> QuerySet[Lot]:
    return residence.lots.order_by("number")


def membership_in(residence: Residence, membership_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("user")
        .filter(residence=residence, pk=membership_id)
        .first()
    )


def pending_count_by_residence(residences: QuerySet[Residence]) -> QuerySet[Residence]:
    return residences.annotate(
        pending=Count(
            "memberships", filter=Q(memberships__status=MembershipStatus.PENDING)
        )
    ).order_by("name")


def preference_table(user) -> list[dict]:
    """Every category with the person's channels (defaults where no row exists)."""
    rows = {p.category: p for p in CommunicationPreference.objects.filter(user=user)}
    table = []
    for category in Category:
        row = rows.get(category.value)
        table.append(
            {
                "category": category,
                "email": row.email if row else True,
                "sms": row.sms if row else False,
                "in_app": row.in_app if row else True,
            }
        )
    return table


def syndics_managed_by(user) -> QuerySet[Syndic]:
    """Syndics for which `user` may create residences: their staff (or admins)."""
    if user.is_superuser:
        return Syndic.objects.all()
    return Syndic.objects.filter(employees__user=user, employees__is_active=True)
