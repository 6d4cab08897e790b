"""Encrypt every stored secret setting again under the first NAAP_CONFIG_KEY (key rotation)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from installs.config_secrets import reseal
from installs.models import TenantPluginInstall


class Command(BaseCommand):
    help = (
        "Re-encrypt the secret settings of every installation with the first key of "
        "NAAP_CONFIG_KEY; run it after putting a new key first, before dropping the old one."
    )

    def handle(self, *args, **options):
        changed = 0
        with transaction.atomic():
            for install in TenantPluginInstall.objects.select_for_update().only("id", "config"):
                config, rotated = reseal(install.config)
                if rotated:
                    install.config = config
                    install.save(update_fields=["config"])
                    changed += 1
        self.stdout.write(f"Re-encrypted the secret settings of {changed} installation(s).")
