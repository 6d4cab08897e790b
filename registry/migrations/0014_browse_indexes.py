"""Indexes of the listing: its order by downloads, and its per-package subqueries
(registry.selectors.listed_packages)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_preview_testers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="pluginpackage",
            index=models.Index(
                condition=models.Q(("deprecated", False), ("status", "published")),
                fields=["-downloads", "name"],
                name="package_downloads_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="pluginversion",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["package", "-published_at"],
                name="version_published_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="pluginversion",
            index=models.Index(
                condition=models.Q(("prerelease", ""), ("status", "published")),
                fields=["package", "-sort_key"],
                name="version_release_idx",
            ),
        ),
    ]
