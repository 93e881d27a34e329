"""Delegations (django-guardian through the policy), the council's relay, quotes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from guardian.shortcuts import get_perms

from copro.lib.uploads import clean_document
from directory.models import Contact, ContactKind
from incidents import sharing
from incidents.models import Category, Delegation, Kind, QuoteRequest
from incidents.workflow import Status
from notifications.models import Notification
from residents.access import Perm, standing

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .test_tickets import declare, move

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def delegate(world, to="tenant", owner="owner", **kw):
    return sharing.delegation_create(
        standing=standing(world.user(owner), world.home.slug),
        delegate=world.user(to),
        until=kw.pop("until", timezone.localdate() + timedelta(days=30)),
        **kw,
    )


def can_open(client, world, persona, ticket) -> bool:
    login(client, world.user(persona))
    return client.get(ticket.get_absolute_url()).status_code == 200


class TestDelegation:
    def test_all_tickets_present_and_future(self, world, client):
        request = declare(world, persona="owner", kind=Kind.REQUEST, title="Charges")
        assert not can_open(client, world, "tenant", request)
        delegate(world)
        later = declare(world, persona="owner", kind=Kind.REQUEST, title="Plus tard")
        assert can_open(client, world, "tenant", request)
        assert can_open(client, world, "tenant", later)
        # The delegate may comment, not close or rate.
        response = client.post(
            reverse("incidents:comment", args=[world.home.slug, request.pk]),
            {"body": "Je suis le locataire"},
        )
        assert response.status_code == 302
        detail = client.get(request.get_absolute_url())
        assert detail.context["move_form"] is None
        assert detail.context["rating_form"] is None

    def test_chosen_tickets_are_guardian_permissions(self, world, client):
        chosen = declare(world, persona="owner", kind=Kind.REQUEST, title="Choisie")
        other = declare(world, persona="owner", kind=Kind.REQUEST, title="Autre")
        delegation = delegate(world, all_tickets=False, tickets=[chosen])
        tenant = world.user("tenant")
        assert get_perms(tenant, chosen) == ["follow_ticket"]
        found = standing(tenant, world.home.slug)
        assert found.can(Perm.FOLLOW_TICKET, chosen)
        assert not found.can(Perm.FOLLOW_TICKET, other)
        assert can_open(client, world, "tenant", chosen)
        assert not can_open(client, world, "tenant", other)
        # Revoking withdraws the permission at once.
        sharing.delegation_revoke(delegation=delegation)
        assert get_perms(tenant, chosen) == []
        assert not can_open(client, world, "tenant", chosen)

    def test_an_expired_delegation_gives_nothing(self, world, client):
        request = declare(world, persona="owner", kind=Kind.REQUEST)
        delegation = delegate(world, all_tickets=False, tickets=[request])
        Delegation.objects.filter(pk=delegation.pk).update(
            until=timezone.localdate() - timedelta(days=1)
        )
        assert not can_open(client, world, "tenant", request)  # before the cron
        assert sharing.expire_delegations() == 1
        assert get_perms(world.user("tenant"), request) == []

    def test_delegates_are_notified_of_each_step(
        self, world, django_capture_on_commit_callbacks
    ):
        request = declare(world, persona="owner", kind=Kind.REQUEST)
        delegate(world)
        with django_capture_on_commit_callbacks(execute=True):
            move(world, request, Status.ACKNOWLEDGED)
        notified = set(Notification.objects.values_list("recipient", flat=True))
        assert notified == {world.user("owner").pk, world.user("tenant").pk}

    @pytest.mark.parametrize(
        ("owner", "to", "error"),
        [
            ("tenant", "owner", "co-owner"),  # tenants do not delegate
            ("owner", "owner", "yourself"),
            ("owner", "outsider", "member"),
        ],
    )
    def test_refused(self, world, owner, to, error):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as raised, translation.override("en"):
            delegate(world, owner=owner, to=to)
        assert error in str(raised.value)
        assert not Delegation.objects.exists()

    def test_only_own_tickets_and_future_dates(self, world):
        from django.core.exceptions import ValidationError

        theirs = declare(world, persona="council", kind=Kind.REQUEST)
        with pytest.raises(ValidationError):
            delegate(world, all_tickets=False, tickets=[theirs])
        with pytest.raises(ValidationError):
            delegate(world, until=timezone.localdate() - timedelta(days=1))

    def test_the_page_creates_and_revokes(self, world, client):
        login(client, world.user("owner"))
        url = reverse("incidents:delegations", args=[world.home.slug])
        response = client.post(
            url,
            {
                "delegate": world.user("tenant").pk,
                "all_tickets": "on",
                "until": (timezone.localdate() + timedelta(days=10)).isoformat(),
            },
        )
        assert response.status_code == 302
        delegation = Delegation.objects.get()
        revoke = reverse(
            "incidents:delegation_revoke", args=[world.home.slug, delegation.pk]
        )
        login(client, world.user("tenant"))
        assert client.post(revoke).status_code == 404  # not theirs to revoke
        login(client, world.user("owner"))
        assert client.post(revoke).status_code == 302
        delegation.refresh_from_db()
        assert delegation.revoked_at is not None


# anonymous outsider tenant owner council president staff manager other_staff
DELEGATIONS_GET = [302, 404, 200, 200, 200, 200, 200, 200, 404]
DELEGATIONS_POST = [302, 404, 403, 302, 302, 302, 403, 403, 404]
RELAY_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
QUOTES_POST = [302, 404, 404, 302, 404, 404, 404, 404, 404]
ANSWER_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]


def _slug(w, t, q):
    return [w.home.slug]


VIEWS = [
    ("incidents:delegations", "get", _slug, DELEGATIONS_GET),
    ("incidents:delegations", "post", _slug, DELEGATIONS_POST),
    ("incidents:relay", "post", lambda w, t, q: [w.home.slug, t.pk], RELAY_POST),
    ("incidents:quotes", "post", lambda w, t, q: [w.home.slug, t.pk], QUOTES_POST),
    (
        "incidents:quote_answer",
        "post",
        lambda w, t, q: [w.home.slug, t.pk, q.pk],
        ANSWER_POST,
    ),
]


def _provider(world, name="Plomberie Martin", residence=None):
    return Contact.objects.create(
        residence=residence or world.home,
        kind=ContactKind.PROVIDER,
        name=name,
        email="devis@plomberie.example",
    )


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    # A request of the owner's, about works in their lot.
    ticket = declare(
        world, persona="owner", kind=Kind.REQUEST, category=Category.PRIVATE_WORKS
    )
    provider = _provider(world)
    quote = QuoteRequest.objects.create(
        ticket=ticket, provider=_provider(world, "Autre")
    )
    client = as_persona(persona)
    data = {
        "delegate": world.user("tenant" if persona != "tenant" else "owner").pk,
        "all_tickets": "on",
        "until": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "comment": "Concerne aussi l'escalier",
        "providers": [provider.pk],
        "file": SimpleUploadedFile("devis.pdf", PDF),
    }
    url = reverse(name, args=args(world, ticket, quote))
    response = getattr(client, method)(url, data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        ticket.refresh_from_db()
        quote.refresh_from_db()
        assert ticket.relayed_at is None and quote.quote is None
        assert not Delegation.objects.exists()
        assert QuoteRequest.objects.count() == 1


def test_the_council_relays_a_request_once(
    world, client, django_capture_on_commit_callbacks
):
    request = declare(world, persona="owner", kind=Kind.REQUEST, title="Bruit la nuit")
    login(client, world.user("council"))
    url = reverse("incidents:relay", args=[world.home.slug, request.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"comment": "Plusieurs voisins se plaignent"})
    client.post(url, {"comment": "encore"})  # a second time: refused
    request.refresh_from_db()
    assert request.relayed_by == world.user("council")
    assert request.relay_comment == "Plusieurs voisins se plaignent"
    assert request.comments.count() == 1
    notified = set(Notification.objects.values_list("recipient", flat=True))
    assert {world.user("staff").pk, world.user("owner").pk} <= notified
    # Private requests never reach the council, so cannot be relayed.
    private = declare(world, persona="owner", kind=Kind.REQUEST, private=True)
    response = client.post(
        reverse("incidents:relay", args=[world.home.slug, private.pk]), {"comment": "x"}
    )
    assert response.status_code == 404


def test_quotes_go_to_providers_and_come_back_to_the_requester_only(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    request = declare(
        world,
        persona="owner",
        kind=Kind.REQUEST,
        category=Category.PRIVATE_WORKS,
        title="Remplacer ma fenêtre",
    )
    plumber = _provider(world)
    elsewhere = _provider(world, "Ailleurs", residence=world.other)
    login(client, world.user("owner"))
    url = reverse("incidents:quotes", args=[world.home.slug, request.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"providers": [plumber.pk, elsewhere.pk]})
    quote = QuoteRequest.objects.get()  # the other residence's provider is ignored
    assert quote.provider == plumber
    assert [m.to for m in mailoutbox] == [["devis@plomberie.example"]]
    assert "Remplacer ma fenêtre" in mailoutbox[0].body

    login(client, world.user("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "incidents:quote_answer", args=[world.home.slug, request.pk, quote.pk]
            ),
            {"file": SimpleUploadedFile("devis.pdf", PDF)},
        )
    quote.refresh_from_db()
    assert quote.quote is not None and quote.answered_at is not None
    assert Notification.objects.filter(recipient=world.user("owner")).exists()
    for persona, expected in [("owner", 200), ("tenant", 404), ("council", 404)]:
        login(client, world.user(persona))
        assert client.get(quote.quote.get_absolute_url()).status_code == expected


def test_a_bad_quote_file_is_refused(world, client):
    request = declare(
        world, persona="owner", kind=Kind.REQUEST, category=Category.PRIVATE_WORKS
    )
    quote = QuoteRequest.objects.create(ticket=request, provider=_provider(world))
    login(client, world.user("manager"))
    response = client.post(
        reverse("incidents:quote_answer", args=[world.home.slug, request.pk, quote.pk]),
        {"file": SimpleUploadedFile("devis.pdf", b"<html>not a pdf</html>")},
        follow=True,
    )
    assert "devis.pdf" in response.content.decode()
    quote.refresh_from_db()
    assert quote.quote is None
    assert clean_document  # the same check as every upload
