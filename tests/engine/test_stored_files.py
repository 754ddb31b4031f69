"""The file store in the database: the same behaviour as the folder, in chunks, shared by every process."""
from __future__ import annotations

import hashlib
import os
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from engine import Member
from engine.check import check, repair
from engine.files import STALE_AFTER, FileStore
from engine.models import StoredFile, StoredFileChunk
from engine.personal_data import erase_person
from engine.scenarios import sample_file
from engine.stored_files import CHUNK_SIZE, DatabaseFileStore, open_file_store, store_kind

from tests.conftest import database_kind

from .test_cases import OPERATOR, finish_welcome, open_group

# On SQLite the files stay in the folder (a file is written while the operation holds the one write lock).
pytestmark = pytest.mark.skipif(database_kind() != "postgresql",
                                reason="the database file store is for PostgreSQL (OPERA_TEST_DATABASE_URL)")


@pytest.fixture
def store(db_engine) -> DatabaseFileStore:  # noqa: ANN001
    return DatabaseFileStore(db_engine)


def chunk_sizes(sessions, sha: str) -> list[int]:  # noqa: ANN001
    with sessions() as session:
        return list(session.scalars(select(func.length(StoredFileChunk.data)).where(StoredFileChunk.sha256 == sha)
                                    .order_by(StoredFileChunk.offset)))


def test_a_large_file_is_kept_in_chunks_and_read_back_whole_or_from_any_place(store, sessions):
    content = os.urandom(2 * CHUNK_SIZE + 12345)
    sha = store.put(content)
    assert sha == hashlib.sha256(content).hexdigest()
    assert chunk_sizes(sessions, sha) == [CHUNK_SIZE, CHUNK_SIZE, 12345]
    assert store.exists(sha) and store.size(sha) == len(content) and store.read(sha) == content
    with store.open(sha) as stream:
        stream.seek(CHUNK_SIZE - 10)
        assert stream.read(20) == content[CHUNK_SIZE - 10:CHUNK_SIZE + 10]  # across two chunks
        stream.seek(-5, os.SEEK_END)
        assert stream.read() == content[-5:]
    assert store.put(content) == sha and chunk_sizes(sessions, sha) == [CHUNK_SIZE, CHUNK_SIZE, 12345]  # once
    empty = store.put(b"")
    assert store.read(empty) == b"" and store.size(empty) == 0
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
    store.delete(sha)
    assert not store.exists(sha) and chunk_sizes(sessions, sha) == []


@pytest.fixture
def attached(service, store) -> tuple[str, bytes]:  # noqa: ANN001
    """A worker's document attached to a case by an operation of a service on the database store."""
    case_id, v = open_group(service, members=[Member("w9", "Piero Gialli")])
    v = finish_welcome(service, case_id, v, members=[Member("w9", "Piero Gialli")])
    content = sample_file("piero.pdf", 400)
    type(service)(service.session_factory, service.library, store).attach_document(
        case_id, OPERATOR, v, "plan", "piero.pdf", content)
    return hashlib.sha256(content).hexdigest(), content


def test_check_and_repair_see_the_database_store_like_the_folder(attached, sessions, store, db_engine):
    kept, content = attached
    assert store.read(kept) == content and check(db_engine, store).ok
    stray = store.put(b"bytes no row refers to")
    young = store.put(b"an upload whose row is being written")
    with sessions.begin() as session:
        session.execute(update(StoredFile).where(StoredFile.sha256 == stray)
                        .values(touched_at=time.time() - STALE_AFTER - 60))
    report = check(db_engine, store)
    assert [p.text("en") for p in report.problems] == [f"file {stray} (-): stored, but no row refers to it"]
    assert report.files == 3
    assert repair(db_engine, store) == [f"stored_files:{stray}"]
    assert store.exists(young) and not store.exists(stray) and check(db_engine, store).ok
    store.delete(kept)
    assert [p.text("en") for p in check(db_engine, store).problems] == [
        f"file {kept} (case_documents): a row refers to it but the file is missing"]


def test_a_file_goes_after_the_erasure_unless_the_same_bytes_came_again(attached, sessions, store, db_engine):
    sha, content = attached
    began = time.time()
    assert store.delete_unused(db_engine, [sha], since=began) == []  # a row still refers to it
    released: set[str] = set()
    with sessions.begin() as session:
        erase_person(session.connection(), "w9", actor_id="adm", released=released)
    assert released == {sha}
    store.put(content)  # the same bytes uploaded again meanwhile
    assert store.delete_unused(db_engine, released, since=began) == [] and store.exists(sha)
    assert store.delete_unused(db_engine, released, since=time.time() + 1) == [sha]
    assert not store.exists(sha) and chunk_sizes(sessions, sha) == []


def test_the_store_is_chosen_by_the_database_unless_configured(db_engine, tmp_path, monkeypatch):
    monkeypatch.delenv("OPERA_FILE_STORE", raising=False)
    assert store_kind("sqlite:///x.sqlite") == "folder"
    assert store_kind("postgresql+psycopg://u@h/db") == "database"
    assert isinstance(open_file_store(db_engine, tmp_path), DatabaseFileStore)
    monkeypatch.setenv("OPERA_FILE_STORE", "Folder")
    assert store_kind("postgresql+psycopg://u@h/db") == "folder"
    assert open_file_store(db_engine, tmp_path).root == tmp_path / "files"
    monkeypatch.setenv("OPERA_FILE_STORE", "database")
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        store_kind("sqlite:///x.sqlite")
    monkeypatch.setenv("OPERA_FILE_STORE", "s3")
    with pytest.raises(ValueError, match="OPERA_FILE_STORE must be one of database, folder"):
        open_file_store(db_engine, tmp_path)


def test_opera_files_migrate_copies_a_folder_into_the_database_once(db_url, db_engine, tmp_path, store):
    from engine.cli import main

    folder = FileStore(tmp_path / "instance" / "files")
    hashes = [folder.put(b"first file"), folder.put(os.urandom(CHUNK_SIZE + 1))]
    store.put(b"first file")
    env = {"OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["files", "migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 files copied into the database, 1 were there already" in result.output
    assert all(store.read(sha) == folder.read(sha) for sha in hashes)
    again = CliRunner().invoke(main, ["files", "migrate"], env=env)
    assert "0 files copied into the database, 2 were there already" in again.output
    with db_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM stored_files")).scalar() == 2
    missing = CliRunner().invoke(main, ["files", "migrate", "--folder", str(tmp_path / "nowhere")], env=env)
    assert missing.exit_code == 1 and "is not a folder" in missing.output
