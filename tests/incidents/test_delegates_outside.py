"""Delegation to someone outside the residence (a relative, a proxy): named by email,
invited, taken up when an account verifies that address, and then a delegate's
standing that opens the delegated tickets and nothing else of the residence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from guardian.shortcuts import get_perms

from incidents import services, sharing
from incidents.models import Comment, Delegation, Kind, Ticket
from residents.access import Perm, PseudoRole, residences_where, standing
from residents.models import Membership, MembershipStatus, Role
from residents.selectors import switcher_residences

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_member, make_user
from .test_tickets import declare, jpeg

pytestmark = pytest.mark.django_db

COUSIN = "cousin@example.org"
PASSWORD = "A-long-new-pass-2026"  # noqa: S105


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _until(days=30):
    return timezone.localdate() + timedelta(days=days)


def delegate_by_email(world, email=COUSIN, owner="owner", **kw):
    return sharing.delegation_create(
        standing=standing(world.user(owner), world.home.slug),
        email=email,
        until=kw.pop("until", _until()),
        **kw,
    )


@pytest.fixture
def cousin(db):
    """Someone with an account but no place in any residence."""
    return make_user(COUSIN, language="en")


def _status(client, url, method="get", data=None) -> int:
    return getattr(client, method)(url, data or {}).status_code


# --- The invitation -----------------------------------------------------------------


def test_invitation_end_to_end(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    """The co-owner names an unknown address for one request; the address gets an
    invitation; signing up with it and confirming it hands over that request only."""
    chosen = declare(world, persona="owner", kind=Kind.REQUEST, title="Mes charges")
    other = declare(world, persona="owner", kind=Kind.REQUEST, title="Autre demande")
    login(client, world.user("owner"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incidents:delegations", args=[world.home.slug]),
            {
                "email": " Cousin@Example.org ",
                "tickets": [chosen.pk],
                "until": _until(),
            },
        )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.delegate is None and delegation.invited_email == COUSIN
    [invitation] = mailoutbox
    assert invitation.to == [COUSIN]
    assert reverse("account_signup") in invitation.body
    assert world.home.name in invitation.subject + invitation.body

    # The cousin signs up with that address: nothing until it is confirmed.
    client.logout()
    client.post(
        reverse("account_signup"),
        {"email": COUSIN, "password1": PASSWORD, "password2": PASSWORD},
    )
    delegation.refresh_from_db()
    assert delegation.delegate is None
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body)
    client.post(link.group(0))

    delegation.refresh_from_db()
    cousin = delegation.delegate
    assert cousin is not None and cousin.email == COUSIN
    assert get_perms(cousin, chosen) == ["follow_ticket"]
    assert get_perms(cousin, other) == []
    # Signed in by the confirmation, sent to what they follow.
    home = client.get(reverse("home"))
    assert home.url == reverse("incidents:list", args=[world.home.slug])
    page = client.get(home.url)
    assert [t.pk for t in page.context["page"]] == [chosen.pk]
    assert client.get(other.get_absolute_url()).status_code == 404


def test_an_unconfirmed_signup_takes_nothing(world, client):
    """Someone signing up with the address without proving it gets nothing."""
    delegation = delegate_by_email(world)
    client.post(
        reverse("account_signup"),
        {"email": COUSIN, "password1": PASSWORD, "password2": PASSWORD},
    )
    delegation.refresh_from_db()
    assert delegation.delegate is None
    assert not EmailAddress.objects.filter(email=COUSIN, verified=True).exists()


def test_an_address_added_and_confirmed_later_takes_it_up(world):
    """A person already on Copro under another address confirms the named one."""
    person = make_user("someone@example.org")
    delegation = delegate_by_email(world)
    from allauth.account.signals import email_confirmed

    # What allauth's confirmation does: mark the address verified, then tell.
    address = EmailAddress.objects.create(user=person, email=COUSIN, verified=True)
    email_confirmed.send(sender=None, request=None, email_address=address)
    delegation.refresh_from_db()
    assert delegation.delegate == person


def test_revoked_or_ended_invitations_are_not_taken_up(world):
    revoked = delegate_by_email(world)
    sharing.delegation_revoke(delegation=revoked)
    ended = delegate_by_email(world, until=_until(1))
    Delegation.objects.filter(pk=ended.pk).update(until=_until(-1))
    person = make_user(COUSIN)
    assert sharing.delegations_attach(user=person, email=COUSIN) == []
    assert not Delegation.objects.filter(delegate=person).exists()


def test_a_known_address_is_delegated_at_once_and_looks_the_same(
    world, client, cousin, mailoutbox, django_capture_on_commit_callbacks
):
    """No enumeration: a known and an unknown address get the same answer, the same
    row on the page and the same invitation; only the known one works at once."""
    cousin.language = "fr"
    cousin.save(update_fields=["language"])
    login(client, world.user("owner"))
    url = reverse("incidents:delegations", args=[world.home.slug])
    answers = []
    for email in (COUSIN, "nobody@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, {"email": email, "all_tickets": "on", "until": _until()}
            )
        assert response.status_code == 302
        page = client.get(response.url)
        messages = [str(m) for m in page.context["messages"]]
        row = re.search(
            rf"<tr>\s*<th scope=\"row\">{re.escape(email)}</th>.*?</tr>",
            page.content.decode(),
            re.S,
        )
        row = re.sub(r"/delegations/\d+/", "/delegations/N/", row.group(0))
        row = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", row)
        answers.append((response.url, messages, row.replace(email, "@")))
    assert answers[0] == answers[1]
    known, unknown = mailoutbox
    assert known.subject == unknown.subject
    assert known.body == unknown.body
    assert Delegation.objects.get(invited_email=COUSIN).delegate == cousin
    assert Delegation.objects.get(invited_email="nobody@example.org").delegate is None


def test_refused_delegations(world, cousin):
    from django.core.exceptions import ValidationError

    cases = [
        ({"email": world.user("owner").email}, "yourself"),
        ({"email": COUSIN, "delegate": world.user("tenant")}, "email address"),
        ({"email": "  "}, "email address"),
        ({"email": COUSIN, "owner": "tenant"}, "co-owner"),
    ]
    for kwargs, error in cases:
        with pytest.raises(ValidationError) as raised, translation.override("en"):
            delegate_by_email(world, **kwargs)
        assert error in str(raised.value)
    theirs = declare(world, persona="owner", kind=Kind.REQUEST)
    Ticket.objects.filter(pk=theirs.pk).update(residence=world.other)
    theirs.refresh_from_db()
    with pytest.raises(ValidationError):
        delegate_by_email(world, all_tickets=False, tickets=[theirs])
    assert not Delegation.objects.exists()


# --- What a delegate from outside may do ------------------------------------------


def test_the_policy_gives_a_delegate_one_permission_and_nothing_else(world, cousin):
    assert standing(cousin, world.home.slug) is None
    delegate_by_email(world)
    found = standing(cousin, world.home.slug)
    assert found.role == PseudoRole.DELEGATE and found.is_delegate
    assert found.membership_id is None and not found.is_owner
    assert [p for p in Perm if found.can(p)] == [Perm.VIEW_TICKETS]
    assert found.audiences() == []
    # The check and the list filter agree.
    for perm in Perm:
        listed = residences_where(cousin, perm).filter(pk=world.home.pk).exists()
        assert listed == found.can(perm), perm
    assert standing(cousin, world.other.slug) is None


def test_standing_stays_one_query(world, cousin, django_assert_num_queries):
    delegate_by_email(world)
    with django_assert_num_queries(1):
        assert standing(cousin, world.home.slug).is_delegate
    with django_assert_num_queries(1):
        assert standing(world.user("owner"), world.home.slug).is_owner


def test_sees_and_comments_on_exactly_the_chosen_tickets(world, client, cousin):
    from copro.lib.uploads import clean_image

    photo = clean_image(SimpleUploadedFile("fuite.jpg", jpeg()))
    chosen = declare(world, persona="owner", kind=Kind.REQUEST, photos=[photo])
    other = declare(world, persona="owner", kind=Kind.REQUEST, title="Autre")
    incident = declare(world, persona="tenant", title="Fuite commune")
    services.ticket_comment(
        ticket=chosen, author=world.user("staff"), body="Note interne", internal=True
    )
    delegate_by_email(world, all_tickets=False, tickets=[chosen])
    login(client, cousin)
    slug = world.home.slug

    page = client.get(reverse("incidents:list", args=[slug]))
    assert [t.pk for t in page.context["page"]] == [chosen.pk]
    for query in ("?all=1", "?mine=1"):  # no way round to the residence's list
        page = client.get(reverse("incidents:list", args=[slug]) + query)
        assert [t.pk for t in page.context["page"]] == [chosen.pk]
    detail = client.get(chosen.get_absolute_url())
    assert detail.status_code == 200
    assert "Note interne" not in detail.content.decode()
    assert not detail.context["can_confirm"] and detail.context["move_form"] is None
    photo_id = chosen.photos.get().pk
    for name in ("incidents:photo", "incidents:thumbnail"):
        assert _status(client, reverse(name, args=[slug, chosen.pk, photo_id])) == 200
    for ticket in (other, incident):
        assert _status(client, ticket.get_absolute_url()) == 404

    comment = reverse("incidents:comment", args=[slug, chosen.pk])
    assert _status(client, comment, "post", {"body": "Je suis son cousin"}) == 302
    assert Comment.objects.filter(ticket=chosen, author=cousin).count() == 1
    assert _status(client, comment, "post", {"body": "x", "internal": "on"}) == 403
    refused = reverse("incidents:comment", args=[slug, other.pk])
    assert _status(client, refused, "post", {"body": "Et ici ?"}) == 404
    assert Comment.objects.filter(author=cousin).count() == 1


def test_all_tickets_means_the_owner_s_present_and_future_only(world, client, cousin):
    mine = declare(world, persona="owner", kind=Kind.REQUEST, private=True)
    incident = declare(world, persona="tenant", title="Fuite commune")
    council = declare(world, persona="council", kind=Kind.REQUEST)
    delegate_by_email(world)
    later = declare(world, persona="owner", title="Ascenseur")
    login(client, cousin)
    page = client.get(reverse("incidents:list", args=[world.home.slug]))
    assert {t.pk for t in page.context["page"]} == {mine.pk, later.pk}
    assert _status(client, incident.get_absolute_url()) == 404
    assert _status(client, council.get_absolute_url()) == 404


def test_a_delegation_in_one_residence_opens_nothing_in_another(world, client, cousin):
    """The owner also owns in the other residence, where the cousin is a tenant:
    the owner's requests there stay closed to the cousin."""
    make_member(world.other, Role.OWNER, user=world.user("owner"))
    make_member(world.other, Role.TENANT, user=cousin)
    there = services.ticket_declare(
        residence=world.other,
        reporter=world.user("owner"),
        kind=Kind.REQUEST,
        category="payments",
        title="Ailleurs",
    )
    delegate_by_email(world)
    login(client, cousin)
    assert _status(client, there.get_absolute_url()) == 404
    page = client.get(reverse("incidents:list", args=[world.other.slug]) + "?all=1")
    assert list(page.context["page"]) == []


def _residence_url_names() -> list[str]:
    """Every named URL whose only argument is the residence's slug."""
    found = []

    def walk(patterns, namespace, outer):
        for entry in patterns:
            params = outer | set(getattr(entry.pattern, "converters", {}))
            if isinstance(entry, URLResolver):
                inner = (
                    f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                )
                walk(entry.url_patterns, inner, params)
            elif (
                isinstance(entry, URLPattern) and entry.name and params == {"residence"}
            ):
                found.append(f"{namespace}{entry.name}")

    walk(get_resolver().url_patterns, "", set())
    return sorted(set(found))


DELEGATE_PAGES = {"incidents:list"}


def test_every_other_residence_page_refuses_a_delegate(world, client, cousin):
    """Each page of a residence answers 403 to a delegate from outside (a page added
    without the policy makes this fail), and a refused write changes nothing."""
    names = _residence_url_names()
    assert len(names) > 20 and "residents:dashboard" in names
    delegate_by_email(world)
    login(client, cousin)
    before = (Ticket.objects.count(), Comment.objects.count())
    leaks = []
    for name in names:
        url = reverse(name, args=[world.home.slug])
        answers = {_status(client, url), _status(client, url, "post")}
        if name in DELEGATE_PAGES:
            continue
        # 405: the method is not served at all; 401: an API that takes a token,
        # not a session. Anything else is a leak.
        if not answers <= {401, 403, 405} or not answers & {401, 403}:
            leaks.append((name, answers))
    assert leaks == []
    assert (Ticket.objects.count(), Comment.objects.count()) == before
    # The ticket pages that are not about following also refuse.
    ticket = declare(world, persona="owner", kind=Kind.REQUEST)
    for name, method in [
        ("incidents:confirm", "post"),
        ("incidents:move", "post"),
        ("incidents:rate", "post"),
        ("incidents:relay", "post"),
        ("incidents:quotes", "post"),
        ("incidents:interventions", "get"),
    ]:
        url = reverse(name, args=[world.home.slug, ticket.pk])
        assert _status(client, url, method) == 403, name


def test_revocation_expiry_or_the_owner_leaving_closes_the_residence(
    world, client, cousin
):
    ticket = declare(world, persona="owner", kind=Kind.REQUEST)
    list_url = reverse("incidents:list", args=[world.home.slug])
    login(client, cousin)

    delegation = delegate_by_email(world, all_tickets=False, tickets=[ticket])
    assert _status(client, ticket.get_absolute_url()) == 200
    sharing.delegation_revoke(delegation=delegation)
    assert get_perms(cousin, ticket) == []
    assert _status(client, ticket.get_absolute_url()) == 404
    assert _status(client, list_url) == 404

    delegation = delegate_by_email(world)
    assert _status(client, list_url) == 200
    Delegation.objects.filter(pk=delegation.pk).update(until=_until(-1))
    assert _status(client, list_url) == 404
    assert _status(client, ticket.get_absolute_url()) == 404

    delegate_by_email(world)
    assert _status(client, list_url) == 200
    Membership.objects.filter(user=world.user("owner")).update(
        status=MembershipStatus.LEFT
    )
    assert _status(client, list_url) == 404


def test_a_blocked_member_gets_nothing_back_through_a_delegation(world, client):
    blocked = make_member(world.home, Role.TENANT, status=MembershipStatus.BLOCKED)
    delegate_by_email(world, email=blocked.user.email)
    assert standing(blocked.user, world.home.slug) is None


def test_home_and_switcher_bring_a_delegate_to_what_they_follow(world, client, cousin):
    delegate_by_email(world)
    login(client, cousin)
    response = client.get(reverse("home"))
    assert response.url == reverse("incidents:list", args=[world.home.slug])
    [entry] = switcher_residences(cousin)
    assert entry.pk == world.home.pk and entry.is_member is False
    [member_entry] = switcher_residences(world.user("owner"))
    assert member_entry.is_member is True
    # A platform admin's switcher still lists only where they belong.
    admin = make_user(is_superuser=True, is_staff=True)
    assert list(switcher_residences(admin)) == []


def test_a_member_delegate_lists_what_they_follow(world, client):
    """A member who follows a co-owner's requests finds them under ?followed=1."""
    request = declare(world, persona="owner", kind=Kind.REQUEST)
    declare(world, persona="council", kind=Kind.REQUEST)
    delegate_by_email(world, email=world.user("tenant").email)
    login(client, world.user("tenant"))
    url = reverse("incidents:list", args=[world.home.slug]) + "?followed=1"
    assert [t.pk for t in client.get(url).context["page"]] == [request.pk]


@pytest.mark.parametrize("rows", [1, 20])
def test_delegate_pages_queries_stay_constant(
    world, client, cousin, rows, django_assert_max_num_queries
):
    tickets = [
        declare(world, persona="owner", kind=Kind.REQUEST, title=f"Demande {n}")
        for n in range(rows)
    ]
    for n in range(rows):
        services.ticket_comment(ticket=tickets[0], author=cousin, body=f"c{n}")
    delegate_by_email(world, all_tickets=False, tickets=tickets)
    login(client, cousin)
    url = reverse("incidents:list", args=[world.home.slug])
    client.get(url)
    # session, user, standing, count, page (with residence and reporter), badge,
    # switcher
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"]) == rows
    # session, user, standing, ticket, photos, transitions, comments, confirmed?,
    # quote requests, interventions (2), badge, switcher
    with django_assert_max_num_queries(13):
        response = client.get(tickets[0].get_absolute_url())
    assert response.status_code == 200


# --- The delegations page's new field, role by role ---------------------------------

# anonymous outsider tenant owner council president staff manager other_staff
BY_EMAIL_POST = [302, 404, 403, 302, 302, 302, 403, 403, 404]


@pytest.mark.parametrize(
    MATRIX_ARGS,
    matrix_cells(
        [("incidents:delegations", "post", lambda w: [w.home.slug], BY_EMAIL_POST)]
    ),
)
def test_role_matrix(
    world,
    as_persona,
    mailoutbox,
    django_capture_on_commit_callbacks,
    name,
    method,
    args,
    persona,
    expected,
):
    client = as_persona(persona)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(name, args=args(world)),
            {"email": COUSIN, "all_tickets": "on", "until": _until()},
        )
    assert response.status_code == expected
    if expected == 302 and persona != "anonymous":
        assert Delegation.objects.get().invited_email == COUSIN
        assert [m.to for m in mailoutbox] == [[COUSIN]]
    else:
        assert not Delegation.objects.exists()
        assert mailoutbox == []
