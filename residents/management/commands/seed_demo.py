from django.core.management.base import BaseCommand

from residents.demo import DEMO_PASSWORD, seed_demo
from residents.scale import seed_scale


class Command(BaseCommand):
    help = (
        "Create the demo residences and accounts (idempotent); "
        "--scale N adds N large residences."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=0, help="add N generated residences"
        )
        parser.add_argument(
            "--lots", type=int, default=120, help="lots per generated residence"
        )

    def handle(self, *args, scale: int, lots: int, **options):
        rows = seed_demo()
        if scale:
            seed_scale(scale, lots_per_residence=lots)
            self.stdout.write(f"Added {scale} generated residences of {lots} lots.")
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, role, residence in rows:
            self.stdout.write(f"  {email:36} {role:22} {residence}")
