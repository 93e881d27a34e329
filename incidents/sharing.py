"""Others in the loop: a co-owner's delegations, the council's relay of a request to
the syndic, and requests for quotes sent to the residence's providers.

Delegations on chosen incidents or requests are django-guardian object permissions
(`incidents.follow_ticket`), granted and withdrawn here with the delegation's life, and
read back through the access policy (`Standing.can(Perm.FOLLOW_TICKET, ticket)`).
A delegate who is not a member of the residence stands there as a delegate while a
delegation is active (residents.access): the incidents pages, the delegated tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial

from allauth.account.models import EmailAddress
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from copro.lib.emails import send_templated_email
from directory.models import Contact, ContactKind
from residents import access
from residents.access import Perm, Standing, active_memberships
from residents.models import Residence, User

from .models import Comment, Delegation, Kind, QuoteRequest, Ticket
from .services import handlers, notify_ticket

FOLLOW = "incidents.follow_ticket"


# --- Delegations -----------------------------------------------------------------


def active_delegations() -> QuerySet[Delegation]:
    """The policy's definition (residents.access): one rule for pages and lists."""
    return access.active_delegations()


def _verified_account(email: str) -> User | None:
    """The active account that verified `email`, if any."""
    address = (
        EmailAddress.objects.filter(
            email__iexact=email, verified=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    return address.user if address else None


@transaction.atomic
def delegation_create(
    *,
    standing: Standing,
    until: date,
    delegate: User | None = None,
    email: str = "",
    all_tickets: bool = True,
    tickets: Sequence[Ticket] = (),
) -> Delegation:
    """A co-owner lets someone follow and comment on their incidents and requests:
    `delegate`, a member of the residence (a tenant, a co-owner), or whoever owns
    `email` (a relative, a proxy, inside the residence or not).

    By email, the delegation goes at once to the active account that verified that
    address; otherwise it waits for one (`delegations_attach`). Either way the
    address gets the same invitation and the co-owner sees the same thing, so
    nobody learns whether an address has an account here."""
    owner = standing.user
    if not standing.is_owner:
        raise ValidationError(_("Only a co-owner can delegate."))
    email = User.objects.normalize_email(email.strip()).lower()
    if (delegate is None) == (not email):
        raise ValidationError(_("Choose a member or type an email address."))
    if email:
        delegate = _verified_account(email)
    if delegate is not None and delegate.pk == owner.pk:
        raise ValidationError(_("Choose someone else than yourself."))
    if (
        not email
        and not active_memberships()
        .filter(residence=standing.residence, user=delegate)
        .exists()
    ):
        raise ValidationError(_("This person is not a member of the residence."))
    if until < timezone.localdate():
        raise ValidationError({"until": _("The end date is already past.")})
    tickets = list(tickets)
    if not all_tickets and not tickets:
        raise ValidationError(_("Choose at least one incident or request."))
    if any(
        t.reporter_id != owner.pk or t.residence_id != standing.residence.pk
        for t in tickets
    ):
        raise ValidationError(
            _("You can only delegate your own incidents and requests.")
        )
    delegation = Delegation.objects.create(
        residence=standing.residence,
        owner=owner,
        delegate=delegate,
        invited_email=email,
        all_tickets=all_tickets,
        until=until,
    )
    if not all_tickets:
        delegation.tickets.set(tickets)
        _grant(delegation)
    if email:
        from .tasks import send_delegation_invitation

        transaction.on_commit(partial(send_delegation_invitation.delay, delegation.pk))
    return delegation


def _grant(delegation: Delegation) -> None:
    if delegation.delegate_id is None or delegation.all_tickets:
        return
    for ticket in delegation.tickets.all():
        assign_perm(FOLLOW, delegation.delegate, ticket)


def delegation_invitation_send(delegation_id: int) -> None:
    """Email the named address: who delegates what, and how to get in (the same
    text whether or not the address has an account)."""
    delegation = (
        Delegation.objects.select_related("owner", "residence", "delegate")
        .filter(pk=delegation_id, revoked_at__isnull=True)
        .first()
    )
    if delegation is None:
        return
    language = getattr(delegation.delegate, "language", None) or None
    send_templated_email(
        "delegation_invitation",
        to=[delegation.invited_email],
        language=language,
        context={
            "delegation": delegation,
            "owner": delegation.owner,
            "residence": delegation.residence,
            "login_path": reverse("account_login"),
            "signup_path": reverse("account_signup"),
        },
    )


@transaction.atomic
def delegations_attach(*, user: User, email: str) -> list[Delegation]:
    """`user` has just verified `email`: the delegations waiting for that address
    (still active) become theirs, with the object permissions of chosen tickets."""
    if not user.is_active:
        return []
    pending = list(
        active_delegations()
        .filter(delegate__isnull=True, invited_email__iexact=email.strip())
        .exclude(owner=user)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for delegation in pending:
        delegation.delegate = user
        delegation.save(update_fields=["delegate"])
        _grant(delegation)
    return pending


@transaction.atomic
def delegation_revoke(*, delegation: Delegation) -> Delegation:
    """The delegate loses access at once (their object permissions go too)."""
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])
    _withdraw(delegation)
    return delegation


def _withdraw(delegation: Delegation) -> None:
    if delegation.delegate_id is None:
        return  # still pending: nothing was granted
    still_granted = set(
        active_delegations()
        .filter(delegate=delegation.delegate_id, all_tickets=False)
        .exclude(pk=delegation.pk)
        .values_list("tickets", flat=True)
    )
    for ticket in delegation.tickets.all():
        if ticket.pk not in still_granted:
            remove_perm(FOLLOW, delegation.delegate, ticket)


def expire_delegations() -> int:
    """Cron, daily: withdraw the object permissions of delegations past their end."""
    expired = (
        Delegation.objects.filter(
            revoked_at__isnull=True,
            until__lt=timezone.localdate(),
            all_tickets=False,
            delegate__isnull=False,
        )
        .select_related("delegate")
        .prefetch_related("tickets")
    )
    count = 0
    for delegation in expired:
        _withdraw(delegation)
        count += 1
    return count


def delegated_q(user: User, residence: Residence) -> Q:
    """Tickets `user` may follow as someone's delegate in `residence`: all of a
    co-owner's (an active "all" delegation), or chosen ones (guardian permission of
    an active delegation)."""
    mine = active_delegations().filter(delegate=user, residence=residence)
    owners = mine.filter(all_tickets=True)
    chosen = mine.filter(all_tickets=False)
    granted = (
        UserObjectPermission.objects.filter(
            user=user,
            permission__codename="follow_ticket",
            content_type=ContentType.objects.get_for_model(Ticket),
        )
        .annotate(ticket_id=Cast("object_pk", BigIntegerField()))
        .values("ticket_id")
    )
    return Q(residence=residence) & (
        Q(reporter__in=owners.values("owner_id"))
        | (Q(pk__in=granted) & Q(pk__in=chosen.values("tickets")))
    )


def delegates_of(ticket: Ticket) -> set[int]:
    """Who follows `ticket` on its reporter's behalf (for notifications)."""
    if ticket.reporter_id is None:
        return set()
    delegations = (
        active_delegations()
        .filter(
            owner_id=ticket.reporter_id,
            residence_id=ticket.residence_id,
            delegate__isnull=False,
        )
        .filter(Q(all_tickets=True) | Q(tickets=ticket))
    )
    return set(delegations.values_list("delegate_id", flat=True))


def may_follow_as_delegate(standing: Standing, ticket: Ticket) -> bool:
    """Through the policy: guardian's grant on the ticket, or an "all" delegation."""
    mine = active_delegations().filter(
        delegate=standing.user, residence=standing.residence
    )
    if standing.can(Perm.FOLLOW_TICKET, ticket):
        return mine.filter(tickets=ticket).exists()
    return mine.filter(owner_id=ticket.reporter_id, all_tickets=True).exists()


def delegations_of(standing: Standing) -> dict:
    mine = Delegation.objects.filter(residence=standing.residence)
    return {
        "given": list(
            mine.filter(owner=standing.user)
            .select_related("delegate")
            .prefetch_related("tickets")
        ),
        "received": list(
            active_delegations()
            .filter(residence=standing.residence, delegate=standing.user)
            .select_related("owner")
        ),
    }


def delegable_people(residence: Residence, owner: User) -> QuerySet[User]:
    return (
        User.objects.filter(
            pk__in=active_memberships().filter(residence=residence).values("user_id")
        )
        .exclude(pk=owner.pk)
        .order_by("last_name", "first_name", "email")
    )


# --- The council relays a request ---------------------------------------------------


@transaction.atomic
def ticket_relay(*, ticket: Ticket, by: User, comment: str) -> Ticket:
    """The council passes a resident's request on to the syndic with its own word."""
    ticket = (
        Ticket.objects.select_for_update().select_related("residence").get(pk=ticket.pk)
    )
    if ticket.kind != Kind.REQUEST or ticket.private:
        raise ValidationError(_("Only a request the council may see can be relayed."))
    if ticket.relayed_at is not None:
        raise ValidationError(_("This request was already relayed."))
    if not comment.strip():
        raise ValidationError({"comment": _("Say in a few words why it matters.")})
    ticket.relayed_at = timezone.now()
    ticket.relayed_by = by
    ticket.relay_comment = comment
    ticket.save(update_fields=["relayed_at", "relayed_by", "relay_comment"])
    Comment.objects.create(
        ticket=ticket,
        author=by,
        body=_("Relayed to the syndic by the council: %(comment)s")
        % {"comment": comment},
    )
    staff = handlers(ticket)
    followers = {ticket.reporter_id} if ticket.reporter_id else set()
    notify_ticket(
        ticket, (staff | followers) - {by.pk}, "ticket_relayed", comment=comment
    )
    return ticket


# --- Requests for quotes (private works) -----------------------------------------


def providers_of(residence: Residence) -> QuerySet[Contact]:
    return Contact.objects.filter(
        residence=residence, kind=ContactKind.PROVIDER
    ).order_by("name")


@transaction.atomic
def quotes_request(
    *, ticket: Ticket, by: User, providers: Sequence[Contact]
) -> list[QuoteRequest]:
    """The resident asks the residence's providers for a quote on works in their
    lot; each provider with an email gets the request by email."""
    if ticket.kind != Kind.REQUEST or ticket.reporter_id != by.pk:
        raise ValidationError(_("Only the author of a request can ask for quotes."))
    allowed = set(providers_of(ticket.residence).values_list("pk", flat=True))
    if not providers or any(p.pk not in allowed for p in providers):
        raise ValidationError(_("Choose providers of this residence."))
    created = []
    for provider in providers:
        quote, new = QuoteRequest.objects.get_or_create(
            ticket=ticket, provider=provider
        )
        if new:
            created.append(quote)
    if created:
        from .tasks import send_quote_request

        ids = [q.pk for q in created]
        transaction.on_commit(lambda: [send_quote_request.delay(i) for i in ids])
    return created


@transaction.atomic
def quote_answer(*, quote: QuoteRequest, by: User, upload) -> QuoteRequest:
    """The syndic files the provider's quote: a document only the requester (and the
    syndic) may open, linked on the request; the requester is notified."""
    from documents.categories import Category as DocumentCategory
    from documents.models import Visibility
    from documents.services import documents_upload

    ticket = quote.ticket
    document = documents_upload(
        residence=ticket.residence,
        by=by,
        uploads=[upload],
        title=_("Quote from %(provider)s — %(title)s")
        % {"provider": quote.provider.name, "title": ticket.title},
        category=DocumentCategory.QUOTES,
        visibility=Visibility.NAMED,
        members=[ticket.reporter] if ticket.reporter else [],
    )[0]
    quote.quote = document
    quote.answered_at = timezone.now()
    quote.save(update_fields=["quote", "answered_at"])
    if ticket.reporter_id:
        notify_ticket(
            ticket,
            {ticket.reporter_id} - {by.pk},
            "ticket_quote",
            provider=quote.provider.name,
        )
    return quote
