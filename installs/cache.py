"""The shell bootstrap, serialised once and kept in the cache until something it shows changes.

A bootstrap depends on four kinds of state, each with a generation number in the cache:

- the person's own (installs, preferences, team memberships): `tenant-gen:user:<id>`;
- each of their teams' (team installs, the team's name, which ranks team installs):
  `tenant-gen:team:<id>`;
- each installed package's (versions, deployment, status, manifests): the manifest cache's
  package generation (registry.cache), bumped by every publishing service;
- the set of core packages (installed for everyone, installs.selectors.core_packages): one
  generation for everybody, `registry.cache.CORE_GENERATION_KEY`, bumped when a package may
  join or leave the set (invalidate_package(..., core=True)); every core package is also
  among the packages an entry watches, so its new versions and deployments retire it.

An entry records the generations it was built under, and the cache epoch (naap.redis_cache),
renewed when Redis comes back after an outage so that nothing cached before it is trusted. A
request reads the entry and the person's generation in one round trip, then the epoch and the
core set's, teams' and packages' generations in a second; when all match, the stored JSON is
sent without touching the database. The generations are read *before* the database when an
entry is built, so a change that commits while it is being built leaves it under a retired
stamp (the same rule as the manifest cache). Packages or teams that an entry did not know in
advance get a stamp that never matches, so that entry is built again once, this time with their
generations read first.

An entry holds two answers built from the same plugins: the bootstrap's `data` and the whole
answer of `GET /api/v1/base/plugins/personalized` (upstream NaaP's shape), each with its ETag.

Tenant generations are bumped by the services that write installations and preferences, and
by the admin's saves and deletes of teams, memberships, installations and preferences
(installs/admin.py), each through `bump_tenants` in the transaction of its write: the
catalog's one invalidation mechanism (registry.cache.bump_generations; docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from naap.redis_cache import EPOCH_KEY, cache_epoch, read_many
from registry.cache import CORE_GENERATION_KEY, bump_generations
from registry.cache import generation_key as package_generation_key
from registry.field_reports import ticket_period
from registry.selectors import iso

BOOTSTRAP_TIMEOUT = 24 * 60 * 60
# Longer than any entry lives, so a lapsed generation can never revive an old entry.
TENANT_GENERATION_TIMEOUT = 30 * 24 * 60 * 60
UNKNOWN = -1
PERSON_AUTH_TIMEOUT = 60
ENTRY_FORMAT = 4  # 3: entries record the core set; 4: they also hold the personalized answer


def user_generation_key(user_id: int) -> str:
    return f"tenant-gen:user:{user_id}"


def team_generation_key(team_id: int) -> str:
    return f"tenant-gen:team:{team_id}"


def bump_tenants(
    *, user_ids: Iterable[int | None] = (), team_ids: Iterable[int | None] = ()
) -> None:
    """Retire the cached bootstraps of these people and of everyone in these teams."""
    keys = [user_generation_key(pk) for pk in user_ids if pk is not None]
    keys += [team_generation_key(pk) for pk in team_ids if pk is not None]
    bump_generations(keys, timeout=TENANT_GENERATION_TIMEOUT)


@dataclass(frozen=True)
class BuiltBootstrap:
    """What the bootstrap view builds on a miss: the data and what it was built from."""

    data: dict
    team_ids: tuple[int, ...]
    package_names: tuple[str, ...]
    # The whole answer of GET /api/v1/base/plugins/personalized (installs/bootstrap.py).
    personalized: dict | None = None


@dataclass(frozen=True)
class BootstrapEntry:
    """A stored bootstrap: its JSON (without generatedAt), ETag and what it was built from."""

    user_generation: int
    team_ids: tuple[int, ...]
    package_names: tuple[str, ...]
    # the cache epoch, the core set's generation, then those of team_ids and package_names
    stamps: tuple[int, ...]
    body: bytes
    etag: str
    # The personalized answer, serialised with the entry: its own body and ETag.
    personalized_body: bytes = b""
    personalized_etag: str = ""

    @property
    def stamp_keys(self) -> list[str]:
        return _stamp_keys(self.team_ids, self.package_names)

    @property
    def trusted(self) -> bool:
        """Whether every generation was read before the database (no UNKNOWN stamp)."""
        return UNKNOWN not in self.stamps


def bootstrap_key(user_id: int, team_id: int | None, shell_version: str) -> str:
    # Entries are pickled BootstrapEntry objects: change ENTRY_FORMAT with its fields, so a
    # deploy never reads entries an older release wrote.
    return f"bootstrap:{ENTRY_FORMAT}:{user_id}:{team_id or ''}:{shell_version}"


def person_auth_key(user_id: int) -> str:
    return f"person-auth:{user_id}"


def remember_person(user) -> None:
    """Keep what the bootstrap hot path checks a session against: active, session hash.

    Forgotten on every save or delete of the user (a password change, a deactivation); the
    timeout bounds what a write that skips model signals could leave behind.
    """
    cache.set(
        person_auth_key(user.pk),
        (user.is_active, user.get_session_auth_hash()),
        PERSON_AUTH_TIMEOUT,
    )


def _person_changed(sender, instance, **kwargs) -> None:
    cache.delete(person_auth_key(instance.pk))
    transaction.on_commit(lambda: cache.delete(person_auth_key(instance.pk)))


def bootstrap_envelope(body: bytes) -> bytes:
    """The answer around a stored bootstrap: the success envelope and a fresh generatedAt,
    without serialising the stored JSON again."""
    generated_at = json.dumps(iso(timezone.now())).encode()
    return b'{"success":true,"data":' + body[:-1] + b',"generatedAt":' + generated_at + b"}}"


def bootstrap_etag(body: bytes) -> str:
    """A strong ETag over the bootstrap data (generatedAt is not part of it)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _json(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode()


def _etag_body(data: dict, body: bytes) -> bytes:
    """What the ETag covers: the data, with the report ticket (new at every build) standing for
    the ticket period it was issued in, so a shell revalidating gets a 304 until the data
    changes or the period ends (and then a fresh ticket)."""
    if "reportTicket" not in data:
        return body
    return _json({**data, "reportTicket": ticket_period()})


def _stamp_keys(team_ids: Iterable[int], package_names: Iterable[str]) -> list[str]:
    return [
        EPOCH_KEY,
        CORE_GENERATION_KEY,
        *(team_generation_key(pk) for pk in team_ids),
        *(package_generation_key(name) for name in package_names),
    ]


def _read_stamps(keys: list[str]) -> tuple[int, ...]:
    """The generations of keys (the epoch first), 0 for missing ones; an epoch of 0 means the
    cache does not answer."""
    epoch, *generations = read_many(cache, keys)
    return (cache_epoch(cache, epoch), *(value or 0 for value in generations))


def cached_bootstrap(
    *, user_id: int, team_id: int | None, shell_version: str, build: Callable[[], BuiltBootstrap]
) -> BootstrapEntry:
    """The person's bootstrap from the cache when nothing it shows has changed, else built."""
    entry_key = bootstrap_key(user_id, team_id, shell_version)
    user_key = user_generation_key(user_id)
    found = cache.get_many([entry_key, user_key])
    user_generation = found.get(user_key, 0)
    entry: BootstrapEntry | None = found.get(entry_key)
    hinted_teams = entry.team_ids if entry else ()
    hinted_packages = entry.package_names if entry else ()
    hinted_keys = _stamp_keys(hinted_teams, hinted_packages)
    before = _read_stamps(hinted_keys)
    if entry is not None and entry.user_generation == user_generation and before == entry.stamps:
        return entry

    built = build()
    body = _json(built.data)
    personalized = _json(built.personalized) if built.personalized is not None else b""
    known = dict(zip(hinted_keys, before, strict=True))
    keys = _stamp_keys(built.team_ids, built.package_names)
    fresh = BootstrapEntry(
        user_generation=user_generation,
        team_ids=built.team_ids,
        package_names=built.package_names,
        # A generation not read before the database cannot vouch for what was read.
        stamps=tuple(known.get(key, UNKNOWN) for key in keys),
        body=body,
        etag=bootstrap_etag(_etag_body(built.data, body)),
        personalized_body=personalized,
        personalized_etag=bootstrap_etag(personalized) if personalized else "",
    )
    if before[0]:  # kept only under a known epoch
        cache.set(entry_key, fresh, BOOTSTRAP_TIMEOUT)
    return fresh


def _membership_saving(sender, instance, **kwargs) -> None:
    """Note whose membership an edit takes away (the admin may change its person)."""
    if instance.pk is not None:
        rows = sender.objects.filter(pk=instance.pk).values_list("user_id", flat=True)
        instance._bootstrap_previous_user_id = rows.first()


def _membership_changed(sender, instance, **kwargs) -> None:
    """A publisher's members see its previews in their bootstraps (installs.selectors
    ._shown): retire the bootstraps of whoever joined, left or changed, now and once the
    change is committed (a bootstrap built in between read the old membership)."""
    user_ids = {instance.user_id, getattr(instance, "_bootstrap_previous_user_id", None)}
    bump_tenants(user_ids=user_ids)
    transaction.on_commit(lambda: bump_tenants(user_ids=user_ids))


def connect_person_invalidation() -> None:
    """Forget a person's session facts whenever the person changes, and retire their
    bootstraps whenever their membership of a publisher does.

    A signal, unlike the catalog's explicit invalidation: the user model is written by
    Django's own views (password change, the admin), which call none of our services.
    """
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save, pre_save

    from registry.models import PublisherMembership

    user_model = get_user_model()
    post_save.connect(_person_changed, sender=user_model, dispatch_uid="bootstrap-person-save")
    post_delete.connect(_person_changed, sender=user_model, dispatch_uid="bootstrap-person-del")
    # Publisher memberships too: written by the admin (inline and its own page) and by
    # publishing's services, which may not import installs.
    member = PublisherMembership
    pre_save.connect(_membership_saving, sender=member, dispatch_uid="bootstrap-member-pre")
    post_save.connect(_membership_changed, sender=member, dispatch_uid="bootstrap-member-save")
    post_delete.connect(_membership_changed, sender=member, dispatch_uid="bootstrap-member-del")
