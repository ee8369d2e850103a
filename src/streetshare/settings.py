"""Settings: the only module that reads the environment.

Every field is documented here and in the README's configuration table.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from streetshare.status.rules import ContactsError, load_contacts  # pure: stdlib only, no cycle

DEV_SECRET = "dev-only-insecure-secret-key-change-me"


class SettingsError(RuntimeError):
    """The environment describes a configuration we refuse to run with."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc


def redact_url(url: str) -> str:
    """The URL without its password (user:password@host, or a password= parameter)."""
    url = re.sub(r"^([a-z][a-z0-9+.-]*://[^/?#@:]*):[^/?#@]*@", r"\1:***@", url, flags=re.IGNORECASE)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    # "development" (default), "demo" (what `streetshare demo` uses) or "production".
    mode: str = "development"
    # postgresql://user:password@host:port/db. Empty: an embedded PostgreSQL under data_dir.
    database_url: str = ""
    # Signs session and CSRF cookies. Required (32+ characters) in production.
    secret_key: str = field(default=DEV_SECRET, repr=False)
    # The public address, used in emails and to decide whether cookies are Secure.
    base_url: str = "http://127.0.0.1:8000"
    # Where the embedded database, uploads and the mail outbox live.
    data_dir: Path = field(default_factory=lambda: Path("var").resolve())
    # Outgoing mail. Without smtp_host, mail is written to data_dir/outbox instead.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    mail_from: str = "Streetshare <no-reply@streetshare.local>"
    # Geocoding: "nominatim" (default), "fake" (offline, UK test data), or any geopy
    # geocoder name (e.g. "photon", "arcgis"); geocoder_user_agent is required by Nominatim.
    # The demo tries a real one first (2 s timeout) and finds its own area offline too.
    # geocoder_domain: a self-hosted service ("nominatim.example.org", or "http://host:port").
    geocoder: str = "nominatim"
    geocoder_user_agent: str = "streetshare (self-hosted; set STREETSHARE_GEOCODER_USER_AGENT)"
    geocoder_timeout_s: int = 5
    geocoder_domain: str = ""
    # ISO country codes results must lie in (empty: anywhere).
    geocoder_country_codes: str = "gb"
    # Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy.
    trust_proxy: bool = False
    # Database connection pool size per app process.
    db_pool_min: int = 1
    db_pool_max: int = 10
    # Web server worker processes for `streetshare serve`.
    web_workers: int = 2
    # Sign-in sessions last this many days.
    session_days: int = 30
    log_level: str = "INFO"
    # Run the background worker inside the web process (the demo does).
    embedded_worker: bool = False
    # A TOML file of where to report street problems officially, per area (status/rules.py
    # parse_contacts shows the format). Unset: British defaults (105 for power cuts, ...).
    official_contacts: Path | None = None

    def __repr__(self) -> str:
        # Settings end up in logs and tracebacks: no secret key, no passwords (the database's included).
        shown = []
        for f in fields(self):
            if f.repr:
                value = getattr(self, f.name)
                shown.append(f"{f.name}={redact_url(value) if f.name == 'database_url' else value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "postgres"

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    def check(self) -> "Settings":
        if self.mode not in {"development", "demo", "production"}:
            raise SettingsError(f"STREETSHARE_MODE must be development, demo or production, not {self.mode!r}")
        if self.production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "SECRET_KEY must be set to a random value of at least 32 characters in production "
                    f"(for example: {secrets.token_urlsafe(48)})"
                )
            if not self.database_url:
                raise SettingsError("DATABASE_URL must be set in production (the embedded database is for trying things out)")
        if self.official_contacts is not None:
            try:
                load_contacts(self.official_contacts)  # validated once here, so a bad file stops the start
            except ContactsError as exc:
                raise SettingsError(f"STREETSHARE_OFFICIAL_CONTACTS: {exc}") from exc
        return self


def load(env: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the given mapping)."""
    e = dict(os.environ if env is None else env)
    s = Settings(
        mode=e.get("STREETSHARE_MODE", "development"),
        database_url=e.get("DATABASE_URL", ""),
        secret_key=e.get("SECRET_KEY", "") or DEV_SECRET,
        base_url=e.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        data_dir=Path(e.get("STREETSHARE_DATA_DIR", "var")).resolve(),
        smtp_host=e.get("SMTP_HOST", ""),
        smtp_port=_int(e, "SMTP_PORT", 587),
        smtp_username=e.get("SMTP_USERNAME", ""),
        smtp_password=e.get("SMTP_PASSWORD", ""),
        smtp_starttls=_bool(e.get("SMTP_STARTTLS"), True),
        mail_from=e.get("MAIL_FROM", "Streetshare <no-reply@streetshare.local>"),
        geocoder=e.get("STREETSHARE_GEOCODER", "nominatim"),
        geocoder_user_agent=e.get(
            "STREETSHARE_GEOCODER_USER_AGENT",
            "streetshare (self-hosted; set STREETSHARE_GEOCODER_USER_AGENT)",
        ),
        geocoder_timeout_s=_int(e, "STREETSHARE_GEOCODER_TIMEOUT", 5),
        geocoder_domain=e.get("STREETSHARE_GEOCODER_DOMAIN", ""),
        geocoder_country_codes=e.get("STREETSHARE_GEOCODER_COUNTRIES", "gb"),
        trust_proxy=_bool(e.get("STREETSHARE_TRUST_PROXY"), False),
        db_pool_min=_int(e, "DB_POOL_MIN", 1),
        db_pool_max=_int(e, "DB_POOL_MAX", 10),
        web_workers=_int(e, "WEB_CONCURRENCY", 2),
        session_days=_int(e, "STREETSHARE_SESSION_DAYS", 30),
        log_level=e.get("LOG_LEVEL", "INFO"),
        embedded_worker=_bool(e.get("STREETSHARE_EMBEDDED_WORKER"), False),
        official_contacts=Path(e["STREETSHARE_OFFICIAL_CONTACTS"]).resolve() if e.get("STREETSHARE_OFFICIAL_CONTACTS") else None,
    )
    return s.check()
