"""Demo data for `make dev`: users, a team, the example plugins, published for real, and a few
ratings of them by demo people who installed them (through the real services, so the browse
page shows stars from the start)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from installs.cache import bump_tenants
from installs.models import Team, TeamMembership
from installs.services import install_plugin
from naap.errors import Conflict, NaapError
from publishing import services
from publishing.cli.build import build_project
from publishing.cli.output import CliError, Ui
from publishing.cli.project import load_project
from registry.models import Publisher, PublisherMembership
from reviews.models import PluginReview
from reviews.services import create_review

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples"
# Who rates which example, how, and what they say; each reviewer installs it first. They
# cannot sign in (no password): they only stand behind the ratings.
DEMO_REVIEWS = (
    ("ana", "hello-world", 5, "Small and clear: the place to start."),
    ("ben", "hello-world", 4, "Does what it says, nothing more."),
    ("chloe", "hello-world", 5, ""),
    ("ana", "react-counter", 4, "Handy to see how a React plugin is put together."),
    ("ben", "react-counter", 3, "Works; I missed a reset button."),
    ("ana", "theme-notes", 5, "Follows the shell's light and dark themes."),
    ("chloe", "theme-notes", 4, "Notes that match the theme, simple to use."),
)


class Command(BaseCommand):
    help = (
        "Create the demo superuser (admin/admin), a demo user (demo/demo) with a team, "
        "publish the example plugins through the real build and publish path, and rate them "
        "as a few demo people who installed them. Running it again adds nothing."
    )

    def handle(self, *args, **options) -> None:
        admin = self._user("admin", password="admin", staff=True)
        demo = self._user("demo", password="demo", first_name="Demo")
        team, _ = Team.objects.get_or_create(name="demo-team", defaults={"display_name": "Demo"})
        _, joined = TeamMembership.objects.get_or_create(
            team=team, user=demo, defaults={"role": TeamMembership.Role.ADMIN}
        )
        if joined:
            bump_tenants(user_ids=[demo.pk], team_ids=[team.pk])
        publisher, _ = Publisher.objects.get_or_create(
            name="naap-examples",
            defaults={"display_name": "NaaP Examples", "verified": True},
        )
        PublisherMembership.objects.get_or_create(
            publisher=publisher, user=admin, defaults={"role": PublisherMembership.Role.OWNER}
        )
        for directory in sorted(path for path in EXAMPLES_DIR.iterdir() if path.is_dir()):
            if (directory / "plugin.json").is_file():
                self._publish_example(directory, actor=admin, publisher=publisher)
        self._rate_examples()
        self.stdout.write(self.style.SUCCESS("Demo users: admin/admin (staff), demo/demo"))

    def _user(self, username: str, *, password: str | None, staff: bool = False, **fields):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.test", **fields}
        )
        if created:
            user.is_staff = user.is_superuser = staff
            if password is None:
                user.set_unusable_password()
            else:
                user.set_password(password)
            user.save()
        return user

    def _rate_examples(self) -> None:
        """Each demo review, by its reviewer, who installs the example first: the real install
        and review services (counters, audit, the package's rating). One already there is
        left as it is; an example that was not published is skipped."""
        rated = 0
        for username, name, rating, comment in DEMO_REVIEWS:
            reviewer = self._user(username, password=None, first_name=username.title())
            if PluginReview.objects.filter(user=reviewer, package__name=name).exists():
                continue
            try:
                install_plugin(actor=reviewer, name=name)
                create_review(actor=reviewer, name=name, rating=rating, comment=comment)
            except NaapError as error:
                self.stderr.write(f"no demo review of {name} by {username}: {error}")
                continue
            rated += 1
        if rated:
            self.stdout.write(f"{rated} demo reviews written")

    def _publish_example(self, directory: Path, *, actor, publisher: Publisher) -> None:
        project = load_project(directory)
        try:
            with tempfile.TemporaryDirectory(prefix="naap-demo-") as out_dir:
                built = build_project(project, Ui(), out_dir=Path(out_dir))
        except CliError as error:
            self.stderr.write(f"skipped {project.name}: could not build it ({error})")
            return
        try:
            result = services.publish_version(
                actor=actor,
                publisher=publisher,
                manifest=project.manifest_text,
                bundle=built.bundle.data,
                styles=built.styles.data if built.styles else None,
                release_notes="Published by make dev.",
            )
        except Conflict:
            self.stdout.write(f"{project.name}@{project.version} is already published")
            return
        state = "published" if result.created else "already published"
        self.stdout.write(f"{project.name}@{project.version} {state}: {result.version.bundle_url}")
