"""Settings: .env then the environment, one-line errors naming the key, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


def test_env_file_then_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("READALONG_DB=from-file.db\nDEV_GUILD_ID=123\nLOG_LEVEL=debug\n")
    settings = Settings.from_env({"READALONG_DB": "from-env.db"}, dotenv)
    assert (
        settings.db_path == Path("from-env.db")
        and settings.dev_guild_id == 123
        and settings.log_level == "DEBUG"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DEV_GUILD_ID", "abc"),
        ("LOG_LEVEL", "LOUD"),
        ("OPENAI_BASE_URL", "ftp://x"),
        ("READALONG_SECTION_CHARS", "50"),
    ],
)
def test_bad_values_name_their_key(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=key) as caught:
        Settings.from_mapping({key: value})
    assert "\n" not in str(caught.value)


def test_secrets_never_show() -> None:
    settings = Settings.from_mapping({"DISCORD_TOKEN": "tok-SECRET-1", "OPENAI_API_KEY": "sk-SECRET-2"})
    for text in (
        repr(settings),
        str(settings),
        f"{settings}",
        f"{settings.discord_token}",
        repr(settings.openai_api_key),
    ):
        assert "SECRET" not in text
    assert settings.require_token().reveal() == "tok-SECRET-1"
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        Settings.from_mapping({}).require_token()


def test_misspelled_keys_are_named_with_the_nearest_known_one() -> None:
    settings = Settings.from_mapping(
        {
            "DISCORD_TOKN": "tok-SECRET-1",
            "OPENAI_API_KY": "sk-SECRET-2",
            "READALONG_SECTON_CHARS": "900",
            "READALONG_COLOUR": "blue",
            "PATH": "/usr/bin",
            "HOME": "/root",
            "READALONG_DB": "r.db",
        }
    )
    assert settings.warnings() == [
        "unknown setting DISCORD_TOKN (did you mean DISCORD_TOKEN?); it is ignored",
        "unknown setting OPENAI_API_KY (did you mean OPENAI_API_KEY?); it is ignored",
        "unknown setting READALONG_COLOUR; it is ignored",
        "unknown setting READALONG_SECTON_CHARS (did you mean READALONG_SECTION_CHARS?); it is ignored",
    ]
    assert "SECRET" not in repr(settings) + repr(settings.extra)


def test_the_test_suites_keys_are_not_taken_for_typos() -> None:
    settings = Settings.from_mapping(
        {"READALONG_TEST_POSTGRES": "postgresql://postgres@127.0.0.1/test", "READALONG_REQUIRE_POSTGRES": "1"}
    )
    assert settings.warnings() == []
    assert Settings.from_mapping({"READALONG_REQUIRE_POSTGRESS": "1"}).warnings() != []
