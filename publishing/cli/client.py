"""Talking to the registry: the API envelope, retries with backoff and streamed uploads.

requests is imported when the first request is sent, not with this module: it is a large
part of the command's start-up, and commands that send nothing (validate, build, --help, a
refused token or plugin) should not wait for it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from publishing.cli.output import EXIT_UNAVAILABLE, EXIT_USAGE, CliError, Ui

if TYPE_CHECKING:
    import requests

DEFAULT_REGISTRY_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
ATTEMPTS = 3
BACKOFF_SECONDS = 1.0
# A server asking for a longer pause than this is treated as down rather than waited on.
MAX_RETRY_AFTER_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 300
UPLOAD_CHUNK_BYTES = 64 * 1024


def normalise_registry_url(url: str) -> str:
    """The registry's base URL without a trailing slash; refuses anything but http(s)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise CliError(
            f"the registry URL must look like https://registry.example.com, not '{url}'",
            exit_code=EXIT_USAGE,
        )
    return url


def api_path(*segments: str) -> str:
    """An API path from segments, each quoted (names and versions never contain '/')."""
    return API_PREFIX + "/" + "/".join(quote(segment, safe="") for segment in segments)


@dataclass
class ApiError(Exception):
    """The registry refused a request: the envelope's error, with the HTTP status."""

    status: int
    code: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.message} ({self.code}, HTTP {self.status})"


@dataclass(frozen=True)
class ApiResult:
    """A successful answer: the HTTP status and the envelope's data."""

    status: int
    data: Any


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date; the usual backoff is close enough


def _flatten_fields(fields: Any) -> dict[str, str]:
    """details.fields as field -> one message (DRF sometimes gives lists or nested objects)."""
    if not isinstance(fields, dict):
        return {}
    flat: dict[str, str] = {}
    for key, value in fields.items():
        if isinstance(value, list):
            flat[str(key)] = "; ".join(str(item) for item in value)
        elif isinstance(value, dict):
            for inner_key, inner_value in _flatten_fields(value).items():
                flat[f"{key}.{inner_key}"] = inner_value
        else:
            flat[str(key)] = str(value)
    return flat


def error_from_response(response: requests.Response) -> ApiError:
    """The envelope's error, or a description of a non-envelope answer (a proxy's 502 page)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code"):
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        return ApiError(
            status=response.status_code,
            code=str(error["code"]),
            message=str(error.get("message") or response.reason or "").strip(),
            fields=_flatten_fields(details.get("fields")),
            retry_after=_retry_after(response),
        )
    code = "INTERNAL_ERROR" if response.status_code >= 500 else "HTTP_ERROR"
    return ApiError(
        status=response.status_code,
        code=code,
        message=f"HTTP {response.status_code} {response.reason or ''}".strip()
        + " without a NaaP error body",
        retry_after=_retry_after(response),
    )


def _connection_problem(error: Exception) -> str:
    """A short reason for a network failure instead of urllib3's nested repr."""
    import requests

    if isinstance(error, requests.Timeout):
        return "the connection timed out"
    text = str(error)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if match:
        return match.group(1).strip().rstrip(".").lower()
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the connection was closed before the registry answered"
    return type(error).__name__


# ---------------------------------------------------------------------------------------------
# Multipart upload


@dataclass(frozen=True)
class FilePart:
    """One file of a multipart form."""

    field: str
    filename: str
    content_type: str
    data: bytes


def encode_multipart(
    fields: list[tuple[str, str]], files: list[FilePart]
) -> tuple[list[bytes], str]:
    """A multipart/form-data body as a list of byte segments, and its Content-Type."""
    boundary = "naap-plugin-" + secrets.token_hex(16)
    segments: list[bytes] = []
    for name, value in fields:
        segments.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        segments.append(value.encode("utf-8"))
        segments.append(b"\r\n")
    for part in files:
        segments.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{part.field}"; '
                f'filename="{part.filename}"\r\n'
                f"Content-Type: {part.content_type}\r\n\r\n"
            ).encode()
        )
        segments.append(part.data)
        segments.append(b"\r\n")
    segments.append(f"--{boundary}--\r\n".encode())
    return segments, f"multipart/form-data; boundary={boundary}"


class UploadBody:
    """A request body read in chunks, reporting each chunk sent (for the progress bar)."""

    def __init__(
        self,
        segments: list[bytes],
        on_progress: Callable[[int], None],
        chunk_size: int = UPLOAD_CHUNK_BYTES,
    ) -> None:
        self._data = memoryview(b"".join(segments))
        self._position = 0
        self._on_progress = on_progress
        self._chunk_size = chunk_size

    def __len__(self) -> int:
        return len(self._data)

    def read(self, size: int = -1) -> bytes:
        """The next chunk (at most `size` bytes); b"" at the end."""
        if size is None or size < 0:
            size = len(self._data) - self._position
        size = min(size, self._chunk_size)
        chunk = bytes(self._data[self._position : self._position + size])
        self._position += len(chunk)
        if chunk:
            self._on_progress(len(chunk))
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(self._chunk_size):
            yield chunk


@dataclass(frozen=True)
class Multipart:
    """A form ready to send again on every attempt."""

    segments: list[bytes]
    content_type: str

    @property
    def size(self) -> int:
        return sum(len(segment) for segment in self.segments)


# ---------------------------------------------------------------------------------------------
# The client


class RegistryClient:
    """The registry's /api/v1 with the token, retrying 5xx and network errors with backoff."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        ui: Ui,
        session: requests.Session | None = None,
        attempts: int = ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] | None = None,
        user_agent: str = "naap-plugin",
    ) -> None:
        self.base_url = normalise_registry_url(base_url)
        self.token = token
        self.ui = ui
        self._session = session
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep or time.sleep
        self.user_agent = user_agent

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made (and requests imported) for the first request."""
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def url(self, path: str) -> str:
        return self.base_url + path

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = self.backoff_seconds * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
        return delay

    def _pause_before_retry(
        self, attempt: int, *, reason: str, give_up: str, retry_after: float | None = None
    ) -> None:
        """Wait before the next attempt, or stop with `give_up` after the last one."""
        if attempt == self.attempts:
            raise CliError(give_up, exit_code=EXIT_UNAVAILABLE)
        delay = self._delay(attempt, retry_after)
        self.ui.warn(f"{reason}; retrying in {delay:g}s (attempt {attempt + 1} of {self.attempts})")
        self.sleep(delay)

    def get(self, path: str) -> ApiResult:
        """GET an API path."""
        return self.request("GET", path)

    def post_json(self, path: str, payload: dict[str, Any]) -> ApiResult:
        """POST a JSON object to an API path."""
        return self.request("POST", path, json_body=payload)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        multipart: Multipart | None = None,
        progress: Callable[[int | None], None] | None = None,
    ) -> ApiResult:
        """Send a request, retrying 5xx answers and network failures; raises ApiError on 4xx."""
        import requests

        retryable = (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        )
        url = self.url(path)
        for attempt in range(1, self.attempts + 1):
            headers = self._headers()
            body: UploadBody | None = None
            if multipart is not None:
                if progress is not None and attempt > 1:
                    progress(None)
                body = UploadBody(multipart.segments, progress or (lambda _count: None))
                headers["Content-Type"] = multipart.content_type
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=headers,
                    json=json_body,
                    data=body,
                    timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                    allow_redirects=False,
                )
            except retryable as error:
                problem = _connection_problem(error)
                self._pause_before_retry(
                    attempt,
                    reason=problem,
                    give_up=f"could not reach the registry at {self.base_url}: {problem} "
                    f"(tried {self.attempts} times)",
                )
                continue
            except requests.RequestException as error:
                # Not worth a retry (an invalid URL, too many redirects, ...).
                raise CliError(
                    f"the request to the registry failed: {error}", exit_code=EXIT_UNAVAILABLE
                ) from None
            if response.status_code >= 500:
                error = error_from_response(response)
                self._pause_before_retry(
                    attempt,
                    reason=f"the registry answered HTTP {error.status}",
                    give_up=f"the registry failed ({error.code}, HTTP {error.status}) "
                    f"{self.attempts} times: {error.message}",
                    retry_after=error.retry_after,
                )
                continue
            if response.status_code >= 400:
                raise error_from_response(response)
            if 300 <= response.status_code < 400:
                raise CliError(
                    f"the registry redirected {method} {path} to "
                    f"{response.headers.get('Location', '?')}: use that address as --registry",
                    exit_code=EXIT_USAGE,
                )
            return ApiResult(status=response.status_code, data=self._data_of(response))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _data_of(self, response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise CliError(
                f"{self.base_url} answered HTTP {response.status_code} without JSON: "
                "is it a NaaP registry?",
                exit_code=EXIT_UNAVAILABLE,
            ) from None
        if isinstance(body, dict) and body.get("success") is True and "data" in body:
            return body["data"]
        # Documents (manifests) are returned bare, without the envelope.
        return body
