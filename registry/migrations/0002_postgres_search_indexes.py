"""Full-text and trigram indexes, created only on PostgreSQL (SQLite has neither); migration
0016 turns their `fastupdate` off."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS package_search_vector_gin "
    "ON registry_pluginpackage USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS package_name_trgm "
    "ON registry_pluginpackage USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS package_display_name_trgm "
    "ON registry_pluginpackage USING gin (display_name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS package_display_name_trgm",
    "DROP INDEX IF EXISTS package_name_trgm",
    "DROP INDEX IF EXISTS package_search_vector_gin",
]


def run_on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD)),
    ]
