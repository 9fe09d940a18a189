from __future__ import annotations

import re
from pathlib import Path

import pytest

from sdgbridge.config import Settings, load_settings
from sdgbridge.errors import ConfigError

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    assert documented == set(Settings.model_fields)


def test_environment_beats_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sdgbridge.toml").write_text(
        '[sdgbridge]\ndefault_group = "SDG_62"\napi_timeout = 5\n', encoding="utf-8")
    monkeypatch.setenv("SDGBRIDGE_API_TIMEOUT", "7.5")
    s = load_settings()
    assert (s.default_group, s.api_timeout) == ("SDG_62", 7.5)


def test_bad_database_url_says_what_to_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "unsupported database URL 'mysql://x': use sqlite:///file.db or " \
           "postgresql+psycopg://user@host:port/dbname" in str(err.value)


def test_broken_toml_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sdgbridge.toml").write_text("database_url = \n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith("sdgbridge.toml: not valid TOML (")
    assert str(err.value).endswith("Fix the file or remove it.")


def test_unknown_setting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sdgbridge.toml").write_text('databse_url = "sqlite:///x.db"\n',
                                             encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith("sdgbridge.toml: unknown setting databse_url; the "
                                     "settings are database_url, ")


def test_a_bad_value_is_the_only_problem_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBRIDGE_API_TIMEOUT", "abc")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == ("Invalid settings: api_timeout: Input should be a valid number, "
                              "unable to parse string as a number")
