"""The bootstrap hot path: a WSGI layer that sends an unchanged shell bootstrap without Django.

Every shell start asks for `GET /api/v1/plugins/installed` (a NaaP shell for
`GET /api/v1/base/plugins/personalized`, the same entry in upstream's shape: both are served
here, each with its own body, ETag and header template). Through Django's whole stack
(middleware, session and user loading, DRF) an answer from the bootstrap cache
(installs/cache.py) still cost ~4 ms of CPU. This layer keeps, per worker, the cache entries
it has seen Django send, and answers a repeat in two cache round trips and no SQL:

1. the session, from the session cache (`cached_db` keeps every live session there);
2. in one read: what the session is checked against (the person is active, their session
   hash; `remember_person`), the person's generation and the generations of the core set
   and of the teams and packages the kept entry was built from.

It answers only when Django would give the same answer: a signed-in session whose hash
matches (as `django.contrib.auth.get_user` checks it), an active person, a kept entry whose
every generation is current, and a query of at most `teamId` (digits) and a valid
`shellVersion`. Anything else (no session, a token, a stale entry, an unusual query, a header
template not seen yet) goes through Django, which answers as it always has; a 200 from it is
then kept. `If-None-Match` gets a 304 like the view's. `generatedAt` is set per answer.

When the cache does not answer (naap.redis_cache) the session and generations read as
missing, so Django answers from the database; anything this layer fails at sends the request
to Django rather than a 500.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.core.cache import caches
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare

from installs.cache import (
    BootstrapEntry,
    bootstrap_envelope,
    bootstrap_key,
    person_auth_key,
    user_generation_key,
)
from naap.etags import etag_matches
from naap.hotpath import is_secure, keep_bounded, through_django, without
from naap.redis_cache import read_many
from registry import semver

logger = logging.getLogger(__name__)

BOOTSTRAP_PATH = "/api/v1/plugins/installed"
PERSONALIZED_PATH = "/api/v1/base/plugins/personalized"
PATHS = (BOOTSTRAP_PATH, PERSONALIZED_PATH)
# Matched with fullmatch: "$" would accept a trailing newline.
TEAM_ID = re.compile(r"[1-9][0-9]{0,17}")
SESSION_KEY_CHARS = re.compile(r"[a-z0-9]{8,64}")


class BootstrapFastPath:
    """WSGI middleware in front of Django's application (installed in naap/wsgi.py)."""

    def __init__(self, app: Callable, *, max_entries: int = 20_000):
        self.app = app
        self.max_entries = max_entries
        self._entries: dict[tuple, BootstrapEntry] = {}
        self._templates: dict[tuple, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()
        self._cookie_name = settings.SESSION_COOKIE_NAME
        self._backends = set(settings.AUTHENTICATION_BACKENDS)
        self._session_engine_caches = (
            settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
        )

    @property
    def cache(self):
        return caches["default"]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = self._parse(environ)
        if request is None:
            return self.app(environ, start_response)
        personalized = environ.get("PATH_INFO") == PERSONALIZED_PATH
        template_key = (environ.get("HTTP_HOST", ""), is_secure(environ), personalized)
        try:
            user_id, entry = self._current(request)
            template = self._templates.get(template_key)
        except Exception:
            # Never a bare 500 from this layer: Django answers (from the database if need be).
            logger.exception("The bootstrap hot path failed; Django answers instead")
            return self.app(environ, start_response)
        if template is None or entry is None:
            return self._through_django(environ, start_response, template_key, request, user_id)
        etag = entry.personalized_etag if personalized else entry.etag
        headers = [*template, ("ETag", etag)]
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH"), etag):
            start_response("304 Not Modified", headers)
            return []
        # The personalized answer is stored whole; the bootstrap gets a fresh generatedAt.
        body = entry.personalized_body if personalized else bootstrap_envelope(entry.body)
        start_response(
            "200 OK",
            [
                *headers,
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    def _current(
        self, request: tuple[str, int | None, str]
    ) -> tuple[int | None, BootstrapEntry | None]:
        """The session's person, and their kept entry if it may be sent."""
        session_key, team_id, shell_version = request
        session = self._session(session_key)
        user_id = self._user_id(session)
        entry = self._entries.get((user_id, team_id, shell_version))
        if user_id is None or entry is None or not self._still_true(entry, user_id, session):
            return user_id, None
        return user_id, entry

    def _parse(self, environ: dict) -> tuple[str, int | None, str] | None:
        """(session key, team id, shell version) of a plain bootstrap request, else None."""
        if not self._session_engine_caches:
            return None
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in PATHS:
            return None
        if environ.get("HTTP_AUTHORIZATION"):
            return None
        session_key = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self._cookie_name, "")
        if not SESSION_KEY_CHARS.fullmatch(session_key):
            return None
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        names = [name for name, _ in query]
        if len(set(names)) != len(names) or not set(names) <= {"teamId", "shellVersion"}:
            return None
        values = dict(query)
        team_id = values.get("teamId")
        if team_id is not None and not TEAM_ID.fullmatch(team_id):
            return None
        shell_version = values.get("shellVersion", "")
        if "shellVersion" in values and (
            len(shell_version) > 64 or not semver.is_valid(shell_version)
        ):
            return None
        return session_key, int(team_id) if team_id else None, shell_version

    def _session(self, session_key: str) -> dict | None:
        # Where `cached_db` keeps its copy: the session cache, under its key prefix.
        session = caches[settings.SESSION_CACHE_ALIAS].get(SESSION_CACHE_PREFIX + session_key)
        return session if isinstance(session, dict) else None

    def _user_id(self, session: dict | None) -> int | None:
        if not session or session.get(BACKEND_SESSION_KEY) not in self._backends:
            return None
        if not session.get(HASH_SESSION_KEY):
            return None
        try:
            return int(session[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            return None

    def _still_true(self, entry: BootstrapEntry, user_id: int, session: dict) -> bool:
        """The person is active, the session hash theirs, and every generation unchanged."""
        auth_key, generation_key = person_auth_key(user_id), user_generation_key(user_id)
        stamp_keys = entry.stamp_keys
        facts, user_generation, *stamps = read_many(
            self.cache, [auth_key, generation_key, *stamp_keys]
        )
        if not facts or not facts[0]:
            return False
        if not constant_time_compare(session[HASH_SESSION_KEY], facts[1]):
            return False  # Django tries SECRET_KEY_FALLBACKS, or signs the person out
        if (user_generation or 0) != entry.user_generation:
            return False
        return tuple(stamp or 0 for stamp in stamps) == entry.stamps

    def _through_django(
        self,
        environ: dict,
        start_response: Callable,
        template_key: tuple,
        request: tuple[str, int | None, str],
        user_id: int | None,
    ) -> Iterable[bytes]:
        response, answer = through_django(self.app, environ, start_response)
        if answer is not None:
            try:
                self._keep(answer, template_key, request, user_id)
            except Exception:  # the answer is sent all the same
                logger.exception("The bootstrap hot path could not keep an answer")
        return response

    def _keep(
        self,
        answer,
        template_key: tuple,
        request: tuple[str, int | None, str],
        user_id: int | None,
    ) -> None:
        etag = answer.header("ETag")
        if etag is None:
            return
        session_key, team_id, shell_version = request
        if user_id is None:  # Django may have just copied the session into the cache
            user_id = self._user_id(self._session(session_key))
            if user_id is None:
                return
        entry = self.cache.get(bootstrap_key(user_id, team_id, shell_version))
        if not isinstance(entry, BootstrapEntry) or not entry.trusted:
            return
        personalized = template_key[2]
        if etag != (entry.personalized_etag if personalized else entry.etag):
            return
        with self._lock:
            self._templates[template_key] = without(
                answer.headers, "ETag", "Content-Type", "Content-Length"
            )
            keep_bounded(
                self._entries, (user_id, team_id, shell_version), entry, limit=self.max_entries
            )
