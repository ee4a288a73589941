"""`manage.py load_demo`: fill an empty Masthead with the demo newsroom.

Invariant: loading twice changes nothing; a second run creates no pages, images,
authors, tags or revisions (the work is in `masthead.demo.loader.load_demo_content`).
Under production settings it refuses unless forced, and even forced it never creates
the editor account with the published demo password (or any password Django's
validators reject); it refuses before writing anything.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from masthead.demo.loader import DemoRefused, check_demo_allowed, load_demo_content


class Command(BaseCommand):
    help = (
        "Create the demo newsroom (The Harbour Ledger): site, sections, authors, articles, "
        "information pages and an editor account. Safe to run again: it only adds what is "
        "missing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--image-scale",
            type=float,
            default=1.0,
            help="Draw the illustrations at this fraction of full size (0 < scale <= 1).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Load the demo even under production settings (MASTHEAD_PRODUCTION=1). "
                "MASTHEAD_DEMO_PASSWORD must then be a strong password of your own."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["image_scale"]
        if not 0 < scale <= 1:
            raise CommandError("--image-scale must be greater than 0 and at most 1.")
        try:
            check_demo_allowed(force=options["force"])
        except DemoRefused as refusal:
            raise CommandError(str(refusal)) from None
        quiet = options["verbosity"] == 0
        with transaction.atomic():
            summary = load_demo_content(stdout=None if quiet else self.stdout, image_scale=scale)
        if not quiet:
            message = str(summary)
            self.stdout.write(self.style.SUCCESS(message) if summary.changed else message)
