import time

from django.core.management.base import BaseCommand, CommandError

from incidents.scale import seed_tickets
from residents.models import Residence


class Command(BaseCommand):
    help = (
        "Fill the generated residences (`seed_demo --scale N`) up to N incidents and "
        "requests in all, with their transitions, for `bench/incidents.py`; running "
        "again adds nothing once reached (e.g. `seed_incidents 100000`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="tickets in all (e.g. 100000)")

    def handle(self, *args, count: int, **options):
        residences = list(
            Residence.objects.filter(slug__startswith="scale-")
            .select_related("syndic")
            .order_by("pk")
        )
        if not residences:
            raise CommandError("No generated residence: run `seed_demo --scale 3`.")
        start = time.monotonic()

        def progress(added: int) -> None:
            elapsed = time.monotonic() - start
            self.stdout.write(f"  {added:,} tickets added ({elapsed:.0f} s)")

        added = seed_tickets(count, residences=residences, progress=progress)
        self.stdout.write(
            f"Added {added:,} incidents and requests to {len(residences)} generated "
            f"residences in {time.monotonic() - start:.0f} s."
        )
