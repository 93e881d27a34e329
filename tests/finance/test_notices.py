"""Call notices: one PDF per co-owner and call, rendered on demand, exact."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from finance import services
from finance.models import CallShare, Entry
from residents.models import Lot, LotShare, Role, SyndicRole

from ..conftest import login
from ..factories import add_key, make_employee, make_member, make_residence

pytestmark = pytest.mark.django_db

D = Decimal


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def _text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def calls(world):
    """2027 in four calls: 10 000.01 € on the general key, 999.99 € on the lift
    (lots 1 and 3 only), a fonds de travaux of 550.03 €."""
    general = world.home.allocation_keys.get(is_general=True)
    lift = add_key(world.home, "ascenseur", "Ascenseur")
    for lot in world.home.lots.filter(number__in=[1, 3]):
        LotShare.objects.create(lot=lot, key=lift, units=7)
    budget = services.budget_save(
        residence=world.home,
        year=2027,
        lines={general.pk: D("10000.01"), lift.pk: D("999.99")},
        works_fund=D("550.03"),
        by=world.user("manager"),
    )
    return services.budget_calls_issue(budget=budget, by=world.user("manager"))


def _url(world, call):
    return reverse("finance:call_notice", args=[world.home.slug, call.pk])


def _amounts(text: str) -> list[Decimal]:
    return [D(a) for a in re.findall(r"(\d+\.\d{2}) €", text)]


def test_the_owner_notice_lists_lots_keys_amounts_and_due_date(
    world, calls, client, settings
):
    settings.COPRO_RESIDENCE_IBAN = ""
    owner = world.user("owner")
    english(client, owner)
    call = calls[0]
    text = _text(client.get(_url(world, call)))
    entry = Entry.objects.get(call=call, account__owner=owner)
    shares = CallShare.objects.filter(call=call, lot__number__in=[1, 2])
    assert "Les Tilleuls" in text and call.label in text
    assert "Lot 1" in text and "Lot 2" in text and "Lot 3" not in text
    assert "Ascenseur" in text and "Fonds de travaux" in text
    assert "01/01/2027" in text
    assert f"{world.home.slug}-{call.pk}-{entry.account_id}" in text
    # Every share is printed, they add up to the owner's ledger entry, and so does
    # the total due.
    printed = _amounts(text)
    for share in shares:
        assert share.amount in printed
    assert sum(s.amount for s in shares) == entry.amount
    total = re.search(r"Total due: (\d+\.\d{2}) €", text)
    assert D(total.group(1)) == entry.amount
    # Per lot, the shares printed before the subtotal sum to it, subtotals to total.
    subtotals = [D(a) for a in re.findall(r"Lot \d+ subtotal (\d+\.\d{2}) €", text)]
    assert len(subtotals) == 2 and sum(subtotals) == entry.amount
    # The tantièmes: lot 1 has 100 of the general key's 2 100, 7 of the lift's 14.
    assert "100 2100" in text and "7 14" in text
    assert "Pay online or by transfer: details from your syndic." in text
    assert "FR76" not in text


def test_the_iban_and_bic_are_printed_when_configured(world, calls, client, settings):
    settings.COPRO_RESIDENCE_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
    settings.COPRO_RESIDENCE_BIC = "PSSTFRPPLYO"
    english(client, world.user("council"))
    text = _text(client.get(_url(world, calls[1])))
    assert "FR14 2004 1010 0505 0001 3M02 606" in text and "PSSTFRPPLYO" in text
    assert "Lot 3" in text and "01/04/2027" in text
    assert "details from your syndic" not in text


def test_every_notice_of_the_year_sums_to_the_owner_account(world, calls, client):
    owner = world.user("owner")
    english(client, owner)
    printed = D("0")
    for call in calls:
        text = _text(client.get(_url(world, call)))
        printed += D(re.search(r"Total due: (\d+\.\d{2}) €", text).group(1))
    assert printed == sum(e.amount for e in Entry.objects.filter(account__owner=owner))


def test_a_co_owner_cannot_download_another_co_owners_notice(world, calls, client):
    council = services.account_for(world.home, world.user("council").pk)
    login(client, world.user("owner"))
    assert client.get(_url(world, calls[0]), {"account": council.pk}).status_code == 404
    assert client.get(_url(world, calls[0]), {"account": "x"}).status_code == 404
    login(client, world.user("tenant"))
    assert client.get(_url(world, calls[0])).status_code == 403


def test_a_co_owner_without_a_lot_in_the_call_gets_nothing(world, calls, client):
    newcomer = make_member(world.home, Role.OWNER).user  # no lot
    login(client, newcomer)
    assert client.get(_url(world, calls[0])).status_code == 404


def test_the_syndic_downloads_any_co_owners_notice(world, calls, client):
    council = services.account_for(world.home, world.user("council").pk)
    english(client, world.user("staff"))
    assert client.get(_url(world, calls[0])).status_code == 404  # whose?
    text = _text(client.get(_url(world, calls[0]), {"account": council.pk}))
    assert "Lot 3" in text and "Lot 1" not in text
    response = client.get(_url(world, calls[0]), {"account": council.pk})
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("lots", [4, 40])
def test_a_notice_keeps_its_query_count(client, django_assert_max_num_queries, lots):
    """One co-owner holding every lot: the queries do not grow with the lots."""
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    lift = add_key(residence, "ascenseur", "Ascenseur")
    every = []
    for number in range(1, lots + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=101 + number)
        LotShare.objects.create(lot=lot, key=lift, units=3 + number % 5)
        every.append(lot)
    owner = make_member(residence, Role.OWNER, lots=every).user
    manager = make_employee(residence.syndic, SyndicRole.MANAGER)
    budget = services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("123456.78"), lift.pk: D("9876.54")},
        works_fund=D("6172.84"),
        by=manager,
    )
    call = services.budget_calls_issue(budget=budget, by=manager)[0]
    english(client, owner)
    url = reverse("finance:call_notice", args=[residence.slug, call.pk])
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    text = _text(response)
    entry = Entry.objects.get(call=call)
    assert D(re.search(r"Total due: (\d+\.\d{2}) €", text).group(1)) == entry.amount
    assert f"Lot {lots} subtotal" in text
