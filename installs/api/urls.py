"""API routes of the installs app (under /api/v1/)."""

urlpatterns: list = []
