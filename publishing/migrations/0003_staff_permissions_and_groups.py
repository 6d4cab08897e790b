"""The permission to revoke any token, and the two staff groups: Moderators (review and
listing) and Operators (deployments, yanks, tokens). docs/decisions.md, "Staff permissions",
says what each may do."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_pluginpackage", "view_pluginversion", "view_publisher", "view_plugindeployment"]
GROUPS = {
    "Moderators": {
        "registry": [
            *VIEW,
            "review_pluginversion",
            "list_pluginpackage",
            "verify_publisher",
            "view_auditevent",
        ],
        "publishing": ["view_pendingversion"],
    },
    "Operators": {
        "registry": [
            *VIEW,
            "rollback_plugindeployment",
            "withdraw_pluginversion",
            "view_deploymentevent",
            "view_auditevent",
        ],
        "publishing": ["revoke_apitoken", "view_apitoken"],
    },
}


def create_staff_groups(apps, schema_editor):
    # Permissions are made after every migration has run; these groups need them now.
    for label in ("registry", "publishing"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, names in codenames.items():
            group.permissions.add(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename__in=names
                )
            )


def remove_staff_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("publishing", "0002_moderation_queue"),
        ("registry", "0005_staff_permissions"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={
                "ordering": ["-created_at"],
                "permissions": [("revoke_apitoken", "Can revoke any publisher's API tokens")],
            },
        ),
        migrations.RunPython(create_staff_groups, remove_staff_groups),
    ]
