"""API routes of the registry app (under /api/v1/)."""

urlpatterns: list = []
