"""Settings of the gunicorn servers the fault tests start (tests/live.py): production settings,
with static files served from source as in the rest of the suite (no collectstatic)."""

from naap.settings import *  # noqa: F403
from naap.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
