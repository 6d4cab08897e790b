"""The rollouts of the bootstrap-with-a-rollout benchmark (bench/bootstrap_rollout.sh), on the
catalog of bench/make_data.py (settings from the environment, as for the server measured).

    python bench/bootstrap_rollout.py requests DATA.json OUT.tsv   the bootstraps of 20 people
    python bench/bootstrap_rollout.py start DATA.json              rollouts at 50 %
    python bench/bootstrap_rollout.py stop                         abort the bench's rollouts

`start` rolls out, through `registry.rollouts.start_rollout`, one rollout at 50 % on each of
the packages most installed among the people measured (the 30-plugin person's first 10 and
the 10 most common among the first 20 people of the mixed run, PEOPLE), each to the newest published
version other than the deployed one, with an interval of a week so that nothing advances
during the run. It prints how many of those people's installations fall in the candidate's
half. `stop` aborts every rollout it started (reason "bench"), so the catalog serves what it
served before.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "naap.settings")

REASON = "bench: bootstrap while a rollout is active"
PERCENT = 50
# People of the mixed run whose bootstraps are measured: each worker builds each person's entry
# once (through Django) before it answers from its own copy, so more people need a longer
# warm-up; 20 of ~45 plugins each are warm within the script's warm-up.
PEOPLE = 20


def write_requests(data: dict, out: Path) -> None:
    lines = [f"GET\t/api/v1/plugins/installed\t{cookie}\t" for cookie in data["mixed"][:PEOPLE]]
    out.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} people's bootstraps -> {out}")


def _people(data: dict) -> list[int]:
    from django.contrib.sessions.backends.cached_db import SessionStore

    cookies = [data["thirty"], *data["mixed"][:PEOPLE]]
    return [int(SessionStore(cookie.split("=", 1)[1])["_auth_user_id"]) for cookie in cookies]


def start(data: dict) -> None:
    from django.contrib.auth import get_user_model

    from installs.models import TenantPluginInstall
    from installs.versions import install_bucket
    from registry.models import PluginPackage, PluginVersion
    from registry.rollouts import MAX_INTERVAL_SECONDS, start_rollout

    people = _people(data)
    thirty, mixed = people[0], people[1:]
    chosen = list(
        TenantPluginInstall.objects.filter(user_id=thirty, team=None)
        .order_by("package__name")
        .values_list("package_id", flat=True)[:10]
    )
    common = Counter(
        TenantPluginInstall.objects.filter(user_id__in=mixed, team=None).values_list(
            "package_id", flat=True
        )
    )
    chosen += [package for package, _ in common.most_common(30) if package not in chosen][:10]
    staff = get_user_model().objects.get(username="bench-staff")
    started = 0
    for package in PluginPackage.objects.filter(pk__in=chosen).select_related("deployment"):
        candidate = (
            package.versions.filter(status=PluginVersion.Status.PUBLISHED)
            .exclude(pk=package.deployment.version_id)
            .order_by("-published_at", "-pk")
            .first()
        )
        if candidate is None:
            continue
        start_rollout(
            actor=staff,
            package=package,
            version=candidate.version,
            initial_percent=PERCENT,
            increment_percent=10,
            interval_seconds=MAX_INTERVAL_SECONDS,
            reason=REASON,
        )
        started += 1
    installs = TenantPluginInstall.objects.filter(
        user_id__in=people, team=None, package_id__in=chosen
    ).select_related("package")
    in_candidate = sum(
        install_bucket(install, user_id=install.user_id) < PERCENT for install in installs
    )
    print(
        f"{started} rollouts at {PERCENT} %; {len(installs)} installations of the measured "
        f"people on those packages, {in_candidate} of them in the candidate's half"
    )


def stop() -> None:
    from django.contrib.auth import get_user_model

    from registry.rollout_models import Rollout
    from registry.rollouts import abort_rollout

    staff = get_user_model().objects.get(username="bench-staff")
    ended = 0
    for rollout in Rollout.objects.filter(status__in=Rollout.OPEN_STATUSES).select_related(
        "package"
    ):
        if rollout.events.filter(reason=REASON).exists():
            abort_rollout(actor=staff, package=rollout.package, reason="bench: done")
            ended += 1
    print(f"{ended} rollouts aborted")


def main() -> None:
    command = sys.argv[1]
    if command == "requests":
        write_requests(json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3]))
        return
    import django

    django.setup()
    if command == "start":
        start(json.loads(Path(sys.argv[2]).read_text()))
    elif command == "stop":
        stop()
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
