"""The search's GIN indexes take new entries at once, with no pending list (PostgreSQL only).

With `fastupdate` (GIN's default) an index keeps new entries in a pending list until a vacuum
merges it, and every search reads the whole list. Package rows are rewritten by every publish
and, as their download counts are indexed, by every download flush: between two vacuums the
lists grow, searches slow down (on the bench catalog before its vacuum, a word no package has
read 422 pages of the full-text index, 10 ms, against 5 pages, 0.06 ms, after), and the planner,
pricing the list in, reads every listed package instead of the matches. Entries now go
straight into the indexes; the lists they had are merged here.
"""

from django.db import migrations

INDEXES = ("package_search_vector_gin", "package_name_trgm", "package_display_name_trgm")


def set_fastupdate(enabled: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for index in INDEXES:
            schema_editor.execute(
                f"ALTER INDEX {index} SET (fastupdate = {'on' if enabled else 'off'})"
            )
            if not enabled:
                schema_editor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0015_latest_published_at")]

    operations = [migrations.RunPython(set_fastupdate(False), set_fastupdate(True))]
