"""Demo data for `make dev`: an admin, a demo user and team, and the example plugins."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from installs.models import Team, TeamMembership


class Command(BaseCommand):
    help = "Create the demo superuser (admin/admin), a demo user (demo/demo) and a demo team."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        admin, created = user_model.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.test"}
        )
        if created:
            admin.is_staff = admin.is_superuser = True
            admin.set_password("admin")
            admin.save()
        demo, created = user_model.objects.get_or_create(
            username="demo", defaults={"email": "demo@example.test", "first_name": "Demo"}
        )
        if created:
            demo.set_password("demo")
            demo.save()
        team, _ = Team.objects.get_or_create(name="demo-team", defaults={"display_name": "Demo"})
        TeamMembership.objects.get_or_create(
            team=team, user=demo, defaults={"role": TeamMembership.Role.ADMIN}
        )
        self.stdout.write(self.style.SUCCESS("Demo users: admin/admin (staff), demo/demo"))
