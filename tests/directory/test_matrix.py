"""Who may open and post to every directory and useful-information view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..conftest import MATRIX_ARGS, matrix_cells
from .conftest import snapshot

pytestmark = pytest.mark.django_db

# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
MANAGE = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
# Syndic staff are not residents: they have no listing of their own to change.
LISTING_POST = [302, 404, 302, 302, 302, 302, 403, 403, 404]
NOT_ALLOWED = [302, 404, 405, 405, 405, 405, 405, 405, 404]


def _home(w, t):
    return [w.home.slug]


VIEWS = [
    ("directory:index", "get", _home, READ),
    ("directory:index", "post", _home, NOT_ALLOWED),
    ("directory:my_listing", "get", _home, READ),
    ("directory:my_listing", "post", _home, LISTING_POST),
    ("directory:contact_new", "get", _home, MANAGE),
    ("directory:contact_new", "post", _home, MANAGE_POST),
    ("directory:contact_edit", "get", lambda w, t: [w.home.slug, t.caretaker.pk],
     MANAGE),
    ("directory:contact_edit", "post", lambda w, t: [w.home.slug, t.caretaker.pk],
     MANAGE_POST),
    ("directory:contact_delete", "get", lambda w, t: [w.home.slug, t.caretaker.pk],
     MANAGE),
    ("directory:contact_delete", "post", lambda w, t: [w.home.slug, t.caretaker.pk],
     MANAGE_POST),
    ("directory:contracts", "get", _home, MANAGE),
    ("directory:contract_new", "get", _home, MANAGE),
    ("directory:contract_new", "post", _home, MANAGE_POST),
    ("directory:contract_edit", "get", lambda w, t: [w.home.slug, t.contract.pk],
     MANAGE),
    ("directory:contract_edit", "post", lambda w, t: [w.home.slug, t.contract.pk],
     MANAGE_POST),
    ("directory:contract_delete", "get", lambda w, t: [w.home.slug, t.contract.pk],
     MANAGE),
    ("directory:contract_delete", "post", lambda w, t: [w.home.slug, t.contract.pk],
     MANAGE_POST),
    ("directory:info", "get", _home, READ),
    ("directory:info_page", "get", lambda w, t: [w.home.slug, t.page.slug], READ),
    ("directory:info_new", "get", _home, MANAGE),
    ("directory:info_new", "post", _home, MANAGE_POST),
    ("directory:info_edit", "get", lambda w, t: [w.home.slug, t.page.slug], MANAGE),
    ("directory:info_edit", "post", lambda w, t: [w.home.slug, t.page.slug],
     MANAGE_POST),
    ("directory:info_delete", "get", lambda w, t: [w.home.slug, t.page.slug], MANAGE),
    ("directory:info_delete", "post", lambda w, t: [w.home.slug, t.page.slug],
     MANAGE_POST),
]  # fmt: skip


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, things, as_persona, name, method, args, persona, expected):
    data = {
        # one payload valid for every form: contact, contract, page, listing
        "kind": "other",
        "name": "Changed",
        "order": "0",
        "provider": str(things.provider.pk),
        "starts_on": "2025-01-01",
        "title": "Changed",
        "category": "faq",
        "body": "Changed",
        "listed": "on",
        "note": "Changed",
    }
    before = snapshot()
    client = as_persona(persona)
    response = getattr(client, method)(reverse(name, args=args(world, things)), data)
    assert response.status_code == expected
    if method == "post":
        allowed = expected == 302 and persona != "anonymous"
        # denied: nothing changed; allowed: the write did happen
        assert (snapshot() != before) == allowed


def test_other_residences_objects_are_404(world, things, as_persona):
    """The home residence's manager cannot reach the other residence's objects by
    putting their ids in the home residence's URLs; nothing there changes."""
    from .conftest import make_contact, make_contract, make_page

    provider = make_contact(world.other, name="Ailleurs SA")
    contract = make_contract(world.other, provider)
    page = make_page(world.other, title="Ailleurs")
    client = as_persona("manager")
    slug = world.home.slug
    urls = [
        reverse("directory:contact_edit", args=[slug, provider.pk]),
        reverse("directory:contact_delete", args=[slug, provider.pk]),
        reverse("directory:contract_edit", args=[slug, contract.pk]),
        reverse("directory:contract_delete", args=[slug, contract.pk]),
        reverse("directory:info_edit", args=[slug, page.slug]),
        reverse("directory:info_delete", args=[slug, page.slug]),
    ]
    before = snapshot()
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "title": "x"}).status_code == 404, url
    assert snapshot() == before
    page_url = reverse("directory:info_page", args=[slug, page.slug])
    assert client.get(page_url).status_code == 404
