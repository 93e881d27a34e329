"""The access policy: who may do what in which residence.

Every view, template and back-office screen asks this module, and only this module:
- `standing(user, residence_slug)` resolves a user's role in a residence in one query;
- `Standing.can(perm)` answers "may they do X here?";
- `residences_where(user, perm)` answers "in which residences may they do X?" from the
  same table, so the check and the list filter cannot drift apart;
- `access_residence()` is what views call: 404 to strangers, 403 to a wrong role.

Object-level grants (e.g. a delegation on one incident) go through django-guardian:
`Standing.can(perm, obj)` also accepts a guardian permission held on `obj`.

A co-owner's delegate who is not a member of the residence (a relative, a proxy)
stands there as `PseudoRole.DELEGATE` while one of their delegations is active: that
pseudo-role holds `Perm.VIEW_TICKETS` alone, so every page but the incidents pages
answers 403, and `incidents.selectors.tickets_for` shows them the delegated tickets
only. The delegation ending (revoked, past its end, its giver no longer a co-owner)
ends the standing: the residence is a 404 again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.core import ObjectPermissionChecker

from .models import (
    Membership,
    MembershipStatus,
    Residence,
    Role,
    SyndicEmployee,
)


class Perm(StrEnum):
    VIEW_RESIDENCE = "view_residence"
    VIEW_MEMBER_LIST = "view_member_list"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_RESIDENCE = "manage_residence"
    PUBLISH_NEWS = "publish_news"
    MANAGE_CALENDAR = "manage_calendar"
    MANAGE_DIRECTORY = "manage_directory"
    MANAGE_WORKS = "manage_works"
    MANAGE_ALBUMS = "manage_albums"
    MANAGE_DOCUMENTS = "manage_documents"
    # Open the incidents pages; which tickets, `incidents.selectors.tickets_for` says.
    VIEW_TICKETS = "view_tickets"
    FOLLOW_TICKETS = "follow_tickets"
    HANDLE_TICKETS = "handle_tickets"
    MANAGE_FINANCE = "manage_finance"
    # Object-level only (django-guardian, on one incident or request): a delegate's.
    FOLLOW_TICKET = "follow_ticket"


class PseudoRole(models.TextChoices):
    """Standing-only roles: no Membership or SyndicEmployee ever holds them."""

    DELEGATE = "delegate", _("Delegate")


_COUNCIL = {
    Perm.VIEW_RESIDENCE,
    Perm.VIEW_TICKETS,
    Perm.VIEW_MEMBER_LIST,
    Perm.MANAGE_MEMBERS,
    Perm.PUBLISH_NEWS,
    Perm.MANAGE_CALENDAR,
    Perm.MANAGE_DIRECTORY,
    Perm.MANAGE_WORKS,
    Perm.MANAGE_ALBUMS,
    Perm.MANAGE_DOCUMENTS,
    Perm.FOLLOW_TICKETS,
}
_SYNDIC = _COUNCIL | {Perm.MANAGE_RESIDENCE, Perm.HANDLE_TICKETS, Perm.MANAGE_FINANCE}

ROLE_PERMS: dict[Role | PseudoRole, frozenset[Perm]] = {
    Role.OWNER: frozenset({Perm.VIEW_RESIDENCE, Perm.VIEW_TICKETS}),
    Role.TENANT: frozenset({Perm.VIEW_RESIDENCE, Perm.VIEW_TICKETS}),
    Role.COUNCIL_MEMBER: frozenset(_COUNCIL),
    Role.COUNCIL_PRESIDENT: frozenset(_COUNCIL),
    Role.SYNDIC_STAFF: frozenset(_SYNDIC),
    Role.SYNDIC_MANAGER: frozenset(_SYNDIC),
    # Not a member: the incidents pages, and there only what was delegated.
    PseudoRole.DELEGATE: frozenset({Perm.VIEW_TICKETS}),
}

_FRONT_OFFICE = frozenset({Perm.VIEW_RESIDENCE, Perm.VIEW_TICKETS})
SYNDIC_ROLES = frozenset({Role.SYNDIC_MANAGER, Role.SYNDIC_STAFF})
COUNCIL_ROLES = frozenset({Role.COUNCIL_MEMBER, Role.COUNCIL_PRESIDENT})


def roles_with(perm: Perm) -> list[str]:
    """The membership and syndic roles holding `perm` (pseudo-roles excluded)."""
    return [
        role.value
        for role, perms in ROLE_PERMS.items()
        if perm in perms and isinstance(role, Role)
    ]


@dataclass(frozen=True)
class Standing:
    """A user's standing in one residence, resolved once per request."""

    user: object
    residence: Residence
    role: Role | PseudoRole
    membership_id: int | None

    def can(self, perm: Perm, obj: object | None = None) -> bool:
        if perm in ROLE_PERMS[self.role]:
            return True
        if obj is not None:
            return ObjectPermissionChecker(self.user).has_perm(perm.value, obj)
        return False

    def require(self, perm: Perm, obj: object | None = None) -> None:
        if not self.can(perm, obj):
            raise PermissionDenied

    @property
    def is_syndic(self) -> bool:
        return self.role in SYNDIC_ROLES

    @property
    def is_council(self) -> bool:
        return self.role in COUNCIL_ROLES

    @property
    def is_delegate(self) -> bool:
        """Here only as someone's delegate: not a member, not the syndic."""
        return self.role == PseudoRole.DELEGATE

    def assignable_roles(self) -> list[Role]:
        """Roles this person may give: the council admits owners and tenants; council
        roles come from the AG's vote, which the syndic records."""
        if self.can(Perm.MANAGE_RESIDENCE):
            return [Role.OWNER, Role.TENANT, *sorted(COUNCIL_ROLES)]
        if self.can(Perm.MANAGE_MEMBERS):
            return [Role.OWNER, Role.TENANT]
        return []

    def audiences(self) -> list[str]:
        """Which announcement audiences this person belongs to."""
        if self.is_delegate:
            return []
        audiences = ["everyone"]
        if self.is_owner or self.is_syndic:
            audiences.append("owners")
        if self.is_council or self.is_syndic:
            audiences.append("council")
        return audiences

    def may_decide_on(self, role: str) -> bool:
        return role in self.assignable_roles()

    @property
    def is_owner(self) -> bool:
        """Co-owners are members of the syndicat (council members are co-owners too)."""
        return self.role in {Role.OWNER, *COUNCIL_ROLES}


def _active_membership_q(prefix: str = "") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}status": MembershipStatus.ACTIVE}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": today})
    )


def active_memberships() -> QuerySet[Membership]:
    """Memberships that grant access today."""
    return Membership.objects.filter(_active_membership_q())


def active_delegations() -> QuerySet:
    """Delegations (incidents.Delegation) that grant something today: not revoked,
    not past their end, given by someone who is still a co-owner there, to someone
    the residence has not blocked. A pending one (no delegate yet) grants nothing
    until an account takes it up."""
    # Looked up by name: the policy sits below the apps that it governs.
    delegation = apps.get_model("incidents", "Delegation")
    owner_still_here = active_memberships().filter(
        residence=OuterRef("residence"),
        user=OuterRef("owner"),
        role__in=[Role.OWNER, *COUNCIL_ROLES],
    )
    # A member the residence blocked gets nothing back through a delegation.
    delegate_blocked = Membership.objects.filter(
        residence=OuterRef("residence"),
        user=OuterRef("delegate"),
        status=MembershipStatus.BLOCKED,
    )
    return delegation.objects.filter(
        Exists(owner_still_here),
        ~Exists(delegate_blocked),
        revoked_at__isnull=True,
        until__gte=timezone.localdate(),
    )


def standing(user, residence_slug: str) -> Standing | None:
    """The user's standing in the residence, or None if they have none (one query)."""
    if isinstance(user, AnonymousUser) or not user.is_active:
        return None
    membership = active_memberships().filter(residence=OuterRef("pk"), user=user)
    employment = SyndicEmployee.objects.filter(
        syndic=OuterRef("syndic_id"), user=user, is_active=True
    )
    delegation = active_delegations().filter(residence=OuterRef("pk"), delegate=user)
    residence = (
        Residence.objects.select_related("syndic")
        .annotate(
            member_role=Subquery(membership.values("role")[:1]),
            membership_id=Subquery(membership.values("pk")[:1]),
            staff_role=Subquery(employment.values("role")[:1]),
            delegated=Exists(delegation),
        )
        .filter(slug=residence_slug)
        .first()
    )
    if residence is None:
        return None
    # Syndic staff act as the syndic even if they also own a lot here.
    role = residence.staff_role or residence.member_role
    if role is not None:
        role = Role(role)
    elif residence.delegated:
        role = PseudoRole.DELEGATE
    else:
        return None
    return Standing(
        user=user,
        residence=residence,
        role=role,
        membership_id=residence.membership_id,
    )


def access_residence(user, residence_slug: str, perm: Perm = Perm.VIEW_RESIDENCE):
    """What residence views call: 404 for strangers, 403 for a role without `perm`."""
    found = standing(user, residence_slug)
    if found is None:
        raise Http404
    found.require(perm)
    return found


def residences_where(user, perm: Perm = Perm.VIEW_RESIDENCE) -> QuerySet[Residence]:
    """Residences in which `user` holds `perm` through their role.

    Platform admins (superusers) hold every permission everywhere in the back office
    (not the front office's: opening a residence or its incidents pages). Delegates
    from outside hold what their pseudo-role holds where a delegation is active.
    """
    if isinstance(user, AnonymousUser) or not user.is_active:
        return Residence.objects.none()
    if user.is_superuser and perm not in _FRONT_OFFICE:
        return Residence.objects.all()
    roles = roles_with(perm)
    member_q = Q(
        pk__in=active_memberships()
        .filter(user=user, role__in=roles)
        .values("residence_id")
    )
    staff_q = Q(
        syndic__in=SyndicEmployee.objects.filter(
            user=user, is_active=True, role__in=roles
        ).values("syndic_id")
    )
    found = member_q | staff_q
    if perm in ROLE_PERMS[PseudoRole.DELEGATE]:
        found |= Q(
            pk__in=active_delegations().filter(delegate=user).values("residence_id")
        )
    return Residence.objects.filter(found)


def members_in_audience(residence: Residence, audience: str) -> QuerySet:
    """User ids of the people an announcement for `audience` reaches: members by role
    and the current syndic's staff (who see everything)."""
    from .models import User

    roles = {
        "everyone": [role for role in ROLE_PERMS if isinstance(role, Role)],
        "owners": [Role.OWNER, *COUNCIL_ROLES],
        "council": list(COUNCIL_ROLES),
    }[audience]
    members = active_memberships().filter(residence=residence, role__in=roles)
    staff = SyndicEmployee.objects.filter(syndic_id=residence.syndic_id, is_active=True)
    return User.objects.filter(
        Q(pk__in=members.values("user_id")) | Q(pk__in=staff.values("user_id")),
        is_active=True,
    ).values_list("pk", flat=True)


def is_syndic_staff(user) -> bool:
    return SyndicEmployee.objects.filter(user=user, is_active=True).exists()
