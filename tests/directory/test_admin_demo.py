"""The directory in the back office, and its demo data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from directory import demo, selectors
from directory.models import (
    Contact,
    ContactKind,
    ContractKind,
    DirectoryListing,
    InfoPage,
    ServiceContract,
)
from residents.access import standing
from residents.demo import seed_demo
from residents.models import Residence

from .conftest import make_contact, make_contract, make_page

pytestmark = pytest.mark.django_db


class TestBackOffice:
    def test_staff_see_their_syndics_residences_only(self, world, as_persona):
        mine = make_contact(world.home, name="Chez nous")
        theirs = make_contact(world.other, name="Chez eux")
        make_contract(world.home, mine)
        make_page(world.home)
        for model in ("contact", "servicecontract", "infopage"):
            url = reverse(f"backoffice:directory_{model}_changelist")
            response = as_persona("manager").get(url)
            assert response.status_code == 200, model
            assert {o.residence_id for o in response.context["cl"].result_list} == {
                world.home.pk
            }
        url = reverse("backoffice:directory_contact_change", args=[theirs.pk])
        assert as_persona("manager").get(url).status_code == 302  # not theirs
        response = as_persona("other_staff").get(
            reverse("backoffice:directory_contact_changelist")
        )
        assert [o.name for o in response.context["cl"].result_list] == ["Chez eux"]

    def test_contract_provider_must_belong_to_the_residence(self, world, as_persona):
        foreign = make_contact(world.other, name="Ailleurs SA")
        mine = make_contact(world.home, name="Chez nous")
        client = as_persona("manager")
        url = reverse("backoffice:directory_servicecontract_add")
        choices = client.get(url).context["adminform"].form.fields["provider"].queryset
        assert list(choices) == [mine]
        data = {
            "residence": world.home.pk,
            "provider": mine.pk,
            "kind": ContractKind.LIFT,
            "starts_on": "2026-01-01",
        }
        assert client.post(url, data).status_code == 302
        assert ServiceContract.objects.get().provider == mine
        response = client.post(url, {**data, "provider": foreign.pk})
        assert response.status_code == 200
        assert ServiceContract.objects.count() == 1

    def test_admin_edits_go_through_the_services(self, world, as_persona):
        client = as_persona("staff")
        response = client.post(
            reverse("backoffice:directory_infopage_add"),
            {
                "residence": world.home.pk,
                "title": "Tri des déchets",
                "category": "waste",
                "body": "Bac jaune.",
                "order": 0,
            },  # fmt: skip
        )
        assert response.status_code == 302
        page = InfoPage.objects.get()
        assert page.slug == "tri-des-dechets"
        assert page.updated_by == world.user("staff")


def test_demo_is_idempotent_and_realistic(db):
    seed_demo()
    residences = {r.slug: r for r in Residence.objects.all()}
    demo.seed(residences)

    def counts():
        return (
            Contact.objects.count(),
            ServiceContract.objects.count(),
            InfoPage.objects.count(),
            DirectoryListing.objects.count(),
        )

    first = counts()
    demo.seed(residences)
    assert counts() == first
    tilleuls = residences["les-tilleuls"]
    kinds = sorted(
        Contact.objects.filter(residence=tilleuls).values_list("kind", flat=True)
    )
    assert kinds.count(ContactKind.CARETAKER) == 1
    assert kinds.count(ContactKind.SYNDIC_CONTACT) == 2
    assert kinds.count(ContactKind.PROVIDER) == 3
    assert kinds.count(ContactKind.EMERGENCY) == 2
    assert InfoPage.objects.filter(residence=tilleuls).count() == 4
    for slug, email in (
        ("les-tilleuls", "proprietaire.tilleuls@copro.demo"),
        ("clos-des-vignes", "proprietaire.vignes@copro.demo"),
    ):
        listing = DirectoryListing.objects.get(
            membership__residence__slug=slug, membership__user__email=email
        )
        assert listing.listed
    manager = tilleuls.syndic.employees.first().user
    renewals = list(selectors.contracts_to_renew(standing(manager, tilleuls.slug)))
    assert [c.kind for c in renewals] == [ContractKind.LIFT]
    assert renewals[0].renewal_on == timezone.localdate() + timedelta(days=45)
    hits = selectors.search_info_pages(standing(manager, tilleuls.slug), "poubel")
    assert hits and hits[0].page.category == "waste"
    # what users delete stays deleted
    Contact.objects.filter(kind=ContactKind.EMERGENCY).delete()
    demo.seed(residences)
    assert not Contact.objects.filter(kind=ContactKind.EMERGENCY).exists()
