"""`ketaclinic pk simulate`: print a predicted plasma concentration curve as CSV.

Thin wrapper over ketaclinic.pharmacology.specs; the parsing and the maths live there.
"""

from __future__ import annotations

import warnings
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketaclinic.pharmacology.engine import PopulationWarning
from ketaclinic.pharmacology.parameters import MODELS
from ketaclinic.pharmacology.specs import SpecError, simulate_csv


class Command(BaseCommand):
    help = "Exposure simulator (estimates for decision support, never a dosing order)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sim = actions.add_parser(
            "simulate",
            help="print time_min,conc_ng_ml for one typical patient",
            description="e.g. pk simulate --model kamp2020 --weight 70 --dose iv:35mg:0:40 "
            "--times 0:240:5",
        )
        sim.add_argument("--model", required=True, help=f"one of: {', '.join(MODELS)}")
        sim.add_argument("--weight", required=True, help="body weight in kg (20-250)")
        sim.add_argument(
            "--dose",
            action="append",
            required=True,
            help="ROUTE:AMOUNTmg:START[:DURATION][:f=..][:ka=..][:interval=..]; repeatable",
        )
        sim.add_argument("--times", required=True, help="START:STOP:STEP in min, or 0,5,10")

    def handle(self, *args: Any, **options: Any) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PopulationWarning)
            try:
                csv = simulate_csv(
                    options["model"], options["weight"], options["dose"], options["times"]
                )
            except SpecError as error:
                raise CommandError(str(error)) from error
            except ValueError as error:
                raise CommandError(f"--dose: {error}") from error
        for warning in caught:
            self.stderr.write(f"warning: {warning.message}")
        self.stdout.write(csv, ending="")
