"""Field reports: how each plugin version loads and mounts in people's shells.

The shell runtime sends batches of outcomes (mounted, or failed with its phase, and the load
time) to `POST /api/v1/plugins/field-reports` (registry.field_views). Each page's bootstrap
carries a report ticket: a short-lived Fernet token naming the versions it served
(`name@version` → version id). A batch counts only when every event names a version of its
ticket, so a shell, or a script posting to the endpoint, cannot report for versions it was
not served, and the endpoint needs no database query.

Counts are kept per minute in the cache, in one hash for every version (fields
`<version id>:<counter>`): with Redis, one EVALSHA per batch applies the rate limit and adds
every counter (one round trip, nothing counted when the batch is over the limit), sent as
bytes packed here on a pooled connection rather than through redis-py's command machinery
(EVAL when Redis does not know the script); with any other backend (development), the same
under a lock of this process. A mounted load adds its load-time bucket and its time, a
failure its phase: the loads and mounts are derived from those when read
(`loads_and_mounts`). Hashes an older release wrote per version and minute
(`field-reports:<version id>:<minute>`) are read and flushed as before. Each worker keeps the
tickets it has verified (bounded, each until it expires), so a page's later batches skip the
decryption.
`python manage.py flush_field_reports` moves them into PluginVersionMinute rows
(registry.field_health), which `version_health` reads with what is not flushed yet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from bisect import bisect_left
from functools import lru_cache
from typing import NamedTuple

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache, caches
from redis.exceptions import NoScriptError

from naap.crypto import derived_fernet_key, multi_fernet
from naap.errors import BadRequest, NaapError, PayloadTooLarge, ServiceUnavailable
from naap.redis_cache import CacheUnavailable

try:
    from hiredis import pack_command
except ImportError:  # pragma: no cover - hiredis is in requirements.txt
    pack_command = None

# Failure phases, as the shell names them.
PHASES = ("network", "integrity", "evaluation", "mount", "runtime")
OUTCOMES = ("mounted", "failed")
# Upper bounds (ms) of the load-time histogram's buckets; the last bucket holds the rest.
LOAD_MS_BUCKETS = (50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)
MAX_EVENTS = 50
MAX_BODY_BYTES = 16 * 1024
MAX_LOAD_MS = 10 * 60 * 1000
# Counters not flushed within this time expire (the flush runs every minute or so).
COUNTER_TIMEOUT = 7 * 24 * 60 * 60
PENDING_KEY = "field-reports:pending"
TICKET_PURPOSE = b"naap-field-report-ticket"
# Tickets a worker keeps once verified (a page sends all its batches with one ticket).
MAX_KEPT_TICKETS = 4096


class TooManyReports(NaapError):
    code = "RATE_LIMITED"
    status = 429
    retry_after = 60


def ticket_lifetime() -> int:
    """Seconds a report ticket is accepted. A ticket is built into the cached bootstrap (kept
    up to a day) and a shell revalidating it keeps its copy while the ETag holds (up to a
    ticket period, a third of the lifetime): three days leave a day for the page to live."""
    return getattr(settings, "NAAP_FIELD_REPORT_TICKET_SECONDS", 3 * 24 * 60 * 60)


def ticket_period(now: float | None = None) -> int:
    """The number of the ticket period (a third of the lifetime) `now` falls in: the
    bootstrap's ETag changes with it, so no shell keeps an expired ticket by revalidating."""
    now = time.time() if now is None else now
    return int(now // max(1, ticket_lifetime() // 3))


def _fernet():
    return _fernet_for(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=16)
def _fernet_for(secret: str, fallbacks: tuple[str, ...]):
    """The tickets' MultiFernet for these keys (the same object while they stay: a kept
    ticket is trusted only with the keys that verified it)."""
    keys = [derived_fernet_key(TICKET_PURPOSE, secret)]
    keys += [derived_fernet_key(TICKET_PURPOSE, old) for old in fallbacks]
    return multi_fernet(tuple(keys))


def issue_ticket(versions: dict[str, int]) -> str:
    """A report ticket for the versions a page was served (`name@version` → version id)."""
    return _fernet().encrypt(json.dumps(versions, separators=(",", ":")).encode()).decode()


def read_ticket(ticket) -> dict[str, int]:
    """The versions of a ticket; BadRequest when it is not one of ours or has expired.

    A ticket verified once is kept by this worker (with the keys that verified it and its
    timestamp), so the next batches of the same page skip the decryption; it is still refused
    from the moment it expires, and when the keys change."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > 8192:
        raise BadRequest("The report ticket is missing or malformed.", field="ticket")
    fernet = _fernet()
    kept = _kept_tickets.get(ticket)
    if kept is not None and kept[0] is fernet:
        if int(time.time()) <= kept[1] + ticket_lifetime():
            return kept[2]
        raise BadRequest(_EXPIRED, field="ticket")
    try:
        versions = json.loads(fernet.decrypt(ticket.encode(), ttl=ticket_lifetime()))
    except (InvalidToken, ValueError) as error:
        raise BadRequest(_EXPIRED, field="ticket") from error
    if not isinstance(versions, dict):
        raise BadRequest(_EXPIRED, field="ticket")
    # Fernet's token: version (1 byte), then the timestamp (8 bytes, big-endian).
    issued = struct.unpack(">Q", base64.urlsafe_b64decode(ticket)[1:9])[0]
    with _tickets_lock:
        if ticket not in _kept_tickets and len(_kept_tickets) >= MAX_KEPT_TICKETS:
            _kept_tickets.pop(next(iter(_kept_tickets)))
        _kept_tickets[ticket] = (fernet, issued, versions)
    return versions


_EXPIRED = "The report ticket is not valid or has expired: reload the page."
# ticket -> (the MultiFernet that verified it, its timestamp, its versions)
_kept_tickets: dict[str, tuple[object, int, dict[str, int]]] = {}
_tickets_lock = threading.Lock()


class Event(NamedTuple):
    """One outcome of one version: mounted (with its load time) or failed in a phase."""

    version_id: int
    outcome: str
    phase: str
    load_ms: int


def parse_batch(body: bytes) -> tuple[dict, list[dict]]:
    """The batch's ticket versions and raw events; the refusals of a malformed batch."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"A batch of field reports is at most {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest("The body is not valid JSON.") from error
    if not isinstance(data, dict):
        raise BadRequest("The body must be an object with `ticket` and `events`.")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise BadRequest("`events` must be a non-empty list.", field="events")
    if len(events) > MAX_EVENTS:
        raise PayloadTooLarge(
            f"A batch holds at most {MAX_EVENTS} events, not {len(events)}.", field="events"
        )
    return read_ticket(data.get("ticket")), events


def check_events(versions: dict[str, int], raw_events: list) -> list[Event]:
    """Events naming versions of the ticket, with a known outcome and phase; BadRequest names
    the first that is not."""
    events = []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            where = f"events[{index}]"
            raise BadRequest(f"{where} must be an object.", field=where)
        plugin = raw.get("plugin")
        version_id = versions.get(plugin) if isinstance(plugin, str) else None
        if version_id is None:
            where = f"events[{index}]"
            raise BadRequest(
                f"{where}: {str(plugin)[:100]!r} was not served to this page.", field=where
            )
        outcome = raw.get("outcome")
        load_ms = raw.get("ms", 0)
        if outcome == "mounted":
            phase = ""
        elif outcome == "failed":
            phase = raw.get("phase", "")
            if phase not in PHASES:
                where = f"events[{index}]"
                raise BadRequest(f"{where}: phase must be one of {', '.join(PHASES)}.", field=where)
        else:
            where = f"events[{index}]"
            raise BadRequest(f"{where}: outcome must be mounted or failed.", field=where)
        if type(load_ms) not in (int, float) or not 0 <= load_ms <= MAX_LOAD_MS:
            where = f"events[{index}]"
            raise BadRequest(f"{where}: ms must be a number of milliseconds.", field=where)
        events.append(Event(version_id, outcome, phase, int(load_ms)))
    return events


def bucket_of(load_ms: int) -> int:
    """The histogram bucket of a load time (the first bound at or above it)."""
    return bisect_left(LOAD_MS_BUCKETS, load_ms)


def minute_key(minute: int) -> str:
    """The hash of one minute's counters, for every version."""
    return f"field-reports:minute:{minute}"


def counter_fields(events: list[Event]) -> dict[str, int]:
    """The counters the events add to their minute's hash, as `<version id>:<counter>`: a
    mounted load its bucket (`b<i>`) and time (`ms_sum`), a failure its phase (`f_<phase>`).
    Loads and mounts follow from those (`loads_and_mounts`)."""
    fields: dict[str, int] = {}
    get = fields.get
    for version_id, outcome, phase, load_ms in events:
        if outcome == "mounted":
            name = f"{version_id}:b{bisect_left(LOAD_MS_BUCKETS, load_ms)}"
            fields[name] = get(name, 0) + 1
            if load_ms:
                name = f"{version_id}:ms_sum"
                fields[name] = get(name, 0) + load_ms
        else:
            name = f"{version_id}:f_{phase}"
            fields[name] = get(name, 0) + 1
    return fields


def by_version(key: str, fields: dict[str, int]) -> dict[str, dict[str, int]]:
    """A counter hash as per-version counters (`field-reports:<version id>:<minute>` → its
    fields): a minute's hash split by version, an older release's per-version hash as it is."""
    _, kind, minute = key.split(":")
    if kind != "minute":
        return {key: fields}
    split: dict[str, dict[str, int]] = {}
    for name, value in fields.items():
        version_id, _, counter = name.partition(":")
        split.setdefault(f"field-reports:{version_id}:{minute}", {})[counter] = value
    return split


def _merge(into: dict[str, dict[str, int]], more: dict[str, dict[str, int]]) -> None:
    for key, fields in more.items():
        totals = into.setdefault(key, {})
        for name, value in fields.items():
            totals[name] = totals.get(name, 0) + value


def loads_and_mounts(fields: dict[str, int]) -> tuple[int, int]:
    """A version's counters' loads and mounts: every mount has its bucket, every load mounted
    or failed in a phase before it (a `runtime` failure is a later error of a mounted load).
    Hashes written before the buckets alone were kept (with `loads` and `mounted` fields)
    give the same numbers, so they are not read."""
    mounted = sum(fields.get(f"b{index}", 0) for index in range(len(LOAD_MS_BUCKETS) + 1))
    failed = sum(fields.get(f"f_{phase}", 0) for phase in PHASES if phase != "runtime")
    return mounted + failed, mounted


# One round trip: the client's rate window, then (under the limit) every counter of the
# minute's hash, the hash noted in the pending set for the flush and given its lifetime when it
# joins the set (it leaves the set only when the flush takes it). KEYS: the rate key, the
# pending set, the minute's hash. ARGV: the limit, the rate window's seconds, the counters'
# seconds, then field/delta pairs. Answers the client's count in the window, negative when
# over the limit (nothing counted).
INGEST_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return -n end
for i = 4, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
end
if redis.call('SADD', KEYS[2], KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
return n
"""
INGEST_SHA = hashlib.sha1(INGEST_SCRIPT.encode()).hexdigest()

_local_lock = threading.Lock()


def rate_limit() -> int:
    """Batches one client address may send per minute."""
    return settings.NAAP_FIELD_REPORTS_PER_MINUTE


def count(events: list[Event], *, client: str, now: float | None = None) -> None:
    """Add the events to this minute's counters, in one round trip with Redis; TooManyReports
    (nothing counted) past the client's rate, ServiceUnavailable when the cache is down."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    fields = counter_fields(events)
    rate_key = f"field-reports:rate:{client}:{minute}"
    raw_client = getattr(cache, "raw_client", None)
    if raw_client is None:
        _count_locally(fields, minute_key(minute), rate_key)
        return
    try:
        answer = cache.guarded(
            _count_in_redis, fields, minute_key(minute), rate_key, fallback=CacheUnavailable
        )
    except CacheUnavailable as error:
        raise ServiceUnavailable("Field reports are not counted now; try again later.") from error
    if answer < 0:
        raise TooManyReports("Too many field reports from this address: wait a minute.")


def _count_in_redis(fields: dict[str, int], key: str, rate_key: str) -> int:
    backend = caches["default"]  # once, rather than through the `cache` proxy per key
    make_key = backend.make_key
    command: list = [
        "EVALSHA",
        INGEST_SHA,
        3,
        make_key(rate_key),
        make_key(PENDING_KEY),
        make_key(key),
        rate_limit(),
        61,
        COUNTER_TIMEOUT,
    ]
    for item in fields.items():
        command += item
    return int(run_script(backend.raw_client(write=True), command))


def run_script(client, command: list):
    """One EVALSHA on a pooled connection of the client, packed here (redis-py's
    execute_command costs more than the rest of a batch); sent again as EVAL on the same
    connection when Redis does not know the script (after a restart). A broken pooled
    connection is retried once on a new one, as the client's own commands are
    (naap.redis_cache); a connection that failed otherwise is closed, not reused."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        return connection.retry.call_with_retry(
            lambda: _send(connection, command), lambda _error: connection.disconnect()
        )
    except BaseException:
        connection.disconnect()  # its reply may still be on the way
        raise
    finally:
        pool.release(connection)


def _send(connection, command: list):
    connection.send_packed_command(_packed(connection, command))
    try:
        return connection.read_response()
    except NoScriptError:
        connection.send_packed_command(_packed(connection, ["EVAL", INGEST_SCRIPT, *command[2:]]))
        return connection.read_response()


def _packed(connection, command: list):
    if pack_command is not None:
        return [pack_command(tuple(command))]
    return connection.pack_command(*command)


def _count_locally(fields: dict[str, int], key: str, rate_key: str) -> None:
    with _local_lock:
        sent = cache.get(rate_key, 0) + 1
        cache.set(rate_key, sent, 61)
        if sent > rate_limit():
            raise TooManyReports("Too many field reports from this address: wait a minute.")
        totals = cache.get(key, {})
        for name, delta in fields.items():
            totals[name] = totals.get(name, 0) + delta
        cache.set(key, totals, COUNTER_TIMEOUT)
        pending = cache.get(PENDING_KEY, set())
        pending.add(key)
        cache.set(PENDING_KEY, pending, COUNTER_TIMEOUT)


def take_pending() -> dict[str, dict[str, int]]:
    """Read and reset every counter not flushed yet, atomically (two flushes never both take
    the same counts): per version and minute (`field-reports:<version id>:<minute>`) → field
    totals, minutes' hashes and an older release's per-version hashes together."""
    taken: dict[str, dict[str, int]] = {}
    raw_client = getattr(cache, "raw_client", None)
    if raw_client is None:
        with _local_lock:
            keys = cache.get(PENDING_KEY, set())
            for key in keys:
                _merge(taken, by_version(key, cache.get(key) or {}))
            cache.delete_many([*keys, PENDING_KEY])
        return taken
    client = raw_client(write=True)
    pending = cache.make_key(PENDING_KEY)
    members = sorted(member.decode() for member in client.smembers(pending))
    if not members:
        return {}
    pipe = client.pipeline(transaction=True)
    for member in members:
        pipe.hgetall(member)
        pipe.delete(member)
        pipe.srem(pending, member)
    replies = pipe.execute()
    prefix_length = len(cache.make_key(""))
    for index, member in enumerate(members):
        fields = replies[index * 3]
        if fields:
            decoded = {k.decode(): int(v) for k, v in fields.items()}
            _merge(taken, by_version(member[prefix_length:], decoded))
    return taken


def peek_pending(version_ids) -> dict[str, dict[str, int]]:
    """The counters not flushed yet of these versions (per version and minute, as
    take_pending answers), unchanged."""
    wanted = {str(version_id) for version_id in version_ids}
    raw_client = getattr(cache, "raw_client", None)
    if raw_client is None:
        hashes = [(key, cache.get(key) or {}) for key in cache.get(PENDING_KEY, set())]
    else:
        members, replies = cache.guarded(_peek_in_redis, wanted, fallback=([], []))
        prefix_length = len(cache.make_key(""))
        hashes = [
            (member[prefix_length:], {k.decode(): int(v) for k, v in fields.items()})
            for member, fields in zip(members, replies, strict=True)
        ]
    found: dict[str, dict[str, int]] = {}
    for key, fields in hashes:
        _merge(found, by_version(key, fields))
    return {key: fields for key, fields in found.items() if fields and key.split(":")[1] in wanted}


def _peek_in_redis(wanted: set[str]) -> tuple[list[str], list[dict]]:
    """The pending minutes' hashes, and an older release's per-version hashes of these
    versions."""
    client = cache.raw_client()
    prefix_length = len(cache.make_key(""))
    members = [m.decode() for m in client.smembers(cache.make_key(PENDING_KEY))]
    kept = wanted | {"minute"}
    members = [m for m in members if m[prefix_length:].split(":")[1] in kept]
    pipe = client.pipeline(transaction=False)
    for member in members:
        pipe.hgetall(member)
    return members, (pipe.execute() if members else [])
