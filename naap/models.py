"""Abstract model pieces shared by every app (no concrete models live here)."""

from django.db import models


class TimestampedModel(models.Model):
    """Every table records when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
