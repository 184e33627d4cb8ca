"""Where Readalong keeps its data by default, and NO_COLOR."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings


def test_the_data_folder_follows_xdg_data_home(tmp_path: Path) -> None:
    settings = Settings.from_mapping(
        {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home")}
    )
    assert settings.data_dir == tmp_path / "data" / "readalong"
    assert settings.db_path == tmp_path / "data" / "readalong" / "readalong.db"
    assert settings.warnings() == []  # XDG_DATA_HOME and NO_COLOR are keys Readalong reads


def test_without_xdg_data_home_it_is_in_the_home_folder(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"HOME": str(tmp_path)})
    assert settings.db_path == tmp_path / ".local" / "share" / "readalong" / "readalong.db"


def test_a_relative_xdg_data_home_is_ignored_as_the_spec_says(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"XDG_DATA_HOME": "relative/data", "HOME": str(tmp_path)})
    assert settings.data_dir == tmp_path / ".local" / "share" / "readalong"


def test_readalong_db_still_wins(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"READALONG_DB": "here.db", "XDG_DATA_HOME": str(tmp_path)})
    assert settings.db_path == Path("here.db")
    assert settings.data_dir == tmp_path / "readalong"


def test_no_color_counts_only_when_not_empty() -> None:
    assert Settings.from_mapping({"NO_COLOR": "1"}).no_color
    assert not Settings.from_mapping({"NO_COLOR": ""}).no_color
    assert not Settings.from_mapping({}).no_color


def test_a_misspelled_no_color_is_pointed_out() -> None:
    assert Settings.from_mapping({"NO_COLOUR": "1"}).warnings() == [
        "unknown setting NO_COLOUR (did you mean NO_COLOR?); it is ignored"
    ]
