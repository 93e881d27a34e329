"""Directory fixtures: real rows made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from directory import services
from directory.models import (
    Contact,
    ContactKind,
    ContractKind,
    DirectoryListing,
    InfoCategory,
    InfoPage,
    ServiceContract,
)


def make_contact(residence, kind=ContactKind.PROVIDER, name="Ascenseurs Dupont", **kw):
    return services.contact_save(residence=residence, kind=kind, name=name, **kw)


def make_contract(residence, provider, kind=ContractKind.LIFT, **kw):
    data = {"starts_on": date(2024, 1, 1), "reference": "ASC-1", **kw}
    return services.contract_save(
        residence=residence, provider=provider, kind=kind, **data
    )


def make_page(residence, title="Collecte des poubelles", **kw):
    data = {
        "category": InfoCategory.WASTE,
        "body": "Les **poubelles** sortent le lundi soir.",
        **kw,
    }
    return services.info_page_save(residence=residence, by=None, title=title, **data)


@dataclass
class Things:
    provider: Contact
    caretaker: Contact
    contract: ServiceContract
    page: InfoPage


@pytest.fixture
def things(world) -> Things:
    provider = make_contact(world.home, organisation="Dupont SA", phone="04 78 00")
    return Things(
        provider=provider,
        caretaker=make_contact(
            world.home, ContactKind.CARETAKER, "Mme Fernandes", phone="06 12"
        ),
        contract=make_contract(world.home, provider),
        page=make_page(world.home),
    )


def snapshot() -> dict:
    """Everything a denied write must leave as it was."""
    return {
        "contacts": sorted(Contact.objects.values_list("pk", "kind", "name")),
        "contracts": sorted(
            ServiceContract.objects.values_list("pk", "kind", "provider_id", "ends_on")
        ),
        "pages": sorted(InfoPage.objects.values_list("pk", "title", "body")),
        "listings": sorted(
            DirectoryListing.objects.values_list("pk", "listed", "note")
        ),
    }


@pytest.fixture(autouse=True)
def _personas_read_english(request):
    """Pages render in the reader's language: English here, so that assertions on
    text keep holding once the French catalogue covers this app."""
    if "world" in request.fixturenames:
        from residents.models import User

        request.getfixturevalue("world")
        User.objects.update(language="en")
