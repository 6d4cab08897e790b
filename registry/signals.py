"""Signals between apps that may not import one another (docs/architecture.md)."""

from django.dispatch import Signal

# A package's `preview` flag moved (installs.testers.set_preview_testers). Sent inside the
# transaction that moved it, with `package_id`. publishing keeps the public store's copies of
# its versions' manifest.json in step (publishing/services/preview_manifests.py).
preview_changed = Signal()
