"""The configuration a deployment of several app servers needs: one secret key for all, given, never made up."""
from __future__ import annotations

import pytest

from webui.config import resolve

POSTGRES = "postgresql+psycopg://opera@db.example/opera"


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):  # noqa: ANN001, ANN201
    for name in ("OPERA_SECRET_KEY", "OPERA_DATABASE_URL", "OPERA_FILE_STORE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("demo", [False, True])
def test_on_postgresql_the_app_refuses_to_start_without_the_shared_secret_key(tmp_path, demo):  # noqa: ANN001
    with pytest.raises(RuntimeError, match="on PostgreSQL every app server needs the same"):
        resolve({"DATABASE_URL": POSTGRES, "DEMO": demo, "INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_the_key_and_the_file_store_come_from_the_environment(tmp_path, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("OPERA_SECRET_KEY", "the key every server shares")
    monkeypatch.setenv("OPERA_FILE_STORE", "folder")
    settings = resolve({"DATABASE_URL": POSTGRES, "INSTANCE_PATH": str(tmp_path)})
    assert settings["SECRET_KEY"] == "the key every server shares" and settings["FILE_STORE"] == "folder"


def test_the_sqlite_demo_keeps_a_key_of_its_own_in_the_instance_folder(tmp_path):  # noqa: ANN001
    settings = resolve({"DEMO": True, "INSTANCE_PATH": str(tmp_path)})
    assert settings["SECRET_KEY"] == (tmp_path / "secret_key").read_text(encoding="utf-8").strip()
