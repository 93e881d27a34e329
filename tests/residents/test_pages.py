"""What each page shows, and that its query count does not grow with the data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from residents.models import Category, CommunicationPreference, Lot, LotShare, Role

from ..conftest import login
from ..factories import add_key, make_member, make_residence

pytestmark = pytest.mark.django_db


def _dashboard(world):
    return reverse("residents:dashboard", args=[world.home.slug])


class TestDashboard:
    def test_owner_sees_residence_role_lots_and_tantiemes(self, world, client):
        lift = add_key(world.home, "ascenseur", "Ascenseur")
        LotShare.objects.create(lot=world.home.lots.get(number=2), key=lift, units=40)
        login(client, world.user("owner"))
        response = client.get(_dashboard(world))
        page = response.content.decode()
        assert world.home.name in page
        assert response.context["standing"].role == Role.OWNER
        membership = response.context["membership"]
        assert [lot.number for lot in membership.lots.all()] == [1, 2]
        assert "Ascenseur: 40" in page
        assert response.context["pending_count"] is None  # owners do not manage

    def test_council_sees_pending_requests_and_join_code(self, world, client):
        make_member(world.home, Role.OWNER, status="pending")
        login(client, world.user("council"))
        response = client.get(_dashboard(world))
        assert response.context["pending_count"] == 1
        assert world.home.join_code in response.content.decode()

    def test_syndic_staff_dashboard(self, world, client):
        login(client, world.user("staff"))
        response = client.get(_dashboard(world))
        assert response.context["membership"] is None
        assert world.home.syndic.name in response.content.decode()

    def test_query_count_does_not_grow_with_lots(
        self, world, client, django_assert_max_num_queries
    ):
        owner = world.user("owner")
        login(client, owner)
        # session, user, standing, membership + lots + shares, 3 counts, switcher,
        # unread notifications, latest announcements, next events, next AG, works in
        # progress, latest photos, my open incidents, urgent incidents, documents to
        # sign, my charges (account, balance, next call), and (first visit only)
        # savepoint + session update + release
        with django_assert_max_num_queries(25):
            client.get(_dashboard(world))
        general = world.home.allocation_keys.get(is_general=True)
        membership = owner.memberships.get()
        for number in range(10, 30):
            lot = Lot.objects.create(residence=world.home, number=number)
            LotShare.objects.create(lot=lot, key=general, units=10)
            membership.lots.add(lot)
        with django_assert_max_num_queries(22):  # no session write this time
            response = client.get(_dashboard(world))
        assert len(response.context["membership"].lots.all()) == 22

    def test_switcher_lists_only_the_members_residences(self, world, client):
        make_residence(name="Somewhere else")
        person = world.user("owner")
        make_member(world.other, Role.COUNCIL_MEMBER, user=person)
        login(client, person)
        response = client.get(_dashboard(world))
        names = [r.name for r in response.context["switcher_residences"]]
        assert names == sorted([world.home.name, world.other.name])


class TestHome:
    def test_goes_to_last_residence_visited(self, world, client):
        person = world.user("owner")
        make_member(world.other, Role.TENANT, user=person)
        login(client, person)
        client.get(reverse("residents:dashboard", args=[world.other.slug]))
        response = client.get(reverse("home"))
        assert response.url == reverse("residents:dashboard", args=[world.other.slug])

    def test_person_without_residence_is_sent_to_join(self, client):
        from ..factories import make_user

        login(client, make_user())
        assert client.get(reverse("home")).url == reverse("residents:join")


class TestMembers:
    def url(self, world):
        return reverse("residents:members", args=[world.home.slug])

    def test_lists_members_and_paginates(self, world, client):
        for _ in range(30):
            make_member(world.home, Role.OWNER)
        login(client, world.user("council"))
        first = client.get(self.url(world))
        assert len(first.context["page"].object_list) == 25
        second = client.get(self.url(world) + "?page=2")
        assert len(second.context["page"].object_list) == 34 - 25  # 30 + 4 residents

    def test_query_count_is_constant(
        self, world, client, django_assert_max_num_queries
    ):
        login(client, world.user("council"))
        # session, user, standing, count, page, lots prefetch, pending, switcher,
        # unread notifications, and (first visit only) savepoint + update + release
        with django_assert_max_num_queries(12):
            client.get(self.url(world))
        lot = world.home.lots.first()
        for _ in range(20):
            make_member(world.home, Role.OWNER, lots=[lot])
            make_member(world.home, Role.OWNER, status="pending")
        with django_assert_max_num_queries(9):
            response = client.get(self.url(world))
        assert response.status_code == 200


class TestProfile:
    def test_update_profile(self, world, client):
        owner = world.user("owner")
        login(client, owner)
        response = client.post(
            reverse("residents:profile"),
            {"first_name": "Anne", "last_name": "Dupont", "language": "en"},
        )
        assert response.status_code == 302
        owner.refresh_from_db()
        assert (owner.first_name, owner.last_name, owner.language) == (
            "Anne",
            "Dupont",
            "en",
        )

    def test_bad_language_rerenders_and_keeps_input(self, world, client):
        owner = world.user("owner")
        login(client, owner)
        response = client.post(
            reverse("residents:profile"),
            {"first_name": "Anne", "last_name": "Dupont", "language": "xx"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["language"]
        assert 'value="Anne"' in response.content.decode()
        owner.refresh_from_db()
        assert owner.first_name != "Anne"

    def test_preferences(self, world, client):
        owner = world.user("owner")
        login(client, owner)
        page = client.get(reverse("residents:preferences"))
        assert page.status_code == 200
        client.post(
            reverse("residents:preferences"),
            {"membership__email": "on", "membership__sms": "on"},
        )
        preference = CommunicationPreference.objects.get(
            user=owner, category=Category.MEMBERSHIP
        )
        assert (preference.email, preference.sms, preference.in_app) == (
            True,
            True,
            False,
        )
