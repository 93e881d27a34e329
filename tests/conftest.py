"""Personas, built once per test: a home residence and everyone around it.

- anonymous: nobody signed in
- outsider: an owner in another residence (under another syndic)
- tenant, owner, council, president: members of the home residence
- staff, manager: employees of the home residence's syndic
- other_staff: an employee of the other residence's syndic
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.core.cache import cache

from copro.lib import sms
from residents.models import Role, SyndicRole

from .factories import make_employee, make_member, make_residence, make_syndic

PERSONAS = [
    "anonymous",
    "outsider",
    "tenant",
    "owner",
    "council",
    "president",
    "staff",
    "manager",
    "other_staff",
]


def matrix_cells(views) -> list:
    """pytest params (name, method, args, persona, expected) for a role matrix:
    `views` rows are (url name, method, args builder, expected status per persona)."""
    return [
        pytest.param(
            name, method, args, persona, row[i], id=f"{name}-{method}-{persona}"
        )
        for name, method, args, row in views
        for i, persona in enumerate(PERSONAS)
    ]


MATRIX_ARGS = ("name", "method", "args", "persona", "expected")


@dataclass
class World:
    home: object
    other: object
    users: dict

    def user(self, persona: str):
        return self.users.get(persona)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Real hashing is deliberately slow; tests do not measure it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "copro.lib.sms.LocmemBackend"
    settings.COPRO_STAFF_MFA_REQUIRED = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SERVER_TIMING = True
    # Rate limits live in the cache: each test starts with an empty, private one.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()
    sms.outbox.clear()


@pytest.fixture
def world(db) -> World:
    home = make_residence(name="Les Tilleuls", lots=6)
    other = make_residence(name="Le Clos", lots=4)
    lots = list(home.lots.order_by("number"))
    users = {
        "tenant": make_member(home, Role.TENANT, lots=[lots[0]]).user,
        "owner": make_member(home, Role.OWNER, lots=[lots[0], lots[1]]).user,
        "council": make_member(home, Role.COUNCIL_MEMBER, lots=[lots[2]]).user,
        "president": make_member(home, Role.COUNCIL_PRESIDENT, lots=[lots[3]]).user,
        "staff": make_employee(home.syndic, SyndicRole.STAFF),
        "manager": make_employee(home.syndic, SyndicRole.MANAGER),
        "outsider": make_member(other, Role.OWNER).user,
        "other_staff": make_employee(other.syndic, SyndicRole.STAFF),
    }
    return World(home=home, other=other, users=users)


def give_mfa(user) -> Authenticator:
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.TOTP,
        data={"secret": encrypt("JBSWY3DPEHPK3PXP")},
    )


def login(client, user, *, mfa: bool = True):
    """Sign `user` in; staff also get a TOTP device and an MFA step in the session."""
    if user is None:
        return client
    client.force_login(user)
    if user.is_staff and mfa:
        if not Authenticator.objects.filter(user=user).exists():
            give_mfa(user)
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": time.time()},
            {"method": "mfa", "at": time.time(), "type": "totp"},
        ]
        session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        session.save()
    return client


@pytest.fixture
def as_persona(client, world):
    def _as(persona: str):
        return login(client, world.user(persona))

    return _as


@pytest.fixture
def english(world):
    """Every persona reads English (tests that check the pages' English wording;
    the default language, French, is covered elsewhere)."""
    from residents.models import User

    User.objects.filter(pk__in=[u.pk for u in world.users.values()]).update(
        language="en"
    )


requires_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no Redis to test"
)


@pytest.fixture
def other_syndic(db):
    return make_syndic("Another syndic")
