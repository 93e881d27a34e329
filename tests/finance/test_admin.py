"""The back office reads the ledger, scoped to the staff member's syndic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finance import services
from finance.models import EntryKind

from ..conftest import login

pytestmark = pytest.mark.django_db


def test_entries_are_listed_for_the_residences_syndic_only_and_read_only(world, client):
    account = services.account_for(world.home, world.user("owner").pk)
    services.entry_post(
        account=account, kind=EntryKind.PAYMENT, amount=Decimal("-42.00"), label="Chq 1"
    )
    url = reverse("backoffice:finance_entry_changelist")
    login(client, world.user("manager"))
    response = client.get(url)
    assert response.status_code == 200
    assert "Chq 1" in response.content.decode()
    add = client.get(reverse("backoffice:finance_entry_add"))
    assert add.status_code == 403
    login(client, world.user("other_staff"))
    assert "Chq 1" not in client.get(url).content.decode()


@pytest.mark.parametrize("model", ["bankline", "reminder", "attestation"])
def test_statement_lines_reminders_and_attestations_are_read_only(world, client, model):
    login(client, world.user("manager"))
    changelist = client.get(reverse(f"backoffice:finance_{model}_changelist"))
    assert changelist.status_code == 200
    assert client.get(reverse(f"backoffice:finance_{model}_add")).status_code == 403
