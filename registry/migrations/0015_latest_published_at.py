"""PluginPackage.latest_published_at: when its newest published version was published, stored
so that the listing neither asks every package's versions whether one is published nor sorts
by a subquery (sort=newest). Every published version gets a date first, so the column can be
read from them, and a constraint keeps it so."""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    PluginPackage = apps.get_model("registry", "PluginPackage")
    PluginVersion = apps.get_model("registry", "PluginVersion")
    # A published version without a date was published when it was made.
    PluginVersion.objects.filter(status="published", published_at__isnull=True).update(
        published_at=Coalesce("reviewed_at", "created_at")
    )
    newest = (
        PluginVersion.objects.filter(package=OuterRef("pk"), status="published")
        .order_by()
        .values("package")
        .annotate(latest=Max("published_at"))
        .values("latest")
    )
    PluginPackage.objects.update(latest_published_at=Subquery(newest))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0014_browse_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="pluginpackage",
            name="latest_published_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="pluginpackage",
            index=models.Index(
                condition=models.Q(
                    ("deprecated", False),
                    ("latest_published_at__isnull", False),
                    ("status", "published"),
                ),
                fields=["-latest_published_at", "name"],
                name="package_newest_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="pluginversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "published"), _negated=True),
                    ("published_at__isnull", False),
                    _connector="OR",
                ),
                name="version_published_has_date",
            ),
        ),
    ]
