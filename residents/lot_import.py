"""Importing lots from a CSV: parse and check every line first, then apply all or none.

Columns: `number` (required), `kind`, `floor`, `building`, `owner_email`, then one
column per allocation key, named by the key's code (e.g. `generales`, `ascenseur`),
holding the lot's integer tantièmes in that key (empty or 0: it does not bear the key).
Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import (
    AllocationKey,
    Invitation,
    Lot,
    LotKind,
    LotShare,
    Membership,
    MembershipStatus,
    Residence,
    Role,
    User,
)

BASE_COLUMNS = ("number", "kind", "floor", "building", "owner_email")

_KIND_ALIASES = {
    "appartement": LotKind.APARTMENT,
    "cave": LotKind.CELLAR,
    "commerce": LotKind.SHOP,
    "bureau": LotKind.OFFICE,
    "autre": LotKind.OTHER,
    "stationnement": LotKind.PARKING,
}


@dataclass
class LotRow:
    line: int
    number: int
    kind: str
    floor: int | None
    building: str
    owner_email: str
    shares: dict[str, int]


@dataclass
class ImportPlan:
    rows: list[LotRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    key_codes: list[str] = field(default_factory=list)
    new_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _parse_kind(value: str) -> str | None:
    value = value.strip().lower()
    if not value:
        return LotKind.APARTMENT
    if value in LotKind.values:
        return value
    return _KIND_ALIASES.get(value)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is not a text CSV file."))


def plan_import(residence: Residence, data: bytes) -> ImportPlan:
    """Read and check the whole file; nothing is written."""
    plan = ImportPlan()
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "number" not in headers:
        plan.errors.append(
            (1, _("The first line must name the columns, with 'number'."))
        )
        return plan
    reader.fieldnames = headers
    plan.key_codes = [h for h in headers if h and h not in BASE_COLUMNS]
    existing = set(residence.allocation_keys.values_list("code", flat=True))
    for code in plan.key_codes:
        if slugify(code) != code:
            plan.errors.append(
                (1, _("Column '%(col)s' is not a valid key code.") % {"col": code})
            )
    plan.new_keys = [code for code in plan.key_codes if code not in existing]
    seen: set[int] = set()
    for line, raw in enumerate(reader, start=2):
        row, problems = _parse_row(line, raw, plan.key_codes)
        if row is not None and row.number in seen:
            problems.append(_("Lot %(n)s appears twice.") % {"n": row.number})
        plan.errors.extend((line, p) for p in problems)
        if row is not None and not problems:
            seen.add(row.number)
            plan.rows.append(row)
    if not plan.rows and not plan.errors:
        plan.errors.append((2, _("The file has no lot lines.")))
    return plan


def _parse_row(line: int, raw: dict, key_codes: list[str]):
    problems: list[str] = []
    if None in raw:
        problems.append(_("This line has more values than there are columns."))
    get = lambda name: (raw.get(name) or "").strip()  # noqa: E731
    try:
        number = int(get("number"))
        if number <= 0:
            raise ValueError
    except ValueError:
        return None, [_("'number' must be a positive whole number.")]
    kind = _parse_kind(get("kind"))
    if kind is None:
        problems.append(_("Unknown kind '%(kind)s'.") % {"kind": get("kind")})
    floor = None
    if get("floor"):
        try:
            floor = int(get("floor"))
        except ValueError:
            problems.append(_("'floor' must be a whole number."))
    email = get("owner_email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                _("'%(email)s' is not an email address.") % {"email": email}
            )
    shares: dict[str, int] = {}
    for code in key_codes:
        value = get(code)
        if not value:
            continue
        if not value.isdigit():
            problems.append(
                _("Tantièmes for '%(key)s' must be a whole number, not '%(value)s'.")
                % {"key": code, "value": value}
            )
            continue
        if int(value) > 0:
            shares[code] = int(value)
    row = LotRow(line, number, kind or "", floor, get("building")[:60], email, shares)
    return row, problems


@transaction.atomic
def apply_import(residence: Residence, plan: ImportPlan, *, by: User) -> dict[str, int]:
    """Write a checked plan. Lots are matched by number; owners are attached when they
    have an account, invited otherwise."""
    if not plan.ok:
        raise ValidationError(_("The file has errors: nothing was imported."))
    residence = Residence.objects.select_for_update().get(pk=residence.pk)
    keys = {k.code: k for k in residence.allocation_keys.all()}
    for code in plan.key_codes:
        if code not in keys:
            keys[code] = AllocationKey.objects.create(
                residence=residence,
                code=code,
                name=code.replace("-", " ").capitalize(),
                is_general=not any(k.is_general for k in keys.values()),
            )
    lots = {lot.number: lot for lot in residence.lots.prefetch_related("shares")}
    counts = {"created": 0, "updated": 0, "invited": 0, "attached": 0}
    invites: dict[str, list[Lot]] = {}
    users = {
        u.email.lower(): u
        for u in User.objects.filter(
            email__in=[r.owner_email for r in plan.rows if r.owner_email]
        )
    }
    for row in plan.rows:
        lot = lots.get(row.number)
        is_new = lot is None
        fields = {"kind": row.kind, "floor": row.floor, "building": row.building}
        changed: list[str] = []
        if is_new:
            lot = Lot.objects.create(residence=residence, number=row.number, **fields)
            counts["created"] += 1
            current = {}
        else:
            changed = [f for f, v in fields.items() if getattr(lot, f) != v]
            for name in changed:
                setattr(lot, name, fields[name])
            if changed:
                lot.save(update_fields=changed)
            current = {s.key_id: s for s in lot.shares.all()}
        touched = bool(changed)
        for code in plan.key_codes:
            key = keys[code]
            units = row.shares.get(code)
            share = current.get(key.pk)
            if units and share is None:
                LotShare.objects.create(lot=lot, key=key, units=units)
                touched = True
            elif units and share.units != units:
                share.units = units
                share.save(update_fields=["units"])
                touched = True
            elif not units and share is not None:
                share.delete()
                touched = True
        if touched and not is_new:
            counts["updated"] += 1
        if row.owner_email:
            user = users.get(row.owner_email)
            if user is not None:
                if _attach_owner(residence, user, lot, by):
                    counts["attached"] += 1
            else:
                invites.setdefault(row.owner_email, []).append(lot)
    for email, owned in invites.items():
        if _invite_owner(residence, email, owned, by):
            counts["invited"] += 1
    return counts


def _attach_owner(residence: Residence, user: User, lot: Lot, by: User) -> bool:
    membership, created = Membership.objects.get_or_create(
        user=user,
        residence=residence,
        defaults={
            "role": Role.OWNER,
            "status": MembershipStatus.ACTIVE,
            "decided_by": by,
        },
    )
    if membership.lots.filter(pk=lot.pk).exists():
        return False
    membership.lots.add(lot)
    return True


def _invite_owner(residence: Residence, email: str, lots: list[Lot], by: User) -> bool:
    from .services import invitation_create

    pending = Invitation.objects.filter(
        residence=residence,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).first()
    if pending is not None:
        pending.lots.add(*lots)
        return False
    invitation_create(
        residence=residence, email=email, role=Role.OWNER, lots=lots, invited_by=by
    )
    return True
