import math
import time

from django.core.management.base import BaseCommand, CommandError

from documents.scale import seed_documents
from residents.demo import DEMO_PASSWORD, seed_demo
from residents.models import Residence
from residents.scale import seed_scale


class Command(BaseCommand):
    help = (
        "Create the demo residences and accounts (idempotent); "
        "--scale N adds N large residences; --documents N and --incidents N fill the "
        "generated residences with N documents / incidents in all; --entries N gives "
        "them ten years of charges up to N ledger entries in all (for `make bench`, "
        "e.g. `seed_demo --scale 3 --documents 100000 --incidents 100000 "
        "--entries 1000000`)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=0, help="add N generated residences"
        )
        parser.add_argument(
            "--lots", type=int, default=120, help="lots per generated residence"
        )
        parser.add_argument(
            "--documents",
            type=int,
            default=0,
            metavar="N",
            help=(
                "fill the generated residences (`--scale`, now or earlier) up to N "
                "documents in all, shared evenly, with versions, searchable text, "
                "tags and mixed visibilities; running again adds nothing once "
                "reached (100,000 take a few minutes)"
            ),
        )
        parser.add_argument(
            "--incidents",
            type=int,
            default=0,
            metavar="N",
            help="fill the generated residences up to N incidents and requests in all",
        )
        parser.add_argument(
            "--entries",
            type=int,
            default=0,
            metavar="N",
            help=(
                "give the generated residences ten years of budgets, quarterly calls "
                "and payments, up to N ledger entries in all, shared evenly; running "
                "again adds nothing once reached (1,000,000 take a few minutes)"
            ),
        )

    def handle(
        self,
        *args,
        scale: int,
        lots: int,
        documents: int,
        incidents: int,
        entries: int,
        **options,
    ):
        rows = seed_demo()
        if scale:
            seed_scale(scale, lots_per_residence=lots)
            self.stdout.write(f"Added {scale} generated residences of {lots} lots.")
        if documents:
            self._documents(documents)
        if incidents:
            from incidents.scale import seed_tickets

            self.stdout.write(f"Added {seed_tickets(incidents):,} tickets.")
        if entries:
            self._entries(entries)
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, role, residence in rows:
            self.stdout.write(f"  {email:36} {role:22} {residence}")

    def _entries(self, total: int) -> None:
        from finance.scale import seed_entries

        if not Residence.objects.filter(slug__startswith="scale-").exists():
            raise CommandError("--entries needs generated residences: add --scale N.")
        start = time.monotonic()
        step = max(total // 10, 1)
        shown = [0]

        def progress(added: int) -> None:
            if added - shown[0] >= step:
                shown[0] = added
                elapsed = time.monotonic() - start
                self.stdout.write(f"  {added:,} ledger entries added ({elapsed:.0f} s)")

        added = seed_entries(total, progress=progress)
        self.stdout.write(
            f"Added {added:,} ledger entries in {time.monotonic() - start:.0f} s."
        )

    def _documents(self, total: int) -> None:
        residences = list(
            Residence.objects.filter(slug__startswith="scale-")
            .select_related("syndic")
            .order_by("pk")
        )
        if not residences:
            raise CommandError("--documents needs generated residences: add --scale N.")
        start = time.monotonic()

        def progress(added: int) -> None:
            elapsed = time.monotonic() - start
            self.stdout.write(f"  {added:,} documents added ({elapsed:.0f} s)")

        added = seed_documents(
            residences,
            per_residence=math.ceil(total / len(residences)),
            progress=progress,
        )
        self.stdout.write(
            f"Added {added:,} documents to {len(residences)} generated residences "
            f"in {time.monotonic() - start:.0f} s."
        )
