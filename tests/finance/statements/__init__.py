"""Sample bank statements, as French banks export them, and the residence they are
read against in the bank tests.

Placeholders such as @REF_OWNER@ stand for call notice references, which hold
database ids: `sample()` puts the real ones in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from finance import notices, services
from finance.models import Account, FundCall

HERE = Path(__file__).parent


def sample(name: str, **references: str) -> bytes:
    """The file's bytes, each @KEY@ replaced by `references[key]` (ASCII)."""
    data = (HERE / name).read_bytes()
    for key, value in references.items():
        data = data.replace(f"@{key}@".encode(), value.encode())
    return data


@dataclass
class Bank:
    """The home residence with its 2027 budget issued: four quarterly calls. The
    owner Jean Dupont (lots 1-2) and the council member Marie Lefèvre (lot 3) owe
    450.00 € a quarter, the president Paul Martin (lot 4) 600.00 €."""

    world: object
    calls: list[FundCall]
    accounts: dict[str, Account]

    def reference(self, persona: str, period: int = 1) -> str:
        return notices.reference(self.calls[period - 1], self.accounts[persona])

    def references(self) -> dict[str, str]:
        return {
            "REF_OWNER": self.reference("owner"),
            "REF_COUNCIL": self.reference("council"),
            "REF_PRESIDENT": self.reference("president"),
        }

    def sample(self, name: str) -> bytes:
        return sample(name, **self.references())


NAMES = {
    "owner": ("Jean", "Dupont"),
    "council": ("Marie", "Lefèvre"),
    "president": ("Paul", "Martin"),
}


def bank_world(world, year: int = 2027) -> Bank:
    for persona, (first, last) in NAMES.items():
        user = world.user(persona)
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    key = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=year,
        lines={key.pk: Decimal("12000")},
        works_fund=Decimal("600"),
        by=world.user("manager"),
    )
    calls = sorted(
        services.budget_calls_issue(budget=budget, by=world.user("manager")),
        key=lambda call: call.period,
    )
    accounts = {
        persona: Account.objects.get(residence=world.home, owner=world.user(persona))
        for persona in NAMES
    }
    return Bank(world=world, calls=calls, accounts=accounts)
