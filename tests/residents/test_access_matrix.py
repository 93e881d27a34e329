"""The role matrix: every view × every persona, with the exact status of each cell.

Cells: 200 ok; 302 redirect (anonymous → login, or a successful POST); 403 wrong role;
404 stranger. A denied write is also checked to have changed nothing.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from residents.models import Membership, MembershipStatus, Role

from ..conftest import MATRIX_ARGS, matrix_cells
from ..factories import make_member

# Columns follow PERSONAS:
#  anonymous outsider tenant owner council president staff manager other_staff
MEMBER = [302, 404, 200, 200, 200, 200, 200, 200, 404]
MANAGER = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGER_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
SIGNED_IN = [302, 200, 200, 200, 200, 200, 200, 200, 200]
HOME = [302, 302, 302, 302, 302, 302, 302, 302, 302]
PUBLIC = [200] * 9

# (name, method, url kwargs builder, expected row)
VIEWS = [
    ("residents:dashboard", "get", lambda w, m: [w.home.slug], MEMBER),
    ("residents:members", "get", lambda w, m: [w.home.slug], MANAGER),
    ("residents:invite", "get", lambda w, m: [w.home.slug], MANAGER),
    ("residents:membership", "get", lambda w, m: [w.home.slug, m.pk], MANAGER),
    ("residents:membership", "post", lambda w, m: [w.home.slug, m.pk], MANAGER_POST),
    (
        "residents:membership_block",
        "post",
        lambda w, m: [w.home.slug, m.pk],
        MANAGER_POST,
    ),
    ("residents:join", "get", lambda w, m: [], SIGNED_IN),
    ("residents:profile", "get", lambda w, m: [], SIGNED_IN),
    ("residents:preferences", "get", lambda w, m: [], SIGNED_IN),
    ("home", "get", lambda w, m: [], HOME),
    ("healthz", "get", lambda w, m: [], PUBLIC),
]


@pytest.mark.django_db
@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    pending = make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
    client = as_persona(persona)
    url = reverse(name, args=args(world, pending))
    data = {"role": Role.OWNER, "lots": []} if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code == expected, response
    if persona == "anonymous" and expected == 302:
        assert response.url.startswith(reverse("account_login"))
    if method == "post" and expected != 302:
        pending.refresh_from_db()
        assert pending.status == MembershipStatus.PENDING


@pytest.mark.django_db
def test_a_member_of_another_residence_is_a_stranger_even_by_id(world, as_persona):
    """Membership ids of another residence are 404 through this residence's URL."""
    foreign = make_member(world.other, Role.OWNER, status=MembershipStatus.PENDING)
    client = as_persona("manager")
    url = reverse("residents:membership", args=[world.home.slug, foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": Role.OWNER}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == MembershipStatus.PENDING


@pytest.mark.django_db
def test_blocked_member_loses_access_at_next_request(world, client):
    from ..conftest import login

    owner = world.user("owner")
    login(client, owner)
    url = reverse("residents:dashboard", args=[world.home.slug])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=owner).update(status=MembershipStatus.BLOCKED)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_changing_syndic_moves_staff_access(world, client):
    from residents.services import residence_change_syndic

    from ..conftest import login

    staff, other_staff = world.user("staff"), world.user("other_staff")
    url = reverse("residents:dashboard", args=[world.home.slug])
    residence_change_syndic(residence=world.home, syndic=world.other.syndic)
    login(client, staff)
    assert client.get(url).status_code == 404
    login(client, other_staff)
    assert client.get(url).status_code == 200
    assert world.home.lots.count() == 6  # the residence's data stayed
