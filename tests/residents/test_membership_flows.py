"""Joining a residence: invitations, join requests with a code, accept / block."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from residents import services
from residents.models import Invitation, Membership, MembershipStatus, Role

from ..conftest import login
from ..factories import make_member, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    """Service errors are matched in English here; pages are checked in French."""
    with translation.override("en"):
        yield


def _invite(world, email="new@example.org", role=Role.OWNER, lots=None):
    return services.invitation_create(
        residence=world.home,
        email=email,
        role=role,
        lots=lots if lots is not None else [world.home.lots.get(number=5)],
        invited_by=world.user("manager"),
    )


def _link(invitation):
    return reverse("residents:invitation", args=[services.invitation_token(invitation)])


class TestInvitations:
    def test_invite_form_sends_a_signed_link_by_email(
        self, world, client, mailoutbox, django_capture_on_commit_callbacks
    ):
        """The council invites by email; the mail holds a link that opens the offer."""
        login(client, world.user("council"))
        lot = world.home.lots.get(number=5)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("residents:invite", args=[world.home.slug]),
                {
                    "email": "Neighbour@Example.org",
                    "role": Role.OWNER,
                    "lots": [lot.pk],
                },
            )
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert invitation.email == "neighbour@example.org"
        assert list(invitation.lots.all()) == [lot]
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == ["neighbour@example.org"]
        # The link carries a timestamped signature: read it back rather than re-sign.
        token = re.search(r"/invitations/([^/\s]+)/", mailoutbox[0].body).group(1)
        assert services.invitation_from_token(token) == invitation
        assert mailoutbox[0].alternatives  # an HTML part too

    def test_invite_form_rerenders_with_errors(self, world, client, mailoutbox):
        login(client, world.user("council"))
        response = client.post(
            reverse("residents:invite", args=[world.home.slug]),
            {"email": "not-an-email", "role": Role.OWNER},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["email"]
        assert 'value="not-an-email"' in response.content.decode()
        assert not Invitation.objects.exists() and not mailoutbox

    def test_lots_of_another_residence_are_refused(self, world):
        with pytest.raises(ValidationError):
            _invite(world, lots=[world.other.lots.first()])

    def test_accepting_attaches_membership_with_role_and_lots(self, world, client):
        invitation = _invite(world)
        user = make_user("new@example.org")
        login(client, user)
        response = client.post(_link(invitation))
        assert response.status_code == 302
        membership = Membership.objects.get(user=user, residence=world.home)
        assert membership.status == MembershipStatus.ACTIVE
        assert membership.role == Role.OWNER
        assert [lot.number for lot in membership.lots.all()] == [5]
        # It shows in history, with who decided.
        assert membership.history.first().history_user == user

    def test_single_use(self, world, client):
        invitation = _invite(world)
        login(client, make_user("new@example.org"))
        client.post(_link(invitation))
        second = client.post(_link(invitation))
        assert second.status_code == 410
        assert "déjà été utilisée" in second.content.decode()  # said in French

    def test_expired_link_says_so(self, world, client):
        invitation = _invite(world)
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        login(client, make_user("new@example.org"))
        response = client.post(_link(invitation))
        assert response.status_code == 410
        assert "Cette invitation a expiré." in response.content.decode()
        assert not Membership.objects.filter(user__email="new@example.org").exists()

    def test_tampered_link_is_refused(self, world, client):
        invitation = _invite(world)
        token = services.invitation_token(invitation)
        response = client.get(reverse("residents:invitation", args=[token[:-2] + "xx"]))
        assert response.status_code == 410
        forged = signing.dumps(invitation.pk, salt="another-salt")
        assert (
            client.get(reverse("residents:invitation", args=[forged])).status_code
            == 410
        )

    def test_another_account_cannot_use_someone_elses_link(self, world, client):
        invitation = _invite(world)
        intruder = make_user("intruder@example.org")
        login(client, intruder)
        response = client.post(_link(invitation))
        assert response.status_code == 410
        assert not Membership.objects.filter(user=intruder).exists()
        invitation.refresh_from_db()
        assert invitation.accepted_at is None

    def test_anonymous_visitor_sees_offer_and_is_sent_to_login(self, world, client):
        invitation = _invite(world)
        assert client.get(_link(invitation)).status_code == 200
        response = client.post(_link(invitation))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_only_one_active_council_president(self, world):
        invitation = _invite(world, email="p2@example.org", role=Role.COUNCIL_PRESIDENT)
        user = make_user("p2@example.org")
        with pytest.raises(ValidationError, match="already has a council president"):
            services.invitation_accept(invitation=invitation, user=user)


class TestJoinRequests:
    def test_request_with_code_is_pending_until_accepted(
        self, world, client, mailoutbox, django_capture_on_commit_callbacks
    ):
        person = make_user()
        login(client, person)
        response = client.post(
            reverse("residents:join"),
            {"join_code": world.home.join_code.lower(), "role": Role.TENANT},
        )
        assert response.status_code == 302
        membership = Membership.objects.get(user=person)
        assert membership.status == MembershipStatus.PENDING
        dashboard = reverse("residents:dashboard", args=[world.home.slug])
        assert client.get(dashboard).status_code == 404  # pending: no access yet

        login(client, world.user("president"))
        lot = world.home.lots.get(number=6)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("residents:membership", args=[world.home.slug, membership.pk]),
                {"role": Role.TENANT, "lots": [lot.pk]},
            )
        assert response.status_code == 302
        membership.refresh_from_db()
        assert membership.status == MembershipStatus.ACTIVE
        assert membership.decided_by == world.user("president")
        assert [m.to for m in mailoutbox] == [[person.email]]

        login(client, person)
        assert client.get(dashboard).status_code == 200

    def test_unknown_code_rerenders_with_message(self, world, client):
        login(client, make_user())
        response = client.post(
            reverse("residents:join"), {"join_code": "NOPE1234", "role": Role.OWNER}
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert not Membership.objects.filter(status=MembershipStatus.PENDING).exists()

    def test_double_request_is_harmless(self, world):
        person = make_user()
        services.join_request_create(
            user=person, join_code=world.home.join_code, role="owner"
        )
        with pytest.raises(ValidationError, match="already waiting"):
            services.join_request_create(
                user=person, join_code=world.home.join_code, role="owner"
            )
        assert Membership.objects.filter(user=person).count() == 1

    def test_a_blocked_person_cannot_ask_again(self, world):
        person = make_user()
        membership = services.join_request_create(
            user=person, join_code=world.home.join_code, role="owner"
        )
        services.membership_block(membership=membership, decided_by=world.user("staff"))
        with pytest.raises(ValidationError, match="blocked"):
            services.join_request_create(
                user=person, join_code=world.home.join_code, role="owner"
            )

    def test_accepting_twice_is_refused(self, world):
        membership = make_member(
            world.home, Role.OWNER, status=MembershipStatus.PENDING
        )
        services.membership_accept(
            membership=membership,
            role=Role.OWNER,
            lots=[],
            decided_by=world.user("staff"),
        )
        with pytest.raises(ValidationError, match="already been handled"):
            services.membership_accept(
                membership=membership,
                role=Role.TENANT,
                lots=[],
                decided_by=world.user("staff"),
            )
        membership.refresh_from_db()
        assert membership.role == Role.OWNER

    def test_block_from_members_page(self, world, client):
        membership = make_member(
            world.home, Role.OWNER, status=MembershipStatus.PENDING
        )
        login(client, world.user("council"))
        client.post(
            reverse("residents:membership_block", args=[world.home.slug, membership.pk])
        )
        membership.refresh_from_db()
        assert membership.status == MembershipStatus.BLOCKED
        history = list(membership.history.order_by("history_date"))
        assert history[-1].status == MembershipStatus.BLOCKED
        assert history[-1].history_user == world.user("council")

    def test_one_cannot_block_oneself(self, world, client):
        council = world.user("council")
        login(client, council)
        own = Membership.objects.get(user=council)
        client.post(
            reverse("residents:membership_block", args=[world.home.slug, own.pk])
        )
        own.refresh_from_db()
        assert own.status == MembershipStatus.ACTIVE

    def test_removed_member_loses_access(self, world, client):
        owner = world.user("owner")
        services.membership_remove(
            membership=Membership.objects.get(user=owner),
            decided_by=world.user("staff"),
        )
        login(client, owner)
        url = reverse("residents:dashboard", args=[world.home.slug])
        assert client.get(url).status_code == 404


class TestCouncilLimits:
    """Council roles come from the AG's vote, recorded by the syndic: the council
    admits owners and tenants but cannot hand out or edit council roles."""

    def _url(self, world, membership):
        return reverse("residents:membership", args=[world.home.slug, membership.pk])

    def test_council_cannot_promote_itself(self, world, client):
        council = world.user("council")
        own = Membership.objects.get(user=council)
        login(client, council)
        response = client.post(self._url(world, own), {"role": Role.COUNCIL_PRESIDENT})
        assert response.status_code == 403
        own.refresh_from_db()
        assert own.role == Role.COUNCIL_MEMBER

    def test_council_cannot_grant_a_council_role(self, world, client):
        pending = make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
        login(client, world.user("president"))
        response = client.post(self._url(world, pending), {"role": Role.COUNCIL_MEMBER})
        assert response.status_code == 200
        assert response.context["form"].errors["role"]
        pending.refresh_from_db()
        assert pending.status == MembershipStatus.PENDING

    def test_council_cannot_block_the_president(self, world, client):
        president = Membership.objects.get(user=world.user("president"))
        login(client, world.user("council"))
        url = reverse(
            "residents:membership_block", args=[world.home.slug, president.pk]
        )
        assert client.post(url).status_code == 403
        president.refresh_from_db()
        assert president.status == MembershipStatus.ACTIVE

    def test_council_cannot_invite_a_president(self, world, client):
        login(client, world.user("council"))
        response = client.post(
            reverse("residents:invite", args=[world.home.slug]),
            {"email": "chair@example.org", "role": Role.COUNCIL_PRESIDENT},
        )
        assert response.status_code == 200
        assert not Invitation.objects.exists()

    def test_syndic_records_the_councils_election(self, world, client):
        owner = Membership.objects.get(user=world.user("owner"))
        login(client, world.user("staff"))
        response = client.post(self._url(world, owner), {"role": Role.COUNCIL_MEMBER})
        assert response.status_code == 302
        owner.refresh_from_db()
        assert owner.role == Role.COUNCIL_MEMBER
