"""Document categories, with the ones French law requires in the online space.

Décret n° 2019-502 lists three scopes (see shared DOMAIN.md §1): documents for all
co-owners (art. 1), each co-owner's own documents (art. 2) and the council's (art. 3).
`LEGAL_REQUIREMENTS` drives the checklist: for each required category, how recent the
latest document must be to count as current (None: any version in force counts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    # Art. 1: all co-owners
    REGLEMENT = "reglement", _("Co-ownership rules (règlement de copropriété)")
    EDD = "edd", _("Division statement (état descriptif de division)")
    FICHE_SYNTHETIQUE = "fiche_synthetique", _("Summary sheet (fiche synthétique)")
    CARNET_ENTRETIEN = "carnet_entretien", _("Maintenance log (carnet d'entretien)")
    DIAGNOSTICS = "diagnostics", _("Technical diagnostics")
    INSURANCE = "insurance", _("Building insurance")
    CONTRACTS = "contracts", _("Contracts and markets")
    MAINTENANCE_CONTRACTS = "maintenance", _("Equipment maintenance contracts")
    MINUTES = "minutes", _("General assembly minutes (PV d'AG)")
    QUOTES = "quotes", _("Quotes approved by the AG")
    SYNDIC_CONTRACT = "syndic_contract", _("Syndic contract")
    # Art. 2: each co-owner, for themselves
    OWNER_ACCOUNT = "owner_account", _("Individual account statement")
    OWNER_CHARGES = "owner_charges", _("Charges paid")
    OWNER_WORKS_FUND = "owner_works_fund", _("Share of the works fund")
    OWNER_CALLS = "owner_calls", _("Calls for funds")
    # Art. 3: the council
    BANK_STATEMENTS = "bank_statements", _("General balances and bank statements")
    OWNERS_LIST = "owners_list", _("List of co-owners")
    SYNDIC_CARD = "syndic_card", _("Syndic's professional card")
    SYNDIC_INSURANCE = "syndic_insurance", _("Syndic's liability insurance")
    SYNDIC_GUARANTEE = "syndic_guarantee", _("Syndic's financial guarantee")
    PROCEEDINGS = "proceedings", _("Writs and court decisions")
    # Free categories
    BUDGET = "budget", _("Budget")
    ACCOUNTS = "accounts", _("Accounts")
    INVOICES = "invoices", _("Invoices")
    REPORTS = "reports", _("Intervention reports")
    CONVOCATIONS = "convocations", _("AG convocations")
    OTHER = "other", _("Other")


class Scope(models.TextChoices):
    ALL_OWNERS = "all_owners", _("All co-owners (décret 2019-502, art. 1)")
    EACH_OWNER = "each_owner", _("Each co-owner, for themselves (art. 2)")
    COUNCIL = "council", _("The council (art. 3)")


@dataclass(frozen=True)
class Requirement:
    category: Category
    scope: Scope
    max_age_days: int | None  # None: the latest in force counts, whatever its age
    per_owner: bool = False


LEGAL_REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(Category.REGLEMENT, Scope.ALL_OWNERS, None),
    Requirement(Category.EDD, Scope.ALL_OWNERS, None),
    Requirement(Category.FICHE_SYNTHETIQUE, Scope.ALL_OWNERS, 366),
    Requirement(Category.CARNET_ENTRETIEN, Scope.ALL_OWNERS, 366),
    Requirement(Category.DIAGNOSTICS, Scope.ALL_OWNERS, None),
    Requirement(Category.INSURANCE, Scope.ALL_OWNERS, 366),
    Requirement(Category.CONTRACTS, Scope.ALL_OWNERS, None),
    Requirement(Category.MAINTENANCE_CONTRACTS, Scope.ALL_OWNERS, None),
    Requirement(Category.MINUTES, Scope.ALL_OWNERS, 366),
    Requirement(Category.SYNDIC_CONTRACT, Scope.ALL_OWNERS, None),
    Requirement(Category.OWNER_ACCOUNT, Scope.EACH_OWNER, 366, per_owner=True),
    Requirement(Category.OWNER_CHARGES, Scope.EACH_OWNER, 366, per_owner=True),
    Requirement(Category.OWNER_WORKS_FUND, Scope.EACH_OWNER, 366, per_owner=True),
    Requirement(Category.OWNER_CALLS, Scope.EACH_OWNER, 366, per_owner=True),
    Requirement(Category.BANK_STATEMENTS, Scope.COUNCIL, 366),
    Requirement(Category.OWNERS_LIST, Scope.COUNCIL, 366),
    Requirement(Category.SYNDIC_CARD, Scope.COUNCIL, None),
    Requirement(Category.SYNDIC_INSURANCE, Scope.COUNCIL, 366),
    Requirement(Category.SYNDIC_GUARANTEE, Scope.COUNCIL, 366),
    Requirement(Category.PROCEEDINGS, Scope.COUNCIL, None),
)
