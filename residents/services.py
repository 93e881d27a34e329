"""Writes about residences and people: views, admin, tasks and commands call these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import (
    RESIDENT_ROLES,
    AllocationKey,
    Category,
    CommunicationPreference,
    Invitation,
    Lot,
    Membership,
    MembershipStatus,
    Residence,
    Role,
    Syndic,
    SyndicEmployee,
    User,
)

INVITATION_SALT = "copro.invitation"
GENERAL_KEY_CODE = "generales"


def _on_commit_task(task, *args) -> None:
    transaction.on_commit(lambda: task.delay(*args))


# --- Residences ---


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "residence"
    slug, n = base, 2
    while Residence.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def residence_create(
    *,
    name: str,
    address: str,
    postal_code: str = "",
    city: str = "",
    syndic: Syndic | None,
    lot_count: int = 0,
    president_email: str = "",
    created_by: User | None = None,
    slug: str = "",
) -> Residence:
    """Create a residence with its charges-générales key and lots numbered 1..N;
    invite the council president when an email is given."""
    residence = Residence(
        name=name,
        slug=slug or _unique_slug(name),
        address=address,
        postal_code=postal_code,
        city=city,
        syndic=syndic,
    )
    residence.full_clean()
    residence.save()
    AllocationKey.objects.create(
        residence=residence,
        code=GENERAL_KEY_CODE,
        name=_("Charges générales"),
        is_general=True,
    )
    for number in range(1, lot_count + 1):
        Lot.objects.create(residence=residence, number=number)
    if president_email:
        invitation_create(
            residence=residence,
            email=president_email,
            role=Role.COUNCIL_PRESIDENT,
            lots=[],
            invited_by=created_by,
        )
    return residence


@transaction.atomic
def residence_change_syndic(
    *, residence: Residence, syndic: Syndic | None
) -> Residence:
    """Hand the residence to another syndic. Its data stays; staff access follows."""
    residence = Residence.objects.select_for_update().get(pk=residence.pk)
    residence.syndic = syndic
    residence.save(update_fields=["syndic"])
    return residence


def employee_add(*, syndic: Syndic, user: User, role: str) -> SyndicEmployee:
    """Make `user` staff of `syndic`; staff use the back office (is_staff)."""
    employee, _created = SyndicEmployee.objects.update_or_create(
        syndic=syndic, user=user, defaults={"role": role, "is_active": True}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return employee


# --- Invitations ---


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link points to, or ValidationError with a message to show."""
    try:
        pk = signing.loads(
            token, salt=INVITATION_SALT, max_age=settings.COPRO_INVITATION_MAX_AGE
        )
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This invitation has expired.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This invitation link is not valid.")) from exc
    invitation = Invitation.objects.select_related("residence").filter(pk=pk).first()
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    return invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why the invitation can no longer be accepted, or None if it can."""
    if invitation.revoked_at:
        return _("This invitation was withdrawn.")
    if invitation.accepted_at:
        return _("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        return _("This invitation has expired.")
    return None


@transaction.atomic
def invitation_create(
    *,
    residence: Residence,
    email: str,
    role: str,
    lots: Iterable[Lot],
    invited_by: User | None,
) -> Invitation:
    if role not in RESIDENT_ROLES:
        raise ValidationError(_("This role cannot be given by invitation."))
    lots = list(lots)
    if any(lot.residence_id != residence.pk for lot in lots):
        raise ValidationError(_("These lots are not in this residence."))
    invitation = Invitation.objects.create(
        residence=residence,
        email=User.objects.normalize_email(email).lower(),
        role=role,
        invited_by=invited_by,
        expires_at=timezone.now()
        + timedelta(seconds=settings.COPRO_INVITATION_MAX_AGE),
    )
    invitation.lots.set(lots)
    from .tasks import send_invitation_email

    _on_commit_task(send_invitation_email, invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Attach the invited membership to `user`, whose verified email must match."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    problem = invitation_problem(invitation)
    if problem:
        raise ValidationError(problem)
    if not user.emailaddress_set.filter(
        email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            _("This invitation was sent to %(email)s: sign in with that address.")
            % {"email": invitation.email}
        )
    membership, _created = Membership.objects.select_for_update().get_or_create(
        user=user, residence_id=invitation.residence_id
    )
    if membership.status == MembershipStatus.BLOCKED:
        raise ValidationError(_("Your access to this residence is blocked."))
    membership.role = invitation.role
    membership.status = MembershipStatus.ACTIVE
    membership.since = membership.since or timezone.localdate()
    membership.until = None
    membership.decided_by = invitation.invited_by
    membership.decided_at = timezone.now()
    _save_membership(membership)
    membership.lots.add(*invitation.lots.all())
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _save_membership(membership: Membership) -> None:
    membership.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        if "one_active_council_president" in str(exc):
            raise ValidationError(
                _("This residence already has a council president.")
            ) from exc
        raise


# --- Join requests and membership decisions ---


@transaction.atomic
def join_request_create(
    *, user: User, join_code: str, role: str, message: str = ""
) -> Membership:
    """A signed-in person asks to join the residence whose code they were given."""
    residence = Residence.objects.filter(join_code=join_code.strip().upper()).first()
    if residence is None:
        raise ValidationError(
            _("No residence has this code. Check it with your syndic.")
        )
    if role not in (Role.OWNER, Role.TENANT):
        raise ValidationError(_("Choose co-owner or tenant."))
    membership, created = Membership.objects.get_or_create(
        user=user,
        residence=residence,
        defaults={"role": role, "message": message},
    )
    if not created:
        if membership.status == MembershipStatus.ACTIVE:
            raise ValidationError(_("You are already a member of this residence."))
        if membership.status == MembershipStatus.PENDING:
            raise ValidationError(_("Your request to join is already waiting."))
        if membership.status == MembershipStatus.BLOCKED:
            raise ValidationError(_("Your access to this residence is blocked."))
        membership.status = MembershipStatus.PENDING
        membership.role = role
        membership.message = message
        membership.created_at = timezone.now()
        membership.save()
    return membership


def _lock(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().get(pk=membership.pk)


def _check_lots(membership: Membership, lots: Iterable[Lot]) -> list[Lot]:
    lots = list(lots)
    if any(lot.residence_id != membership.residence_id for lot in lots):
        raise ValidationError(_("These lots are not in this residence."))
    return lots


@transaction.atomic
def membership_accept(
    *, membership: Membership, role: str, lots: Iterable[Lot], decided_by: User
) -> Membership:
    membership = _lock(membership)
    if membership.status != MembershipStatus.PENDING:
        raise ValidationError(_("This request has already been handled."))
    lots = _check_lots(membership, lots)
    membership.role = role
    membership.status = MembershipStatus.ACTIVE
    membership.since = timezone.localdate()
    membership.decided_by = decided_by
    membership.decided_at = timezone.now()
    _save_membership(membership)
    membership.lots.set(lots)
    from notifications.services import notify

    notify(
        recipients=[membership.user_id],
        residence=membership.residence,
        category=Category.MEMBERSHIP,
        template="membership_accepted",
        context={"residence": membership.residence.name, "role": membership.role},
        url=membership.residence.get_absolute_url(),
    )
    return membership


@transaction.atomic
def membership_block(*, membership: Membership, decided_by: User) -> Membership:
    """Block a request or a member: access ends at their next request."""
    membership = _lock(membership)
    membership.status = MembershipStatus.BLOCKED
    membership.decided_by = decided_by
    membership.decided_at = timezone.now()
    membership.save()
    return membership


@transaction.atomic
def membership_change(
    *, membership: Membership, role: str, lots: Iterable[Lot], decided_by: User
) -> Membership:
    membership = _lock(membership)
    lots = _check_lots(membership, lots)
    membership.role = role
    membership.decided_by = decided_by
    membership.decided_at = timezone.now()
    _save_membership(membership)
    membership.lots.set(lots)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, decided_by: User) -> Membership:
    """The person left the residence: access ends, history and lots' past stay."""
    membership = _lock(membership)
    membership.status = MembershipStatus.LEFT
    membership.until = timezone.localdate()
    membership.decided_by = decided_by
    membership.decided_at = timezone.now()
    membership.save()
    return membership


# --- Profile ---


def profile_update(
    *, user: User, first_name: str, last_name: str, language: str
) -> User:
    user.first_name = first_name
    user.last_name = last_name
    user.language = language
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=["first_name", "last_name", "language"])
    return user


@transaction.atomic
def preferences_update(
    *, user: User, choices: dict[str, dict[str, bool]], email_digest: bool = False
) -> None:
    """`choices` maps a category to {"email": bool, "sms": bool, "in_app": bool};
    `email_digest` gathers the emails into one a day."""
    if user.email_digest != email_digest:
        user.email_digest = email_digest
        user.save(update_fields=["email_digest"])
    for category, channels in choices.items():
        Category(category)  # refuses unknown categories
        CommunicationPreference.objects.update_or_create(
            user=user, category=category, defaults=channels
        )
