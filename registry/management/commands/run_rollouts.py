"""The rollout loop: judge every due running rollout by its health gates, then sleep."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand

from registry.rollout_gates import evaluate_due_rollouts

logger = logging.getLogger("registry.rollout_gates")


class Command(BaseCommand):
    help = (
        "Advance, promote or abort running rollouts whose step is due, by their health gates. "
        "Runs until stopped (SIGTERM or SIGINT); --once makes one pass (cron, tests)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="make one pass and exit")
        parser.add_argument(
            "--interval", type=float, default=15.0, help="seconds between passes (default 15)"
        )

    def handle(self, *args, once: bool = False, interval: float = 15.0, **options) -> None:
        if once:
            self._pass()
            return
        stop = threading.Event()
        previous = {}
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, lambda *_: stop.set())
        self.stdout.write(f"Rollout loop started (a pass every {interval:g} s).")
        try:
            while not stop.is_set():
                try:
                    self._pass()
                except Exception:  # a bad pass must not end the loop; the next one retries
                    logger.exception("Rollout pass failed")
                stop.wait(max(0.1, interval))
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        self.stdout.write("Rollout loop stopped.")

    def _pass(self) -> None:
        for decision in evaluate_due_rollouts():
            line = str(decision)
            logger.info(line)
            self.stdout.write(line)
            self.stdout.flush()
