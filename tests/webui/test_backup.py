"""Backup and restore (scripts/backup.sh, scripts/restore.sh, as docs/deploy.md shows them): one dump holds the
database and the uploaded files; after the database is wiped and restored, the document downloads again."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest
from sqlalchemy import inspect, select, text

from engine.db import make_engine
from engine.models import CaseDocument
from engine.scenarios import sample_file
from tests.conftest import IN_CI, ROOT, database_kind
from tests.webui.test_uploads import at_diagnosis, upload  # noqa: F401 - a fixture

pytestmark = pytest.mark.skipif(database_kind() != "postgresql",
                                reason="backups are of the PostgreSQL database: runs in the PostgreSQL suite "
                                       "(OPERA_TEST_DATABASE_URL)")


def run(script: str, *args: str, **env: str) -> str:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("OPERA_")}
    done = subprocess.run([str(ROOT / "scripts" / script), *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_backup_restores_the_database_and_the_files_together(app, db_url, tmp_path, at_diagnosis,  # noqa: F811
                                                               as_role, sessions):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("pg_dump and pg_restore are needed (postgresql-client)")
        pytest.skip("pg_dump and pg_restore are not installed (postgresql-client)")
    case_id, version = at_diagnosis
    operator = as_role("operator")
    content = sample_file("bilanci.pdf", 1024 * 1024 + 300)
    assert upload(operator, case_id, version, "bilanci.pdf", content).status_code == 302
    with sessions() as session:
        document_id = session.scalar(select(CaseDocument.id).where(CaseDocument.case_id == case_id))
    written = run("backup.sh", str(tmp_path / "backups"), OPERA_DATABASE_URL=db_url).split()
    assert len(written) == 1 and written[0].endswith(".dump")  # the files are in the dump

    app.extensions["opera"].engine.dispose()
    wipe = make_engine(db_url)
    with wipe.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    assert inspect(wipe).get_table_names() == []  # nothing left: neither rows nor files
    wipe.dispose()

    assert "database restored" in run("restore.sh", written[0], OPERA_DATABASE_URL=db_url)
    app.extensions["opera"].engine.dispose()
    download = as_role("operator").get(f"/cases/{case_id}/documents/{document_id}")
    assert download.status_code == 200 and download.data == content
    assert hashlib.sha256(download.data).hexdigest() == hashlib.sha256(content).hexdigest()


def test_restore_refuses_what_is_not_a_backup(tmp_path, db_url):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("OPERA_")}
    done = subprocess.run([str(ROOT / "scripts" / "restore.sh"), str(tmp_path / "missing.dump")],
                          env={**clean, "OPERA_DATABASE_URL": db_url}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no such backup" in done.stderr
