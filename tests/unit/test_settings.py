"""Settings come from the environment, refuse unsafe production set-ups, and never show secrets."""

from __future__ import annotations

import pytest

from streetshare.settings import DEV_SECRET, Settings, SettingsError, load, redact_url

GOOD_SECRET = "k" * 16 + "0123456789abcdefghijkl"  # 38 characters
DB_URL = "postgresql://streetshare:pg-pass-s3cret@db:5432/streetshare"


def production(**env: str) -> dict[str, str]:
    return {"STREETSHARE_MODE": "production", "SECRET_KEY": GOOD_SECRET, "DATABASE_URL": DB_URL, **env}


def test_an_empty_environment_gives_a_development_set_up():
    settings = load({})

    assert settings.mode == "development"
    assert settings.database_url == ""
    assert settings.secret_key == DEV_SECRET
    assert settings.base_url == "http://127.0.0.1:8000"
    assert not settings.https


def test_production_with_a_real_secret_and_a_database_starts():
    settings = load(production())

    assert settings.production
    assert settings.secret_key == GOOD_SECRET
    assert settings.database_url == DB_URL


def test_production_refuses_a_missing_secret_key():
    env = production()
    del env["SECRET_KEY"]

    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load(env)


def test_production_refuses_an_empty_secret_key():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load(production(SECRET_KEY=""))


def test_production_refuses_a_short_secret_key():
    with pytest.raises(SettingsError, match="at least 32 characters"):
        load(production(SECRET_KEY="x" * 31))


def test_production_refuses_the_development_secret_key():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load(production(SECRET_KEY=DEV_SECRET))


def test_production_refuses_a_missing_database_url():
    env = production()
    del env["DATABASE_URL"]

    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load(env)


def test_development_runs_with_the_development_secret_and_the_embedded_database():
    assert load({"STREETSHARE_MODE": "development"}).secret_key == DEV_SECRET


def test_an_unknown_mode_is_refused():
    with pytest.raises(SettingsError, match="STREETSHARE_MODE"):
        load({"STREETSHARE_MODE": "prod"})


def test_a_number_setting_that_is_not_a_number_is_refused_with_its_name():
    with pytest.raises(SettingsError, match="SMTP_PORT"):
        load({"SMTP_PORT": "five-eight-seven"})


def test_base_url_loses_its_trailing_slash_and_https_is_detected():
    settings = load({"BASE_URL": "https://elm.example/"})

    assert settings.base_url == "https://elm.example"
    assert settings.https


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False), ("", True)])
def test_switches_read_the_usual_words(raw, expected):
    assert load({"SMTP_STARTTLS": raw}).smtp_starttls is expected


def test_repr_hides_the_secret_key_the_smtp_password_and_the_database_password():
    settings = load(production(SMTP_HOST="smtp.example", SMTP_PASSWORD="smtp-pass-s3cret"))

    shown = repr(settings) + str(settings)

    assert GOOD_SECRET not in shown
    assert "smtp-pass-s3cret" not in shown
    assert "pg-pass-s3cret" not in shown
    # Still useful to an operator: where the database is, and the mail server.
    assert "db:5432/streetshare" in shown
    assert "smtp.example" in shown


def test_repr_of_a_database_url_without_a_password_shows_it_whole():
    settings = Settings(database_url="postgresql://localhost/streetshare")

    assert "postgresql://localhost/streetshare" in repr(settings)


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().mode = "production"  # type: ignore[misc]


def test_with_returns_a_changed_copy():
    base = Settings()
    changed = base.with_(smtp_host="127.0.0.1", smtp_port=2525)

    assert (changed.smtp_host, changed.smtp_port) == ("127.0.0.1", 2525)
    assert base.smtp_host == ""


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://app:pa:ss@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("postgresql:///app?host=/run/pg&password=pa55", "postgresql:///app?host=/run/pg&password=***"),
        ("postgresql://app@db/app", "postgresql://app@db/app"),
        ("", ""),
    ],
)
def test_database_urls_are_shown_without_their_password(url, shown):
    assert redact_url(url) == shown
