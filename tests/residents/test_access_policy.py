"""The access policy as plain functions: roles, lists and object grants agree."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from residents.access import ROLE_PERMS, Perm, residences_where, standing
from residents.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize(
    "persona", ["tenant", "owner", "council", "president", "staff", "manager"]
)
def test_check_and_list_filter_agree(world, persona, perm):
    """`standing().can(perm)` and `residences_where(perm)` give the same answer."""
    user = world.user(persona)
    found = standing(user, world.home.slug)
    listed = residences_where(user, perm).filter(pk=world.home.pk).exists()
    assert found.can(perm) == listed == (perm in ROLE_PERMS[found.role])


def test_strangers_have_no_standing(world):
    assert standing(world.user("outsider"), world.home.slug) is None
    assert standing(world.user("other_staff"), world.home.slug) is None
    assert standing(world.user("owner"), "no-such-residence") is None


def test_inactive_user_has_no_standing(world):
    owner = world.user("owner")
    owner.is_active = False
    owner.save()
    assert standing(owner, world.home.slug) is None
    assert not residences_where(owner).exists()


def test_syndic_role_wins_over_a_membership(world):
    """Staff who also own a lot act as the syndic there."""
    from ..factories import make_member

    staff = world.user("staff")
    make_member(world.home, Role.OWNER, user=staff)
    assert standing(staff, world.home.slug).role == Role.SYNDIC_STAFF


def test_guardian_grant_on_an_object_is_honoured(world):
    """A grant on one object (e.g. a delegation) adds to what the role allows."""
    tenant = world.user("tenant")
    found = standing(tenant, world.home.slug)
    assert not found.can(Perm.MANAGE_MEMBERS, world.home)
    assign_perm("residents.manage_members", tenant, world.home)
    found = standing(tenant, world.home.slug)
    assert found.can(Perm.MANAGE_MEMBERS, world.home)
    assert not found.can(Perm.MANAGE_MEMBERS, world.other)
    assert not found.can(Perm.MANAGE_MEMBERS)  # without the object: role only
