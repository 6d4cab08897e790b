"""Operators read webhook endpoints and their delivery logs in the admin (to help a publisher
whose deliveries fail); managing endpoints stays with the publishers' members."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_webhookendpoint", "view_webhookdelivery"]


def grant(apps, schema_editor):
    # Permissions are made after every migration has run; the group needs them now.
    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name="Operators")
    group.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="webhooks", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Operators").first()
    if group is not None:
        group.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="webhooks", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("publishing", "0003_staff_permissions_and_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
