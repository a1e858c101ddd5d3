"""HTTP plumbing shared by the network adapters: settings, API key, retries."""

from __future__ import annotations

import email.utils
import logging
import os
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from equilens.errors import ModelError

logger = logging.getLogger(__name__)

# Replaced in tests to record the waits instead of sleeping.
_sleep = time.sleep

UNREACHABLE_LIMIT = 3
_RETRY_STATUS_CODES = frozenset({429, 500, 502, 503, 504})
_REDACTED = "***"


class HttpSettings(BaseModel):
    """Connection, retry and secret settings shared by the network adapters.

    Parameters
    ----------
    headers : dict of str to str
        Extra request headers. They are part of the plan, so they must not hold secrets.
    api_key_env : str, optional
        Name of the environment variable that contains the API key. The key is sent in
        `api_key_header` and never written to outputs, logs, messages or the cache.
    api_key_header : str
        Header that carries the key.
    api_key_prefix : str
        Text put before the key in the header, e.g. ``"Bearer "``.
    timeout : float
        Seconds to wait for a connection and for each read.
    max_retries : int
        Retries after the first attempt, on HTTP 429, 500, 502, 503 and 504, timeouts and
        failed or closed connections.
    backoff_base : float
        Seconds before the first retry; the wait doubles with each retry.
    backoff_max : float
        Maximum seconds between two attempts when the server sends no Retry-After.
    retry_after_max : float
        Maximum Retry-After, in seconds, that the adapter waits for. A longer one fails
        the batch at once.
    max_chars : int, optional
        Texts longer than this many characters are truncated before sending.
    batch_size : int
        Texts per batch. A batch is cached as soon as it completes.
    max_concurrency : int
        Batches in flight at once.
    """

    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(default_factory=dict)
    api_key_env: str | None = None
    api_key_header: str = "Authorization"
    api_key_prefix: str = "Bearer "
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    retry_after_max: float = Field(default=120.0, ge=0)
    max_chars: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=16, ge=1)
    max_concurrency: int = Field(default=4, ge=1)

    @field_validator("api_key_env")
    @classmethod
    def _check_env_name(cls, name: str | None) -> str | None:
        if name is not None and (not name or "=" in name or name != name.strip()):
            raise ValueError(
                f"api_key_env must be the name of an environment variable, got {name!r}; "
                "give the variable's name (e.g. MY_API_KEY), never the key itself"
            )
        return name


def check_http_url(url: str, *, field: str) -> str:
    """Raise ValueError unless `url` is an absolute http or https URL."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{field} {url!r} is not an http:// or https:// URL with a host")
    return url


def display_url(url: str | httpx.URL) -> str:
    """Return `url` without user info and query string, which may contain credentials."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


def read_api_key(env_name: str) -> SecretStr:
    """Return the API key stored in the environment variable `env_name`.

    Raises
    ------
    ModelError
        When the variable is not set or is empty. The message names the variable.
    """
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ModelError(
            f"The environment variable {env_name!r} named by api_key_env is not set or is "
            f"empty. Set it to the API key (export {env_name}=...) before running the audit, "
            "or remove api_key_env from the model configuration."
        )
    return SecretStr(value)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header: delay seconds or an HTTP date (RFC 9110, 10.2.3).

    Returns None when the header is missing or invalid; a date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (moment - now).total_seconds())


def truncate_texts(texts: Sequence[str], max_chars: int | None) -> tuple[list[str], list[bool]]:
    """Cut each text to `max_chars` characters; return the texts and which were cut."""
    if max_chars is None:
        return list(texts), [False] * len(texts)
    flags = [len(text) > max_chars for text in texts]
    return [text[:max_chars] for text in texts], flags


class HttpSession:
    """An httpx client that sends the API key and retries failed requests.

    The client can be shared between threads (httpx documents ``Client`` as thread-safe).
    """

    def __init__(self, settings: HttpSettings, *, model_id: str) -> None:
        self._settings = settings
        self._model_id = model_id
        headers = dict(settings.headers)
        self._api_key: SecretStr | None = None
        if settings.api_key_env is not None:
            self._api_key = read_api_key(settings.api_key_env)
            headers[settings.api_key_header] = (
                settings.api_key_prefix + self._api_key.get_secret_value()
            )
        self._client = httpx.Client(headers=headers, timeout=settings.timeout)
        # Requests in a row whose retries all failed to connect or timed out. Past
        # UNREACHABLE_LIMIT the server is taken to be down and nothing more is sent, so an
        # audit against a stopped server fails in seconds rather than retrying every batch.
        self._unreachable = 0
        self._lock = threading.Lock()

    def redact(self, text: str) -> str:
        """Return `text` with every occurrence of the API key replaced by ``***``."""
        if self._api_key is None:
            return text
        return text.replace(self._api_key.get_secret_value(), _REDACTED)

    def post_json(self, url: str, payload: Any) -> Any:
        """POST `payload` as JSON and return the decoded JSON response.

        Retries on HTTP 429, 500, 502, 503 and 504, timeouts and failed or closed
        connections. The wait before a retry is the server's Retry-After header when it
        sends one, and exponential backoff otherwise.

        Raises
        ------
        ModelError
            When the retries run out, the server rejects the request (another 4xx
            status), or the response is not valid JSON.
        """
        settings = self._settings
        shown_url = display_url(url)
        with self._lock:
            unreachable = self._unreachable
        if unreachable >= UNREACHABLE_LIMIT:
            raise ModelError(
                f"Not sent: the last {unreachable} requests to {shown_url} for model "
                f"{self._model_id!r} could not reach the server after every retry, so it looks "
                "down and no more requests are sent in this run. Start the server and run the "
                "audit again; answers already received are cached when the plan has a cache."
            )
        attempts = settings.max_retries + 1
        for attempt in range(attempts):
            retry_after = None
            connection_failed = False
            try:
                response = self._client.post(url, json=payload)
            except httpx.TimeoutException:
                reason = f"timed out after {settings.timeout:g} s"
                connection_failed = True
            except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
                reason = f"connection failed or was closed ({type(error).__name__}: {error})"
                connection_failed = True
            else:
                if response.status_code not in _RETRY_STATUS_CODES:
                    with self._lock:
                        self._unreachable = 0
                    return self._decode(response, shown_url)
                reason = f"HTTP {response.status_code} {response.reason_phrase}"
                if response.text:
                    reason += f": {response.text[:200]!r}"
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            reason = self.redact(reason)

            if attempt == attempts - 1:
                with self._lock:
                    self._unreachable = self._unreachable + 1 if connection_failed else 0
                raise ModelError(
                    f"POST {shown_url} for model {self._model_id!r} failed after {attempts} "
                    f"attempts; last error: {reason}. Check that the server is up, or raise "
                    "max_retries or timeout in the model configuration."
                )
            if retry_after is not None and retry_after > settings.retry_after_max:
                raise ModelError(
                    f"POST {shown_url} for model {self._model_id!r}: the server asked to retry "
                    f"after {retry_after:g} s ({reason}), more than retry_after_max="
                    f"{settings.retry_after_max:g} s. Try again later or raise retry_after_max."
                )
            if retry_after is not None:
                delay = retry_after
            else:
                delay = min(settings.backoff_max, settings.backoff_base * 2**attempt)
            logger.warning(
                "Retrying POST %s for model %s in %.3g s (retry %d of %d): %s",
                shown_url,
                self._model_id,
                delay,
                attempt + 1,
                settings.max_retries,
                reason,
            )
            _sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _decode(self, response: httpx.Response, shown_url: str) -> Any:
        if response.is_error:
            hint = ""
            if response.status_code in (401, 403):
                hint = (
                    " Check that the environment variable named by api_key_env holds a valid "
                    "key and that api_key_header and api_key_prefix match the server."
                )
            body = self.redact(response.text[:300])
            raise ModelError(
                f"POST {shown_url} for model {self._model_id!r} was rejected with HTTP "
                f"{response.status_code} {response.reason_phrase}: {body!r}.{hint}"
            )
        try:
            return response.json()
        except ValueError as error:
            body = self.redact(response.text[:200])
            raise ModelError(
                f"POST {shown_url} for model {self._model_id!r} returned a response that is "
                f"not valid JSON ({error}); the response starts with {body!r}. Check the URL "
                "and that the server returns JSON."
            ) from None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
