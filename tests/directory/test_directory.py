"""The directory page, residents' opt-in listings, contacts and contracts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from directory import selectors, services
from directory.models import (
    Contact,
    ContactKind,
    ContractKind,
    DirectoryListing,
    ServiceContract,
)
from residents.access import standing
from residents.models import Lot, Membership, MembershipStatus, Role

from ..conftest import login
from ..factories import make_member, make_user
from .conftest import make_contact, make_contract, snapshot

pytestmark = pytest.mark.django_db


def _index(world):
    return reverse("directory:index", args=[world.home.slug])


def _list(membership, **choices):
    data = {"listed": True, **choices}
    return services.listing_save(membership=membership, **data)


def _membership(world, persona):
    return Membership.objects.get(user=world.user(persona), residence=world.home)


class TestDirectoryPage:
    def test_sections_show_council_syndic_contacts_and_current_contracts(
        self, world, as_persona
    ):
        syndic = world.home.syndic
        syndic.email, syndic.phone = "contact@horizon.example", "04 72 10 20 30"
        syndic.save()
        provider = make_contact(world.home, name="Ascenseurs Dupont")
        make_contract(world.home, provider, reference="CURRENT-1")
        make_contract(
            world.home,
            provider,
            kind=ContractKind.CLEANING,
            reference="ENDED-1",
            starts_on=date(2020, 1, 1),
            ends_on=timezone.localdate() - timedelta(days=1),
        )
        make_contact(world.home, ContactKind.CARETAKER, "Mme Fernandes")
        make_contact(world.home, ContactKind.SYNDIC_CONTACT, "Claire Dubois")
        make_contact(world.other, ContactKind.CARETAKER, "Gardien d'ailleurs")

        response = as_persona("tenant").get(_index(world))
        html = response.content.decode()
        council = [
            (m.user, m.role) for m in response.context["council"]
        ]  # president first
        assert council == [
            (world.user("president"), Role.COUNCIL_PRESIDENT),
            (world.user("council"), Role.COUNCIL_MEMBER),
        ]
        assert "Council president" in html
        assert syndic.name in html and "contact@horizon.example" in html
        assert 'href="tel:0472102030"' in html
        sections = response.context["sections"]
        assert [c.name for c in sections.caretakers] == ["Mme Fernandes"]
        assert [c.name for c in sections.syndic_contacts] == ["Claire Dubois"]
        assert [c.reference for c in sections.providers[0].current_contracts] == [
            "CURRENT-1"
        ]
        assert "CURRENT-1" in html and "ENDED-1" not in html
        assert "Gardien d'ailleurs" not in html
        # tenants read, they do not edit
        assert reverse("directory:contact_new", args=[world.home.slug]) not in html

    def test_national_numbers_always_shown_and_residence_emergencies_too(
        self, world, as_persona
    ):
        html = as_persona("owner").get(_index(world)).content.decode()
        for number in ("tel:15", "tel:17", "tel:18", "tel:112"):
            assert f'href="{number}"' in html
        make_contact(
            world.home, ContactKind.EMERGENCY, "Plombier d'astreinte", phone="06 12"
        )
        response = as_persona("owner").get(_index(world))
        assert [c.name for c in response.context["sections"].emergency] == [
            "Plombier d'astreinte"
        ]
        assert 'href="tel:15"' in response.content.decode()

    def test_managers_see_edit_links(self, world, as_persona):
        contact = make_contact(world.home, ContactKind.CARETAKER, "Mme Fernandes")
        html = as_persona("council").get(_index(world)).content.decode()
        assert (
            reverse("directory:contact_edit", args=[world.home.slug, contact.pk])
            in html
        )

    def test_contact_search_by_name_or_organisation_ignores_accents(
        self, world, as_persona
    ):
        make_contact(world.home, name="Jean Martin", organisation="Sécurité Plus")
        make_contact(world.home, ContactKind.CARETAKER, "Mme Fernandes")
        client = as_persona("tenant")
        response = client.get(_index(world), {"q": "securite"})
        sections = response.context["sections"]
        assert [c.name for c in sections.providers] == ["Jean Martin"]
        assert sections.caretakers == []
        assert response.context["listings"] is None  # residents are not searched
        response = client.get(_index(world), {"q": "FERNAND"})
        assert [c.name for c in response.context["sections"].caretakers] == [
            "Mme Fernandes"
        ]
        response = client.get(_index(world), {"q": "zzz"})
        assert "No contact matches." in response.content.decode()


class TestListings:
    def test_residents_appear_only_if_listed_with_the_fields_they_chose(
        self, world, as_persona
    ):
        owner = _membership(world, "owner")
        owner.user.phone = "+33 6 11 22 33 44"
        owner.user.save()
        lot = owner.lots.order_by("number").first()
        Lot.objects.filter(pk=lot.pk).update(building="Bât. B", floor=3)
        _list(owner, show_lots=True, show_phone=True, note="Colis bienvenus")
        tenant = _membership(world, "tenant")
        _list(tenant, listed=False, show_email=True)  # chose not to appear

        response = as_persona("council").get(_index(world))
        html = response.content.decode()
        assert [listing.membership_id for listing in response.context["listings"]] == [
            owner.pk
        ]
        assert owner.user.get_full_name() in html
        assert "Colis bienvenus" in html
        assert 'href="tel:+33611223344"' in html
        assert "Bât. B" in html
        assert owner.user.email not in html  # email not chosen
        assert tenant.user.get_full_name() not in html

    def test_members_who_leave_or_are_blocked_disappear(self, world, as_persona):
        owner = _membership(world, "owner")
        _list(owner)
        leaving = make_member(world.home, Role.OWNER)
        _list(leaving)
        pending = make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
        _list(pending)
        elsewhere = make_member(world.other, Role.OWNER)
        _list(elsewhere)
        url = _index(world)
        shown = {
            lst.membership_id
            for lst in as_persona("tenant").get(url).context["listings"]
        }
        assert shown == {owner.pk, leaving.pk}
        Membership.objects.filter(pk=leaving.pk).update(status=MembershipStatus.LEFT)
        Membership.objects.filter(pk=owner.pk).update(
            until=timezone.localdate() - timedelta(days=1)
        )
        shown = {
            lst.membership_id
            for lst in as_persona("council").get(url).context["listings"]
        }
        assert shown == set()

    def test_my_listing_flow_opt_in_then_out(self, world, as_persona):
        client = as_persona("tenant")
        url = reverse("directory:my_listing", args=[world.home.slug])
        form = client.get(url).context["form"]
        assert form.initial["listed"] is False  # nobody is listed by default
        response = client.post(
            url, {"listed": "on", "show_email": "on", "note": "Porte gauche"}
        )
        assert response.status_code == 302
        listing = DirectoryListing.objects.get(membership=_membership(world, "tenant"))
        assert (listing.listed, listing.show_email, listing.show_phone) == (
            True,
            True,
            False,
        )
        html = client.get(_index(world)).content.decode()
        assert "Porte gauche" in html and world.user("tenant").email in html
        client.post(url, {"note": "Porte gauche"})  # unticked: leaves the directory
        assert DirectoryListing.objects.count() == 1  # still one per membership
        assert "Porte gauche" not in client.get(_index(world)).content.decode()
        assert listing.history.count() == 2

    def test_bad_listing_input_rerenders_and_saves_nothing(self, world, as_persona):
        client = as_persona("owner")
        url = reverse("directory:my_listing", args=[world.home.slug])
        response = client.post(url, {"listed": "on", "note": "x" * 201})
        assert response.status_code == 200
        assert response.context["form"].errors["note"]
        assert "x" * 201 in response.content.decode()
        assert not DirectoryListing.objects.exists()

    def test_staff_have_no_listing_of_their_own(self, world, as_persona):
        response = as_persona("staff").get(
            reverse("directory:my_listing", args=[world.home.slug])
        )
        assert response.status_code == 200
        assert response.context["form"] is None

    def test_listings_are_paginated_by_fifty(self, world, as_persona):
        for n in range(53):
            _list(
                make_member(world.home, Role.OWNER, user=make_user(last_name=f"Z{n}"))
            )
        client = as_persona("owner")
        first = client.get(_index(world)).context["listings"]
        assert len(first.object_list) == 50 and first.paginator.num_pages == 2
        second = client.get(_index(world), {"page": 2}).context["listings"]
        assert len(second.object_list) == 3


class TestContacts:
    def test_create_contact_flow(self, world, as_persona):
        client = as_persona("council")
        url = reverse("directory:contact_new", args=[world.home.slug])
        assert client.get(url, {"kind": "emergency"}).context["form"].initial[
            "kind"
        ] == ("emergency")
        response = client.post(
            url,
            {
                "kind": ContactKind.CARETAKER,
                "name": "M. Lambert",
                "role": "Gardien",
                "phone": "05 56 44 21 09",
                "hours": "Lun–ven 8 h–12 h",
                "order": 0,
            },
        )
        assert response.status_code == 302
        contact = Contact.objects.get()
        assert (contact.residence, contact.kind) == (world.home, ContactKind.CARETAKER)
        assert contact.history.count() == 1

    def test_bad_contact_input_rerenders_and_saves_nothing(self, world, as_persona):
        client = as_persona("manager")
        response = client.post(
            reverse("directory:contact_new", args=[world.home.slug]),
            {
                "kind": ContactKind.PROVIDER,
                "name": "",
                "email": "not-an-email",
                "organisation": "Net'Immo Propreté",
                "order": 0,
            },  # fmt: skip
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert "name" in errors and "email" in errors
        html = response.content.decode()
        assert "Net&#x27;Immo Propreté" in html and 'value="not-an-email"' in html
        assert not Contact.objects.exists()

    def test_edit_contact(self, world, as_persona):
        contact = make_contact(world.home, ContactKind.OTHER, "Conciergerie")
        response = as_persona("president").post(
            reverse("directory:contact_edit", args=[world.home.slug, contact.pk]),
            {"kind": ContactKind.OTHER, "name": "Conciergerie du quartier", "order": 2},
        )
        assert response.status_code == 302
        contact.refresh_from_db()
        assert (contact.name, contact.order) == ("Conciergerie du quartier", 2)

    def test_provider_with_contracts_cannot_be_deleted_nor_change_kind(
        self, world, as_persona
    ):
        provider = make_contact(world.home)
        make_contract(world.home, provider)
        client = as_persona("manager")
        delete = reverse(
            "directory:contact_delete", args=[world.home.slug, provider.pk]
        )
        page = client.get(delete)
        assert page.status_code == 200 and len(page.context["contracts"]) == 1
        before = snapshot()
        response = client.post(delete)
        assert response.status_code == 200
        assert "delete its contracts first" in response.content.decode()
        response = client.post(
            reverse("directory:contact_edit", args=[world.home.slug, provider.pk]),
            {"kind": ContactKind.EMERGENCY, "name": provider.name, "order": 0},
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert snapshot() == before

    def test_delete_contact_with_confirmation(self, world, as_persona):
        contact = make_contact(world.home, ContactKind.CARETAKER, "Mme Fernandes")
        client = as_persona("council")
        url = reverse("directory:contact_delete", args=[world.home.slug, contact.pk])
        assert "Mme Fernandes" in client.get(url).content.decode()
        assert Contact.objects.filter(pk=contact.pk).exists()  # GET deletes nothing
        assert client.post(url).status_code == 302
        assert not Contact.objects.filter(pk=contact.pk).exists()
        assert Contact.history.filter(id=contact.pk, history_type="-").exists()


class TestContracts:
    def test_create_contract_flow(self, world, as_persona):
        provider = make_contact(world.home)
        client = as_persona("staff")
        url = reverse("directory:contract_new", args=[world.home.slug])
        form = client.get(url, {"provider": provider.pk}).context["form"]
        assert list(form.fields["provider"].queryset) == [provider]
        response = client.post(
            url,
            {
                "provider": provider.pk,
                "kind": ContractKind.LIFT,
                "reference": "ASC-2026",
                "starts_on": "2026-01-01",
                "ends_on": "2029-01-01",
                "renewal_on": "2027-01-01",
                "notice": "3 mois",
            },
        )
        assert response.status_code == 302
        contract = ServiceContract.objects.get()
        assert contract.residence == world.home
        assert contract.ends_on == date(2029, 1, 1)
        assert contract.history.count() == 1

    def test_provider_must_be_a_provider_of_this_residence(self, world, as_persona):
        caretaker = make_contact(world.home, ContactKind.CARETAKER, "Mme Fernandes")
        foreign = make_contact(world.other, name="Ailleurs SA")
        client = as_persona("council")
        url = reverse("directory:contract_new", args=[world.home.slug])
        for contact in (caretaker, foreign):
            response = client.post(
                url,
                {
                    "provider": contact.pk,
                    "kind": ContractKind.CLEANING,
                    "starts_on": "2026-01-01",
                },  # fmt: skip
            )
            assert response.status_code == 200
            assert response.context["form"].errors["provider"]
        with pytest.raises(ValidationError):
            services.contract_save(
                residence=world.home,
                provider=caretaker,
                kind=ContractKind.CLEANING,
                starts_on=date(2026, 1, 1),
            )
        with pytest.raises(ValidationError):
            services.contract_save(
                residence=world.home,
                provider=foreign,
                kind=ContractKind.CLEANING,
                starts_on=date(2026, 1, 1),
            )
        assert not ServiceContract.objects.exists()

    def test_end_before_start_rerenders_and_saves_nothing(self, world, as_persona):
        provider = make_contact(world.home)
        response = as_persona("manager").post(
            reverse("directory:contract_new", args=[world.home.slug]),
            {
                "provider": provider.pk,
                "kind": ContractKind.HEATING,
                "reference": "CH-77",
                "starts_on": "2026-06-01",
                "ends_on": "2026-01-01",
            },  # fmt: skip
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "The end must come after the start." in html
        assert 'value="CH-77"' in html and 'value="2026-01-01"' in html
        assert not ServiceContract.objects.exists()

    def test_database_refuses_an_end_before_the_start(self, world):
        from django.db import IntegrityError, transaction

        provider = make_contact(world.home)
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceContract.objects.create(
                residence=world.home,
                provider=provider,
                kind=ContractKind.LIFT,
                starts_on=date(2026, 1, 2),
                ends_on=date(2026, 1, 1),
            )

    def test_edit_and_delete_contract(self, world, as_persona):
        contract = make_contract(world.home, make_contact(world.home))
        client = as_persona("council")
        response = client.post(
            reverse("directory:contract_edit", args=[world.home.slug, contract.pk]),
            {
                "provider": contract.provider_id,
                "kind": ContractKind.LIFT,
                "reference": "ASC-NEW",
                "starts_on": "2024-01-01",
            },  # fmt: skip
        )
        assert response.status_code == 302
        contract.refresh_from_db()
        assert contract.reference == "ASC-NEW"
        url = reverse("directory:contract_delete", args=[world.home.slug, contract.pk])
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 302
        assert not ServiceContract.objects.exists()

    def test_contracts_to_renew(self, world):
        today = timezone.localdate()
        provider = make_contact(world.home)
        soon = make_contract(
            world.home, provider, renewal_on=today + timedelta(days=45)
        )
        sooner = make_contract(
            world.home,
            provider,
            kind=ContractKind.INSURANCE,
            renewal_on=today + timedelta(days=10),
        )
        make_contract(  # too far
            world.home, provider, renewal_on=today + timedelta(days=90)
        )
        make_contract(  # ended: nothing to renew
            world.home,
            provider,
            starts_on=date(2020, 1, 1),
            ends_on=today - timedelta(days=1),
            renewal_on=today + timedelta(days=5),
        )
        make_contract(  # renewal already past
            world.home, provider, renewal_on=today - timedelta(days=1)
        )
        elsewhere = make_contact(world.other)
        make_contract(world.other, elsewhere, renewal_on=today + timedelta(days=5))

        council = standing(world.user("council"), world.home.slug)
        assert list(selectors.contracts_to_renew(council)) == [sooner, soon]
        assert list(selectors.contracts_to_renew(council, within_days=30)) == [sooner]
        assert selectors.dashboard_contracts_to_renew(council) == [sooner, soon]
        owner = standing(world.user("owner"), world.home.slug)
        assert list(selectors.contracts_to_renew(owner)) == []
        assert selectors.dashboard_contracts_to_renew(owner) == []

    def test_contract_list_shows_ended_ones_and_renewals(self, world, as_persona):
        today = timezone.localdate()
        provider = make_contact(world.home)
        make_contract(world.home, provider, reference="SOON",
                      renewal_on=today + timedelta(days=20))  # fmt: skip
        make_contract(world.home, provider, reference="OLD",
                      starts_on=date(2019, 1, 1), ends_on=date(2020, 1, 1))  # fmt: skip
        response = as_persona("manager").get(
            reverse("directory:contracts", args=[world.home.slug])
        )
        html = response.content.decode()
        assert "OLD" in html and "(ended)" in html
        assert [c.reference for c in response.context["to_renew"]] == ["SOON"]


def test_dashboard_selector_query_count(world, django_assert_num_queries):
    provider = make_contact(world.home)
    today = timezone.localdate()
    council = standing(world.user("council"), world.home.slug)
    for n in range(25):
        make_contract(world.home, provider, renewal_on=today + timedelta(days=n))
    with django_assert_num_queries(1):  # contracts joined with their provider
        rows = selectors.dashboard_contracts_to_renew(council)
        assert [str(c.provider) for c in rows]
    assert len(rows) == 5


def _fill(world, n: int) -> None:
    """n contacts of each kind, n providers' contracts, n council members and
    n listed residents with lots."""
    lots = list(world.home.lots.all())
    for i in range(n):
        for kind in ContactKind.values:
            contact = make_contact(world.home, kind, f"{kind} {i}", phone="01 02")
            if kind == ContactKind.PROVIDER:
                make_contract(world.home, contact, renewal_on=date(2030, 1, 1))
        make_member(world.home, Role.COUNCIL_MEMBER)
        member = make_member(world.home, Role.OWNER, lots=lots[:2])
        _list(member, show_lots=True, show_email=True, show_phone=True)


def test_directory_query_count_is_constant(
    world, client, django_assert_max_num_queries
):
    login(client, world.user("owner"))
    url = _index(world)
    client.get(url)  # the first visit also writes the session
    _fill(world, 1)
    # session, user, standing, council, contacts, their current contracts, listing
    # count, listing page, their lots, badge, switcher
    with django_assert_max_num_queries(11):
        response = client.get(url)
    assert len(response.context["listings"].object_list) == 1
    _fill(world, 22)
    with django_assert_max_num_queries(11):
        response = client.get(url)
    assert len(response.context["listings"].object_list) == 23
    assert len(response.context["sections"].providers) == 23


def test_contract_list_query_count_is_constant(
    world, client, django_assert_max_num_queries
):
    login(client, world.user("manager"))
    url = reverse("directory:contracts", args=[world.home.slug])
    provider = make_contact(world.home)
    make_contract(world.home, provider, renewal_on=timezone.localdate())
    client.get(url)  # the first visit also writes the session
    # session, user, standing, contracts, to renew, badge, switcher, staff MFA check
    with django_assert_max_num_queries(8):
        client.get(url)
    for _ in range(25):
        make_contract(world.home, make_contact(world.home), renewal_on=date(2030, 1, 1))
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(response.context["contracts"]) == 26
