"""API routes of the publishing app (under /api/v1/)."""

urlpatterns: list = []
