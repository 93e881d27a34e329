"""Every remaining page runs a bounded number of queries, with 1 row and with 20."""

from __future__ import annotations

import pytest
from django.urls import reverse

from residents import services
from residents.models import Lot, MembershipStatus, Role

from ..conftest import login
from ..factories import make_member

pytestmark = pytest.mark.django_db


def _grow(world):
    """Twenty more lots, members and requests in the home residence."""
    for number in range(100, 120):
        lot = Lot.objects.create(residence=world.home, number=number)
        make_member(world.home, Role.OWNER, lots=[lot])
        make_member(world.home, Role.TENANT, status=MembershipStatus.PENDING)


def _pending(world):
    return make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)


# (name, persona, args, bound). Each bound counts: session, user, the view's own
# reads, the switcher, and a one-time session write (savepoint, update, release).
PAGES = [
    ("residents:join", "owner", lambda w: [], 9),
    ("residents:profile", "owner", lambda w: [], 6),
    ("residents:preferences", "owner", lambda w: [], 6),
    ("residents:invite", "council", lambda w: [w.home.slug], 10),
    ("residents:membership", "council", lambda w: [w.home.slug, _pending(w).pk], 12),
]


@pytest.mark.parametrize(("name", "persona", "args", "bound"), PAGES)
def test_page_queries_do_not_grow(
    world, client, django_assert_max_num_queries, name, persona, args, bound
):
    login(client, world.user(persona))
    url = reverse(name, args=args(world))
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200
    _grow(world)
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200


def test_invitation_page_queries(world, client, django_assert_max_num_queries):
    invitation = services.invitation_create(
        residence=world.home,
        email="new@example.org",
        role=Role.OWNER,
        lots=list(world.home.lots.all()),
        invited_by=world.user("manager"),
    )
    url = reverse("residents:invitation", args=[services.invitation_token(invitation)])
    with django_assert_max_num_queries(1):  # the invitation with its residence
        assert client.get(url).status_code == 200
