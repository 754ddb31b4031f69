"""Documents: size and type limits from the pathway, content-addressed storage, served only to those who may
see the case; a refused upload writes nothing."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from engine.models import CaseDocument, Event
from engine.scenarios import sample_file
from tests.webui.conftest import open_case
from tests.webui.test_case_page import walk_to


def stored_files(files) -> list:  # noqa: ANN001
    """Every file of the store (in a folder, the temporary ones too)."""
    if files.kind == "database":
        return list(files.stored())
    return [p for p in files.root.rglob("*") if p.is_file()] if files.root.exists() else []


def upload(browser, case_id, version, name, content, requirement="financial_statements"):  # noqa: ANN001, ANN201
    return browser.post(f"/cases/{case_id}/documents", data={
        "version": version, "requirement": requirement, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


@pytest.fixture
def at_diagnosis(service, people):  # noqa: ANN001, ANN201
    """A WBO case at the crisis diagnosis (financial statements: pdf, xlsx, ods, csv; at most 20 MB)."""
    case_id, v = walk_to(service, "pathway_choice")
    from tests.webui.conftest import PEOPLE
    from webui.demo import Builder, DemoClock
    from engine.models import utcnow
    import random

    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(2))
    v = builder.complete(case_id, v, "pathway_confirmed", PEOPLE["operator"].actor, PEOPLE["mentor"].actor, {})
    return case_id, v


def test_a_document_is_stored_under_its_hash_and_downloaded_by_who_may_see_the_case(at_diagnosis, as_role, files,
                                                                                   sessions):
    case_id, v = at_diagnosis
    operator = as_role("operator")
    content = sample_file("bilanci.pdf", 5000)
    response = upload(operator, case_id, v, "bilanci 2025.pdf", content)
    assert response.status_code == 302
    digest = hashlib.sha256(content).hexdigest()
    assert files.read(digest) == content
    with sessions() as session:
        document = session.scalar(select(CaseDocument).where(CaseDocument.case_id == case_id))
        assert document.sha256 == digest and document.filename == "bilanci 2025.pdf"
    download = operator.get(f"/cases/{case_id}/documents/{document.id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert as_role("mentor").get(f"/cases/{case_id}/documents/{document.id}").status_code == 200
    for role in ("other_operator", "other_mentor"):
        assert as_role(role).get(f"/cases/{case_id}/documents/{document.id}").status_code == 404
    for role in ("worker", "designer"):
        assert as_role(role).get(f"/cases/{case_id}/documents/{document.id}").status_code == 403
    # Removed documents are no longer served.
    assert operator.post(f"/cases/{case_id}/documents/{document.id}/remove", data={"version": v + 1}).status_code == 302
    assert operator.get(f"/cases/{case_id}/documents/{document.id}").status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("bilanci.pdf", sample_file("x.pdf", 20 * 1024 * 1024 + 10), "too big"),
    ("bilanci.exe", sample_file("x.exe", 2000), "type"),
    ("bilanci.pdf", sample_file("x.exe", 2000), "type"),  # the name says PDF, the bytes do not
    ("bilanci.docx", sample_file("x.docx", 2000), "type"),  # a real type, but not one this requirement takes
    ("../../etc/passwd.pdf", sample_file("x.pdf", 2000), "name"),
    ("..\\..\\boot.pdf", sample_file("x.pdf", 2000), "name"),
    (".hidden.pdf", sample_file("x.pdf", 2000), "name"),
    ("empty.pdf", b"", None),
])
def test_a_refused_upload_writes_nothing(at_diagnosis, as_role, files, sessions, name, content, message):
    case_id, v = at_diagnosis
    before = stored_files(files)
    response = upload(as_role("operator"), case_id, v, name, content)
    assert response.status_code in (413, 422)
    if message and response.status_code == 422:
        assert message in response.text.lower() or "file" in response.text.lower()
    assert stored_files(files) == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseDocument)) == 0
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.case_id == case_id, Event.type == "document_attached")) == 0


def test_a_body_above_the_server_limit_is_refused_before_it_is_read(app, at_diagnosis, as_role, files):
    case_id, v = at_diagnosis
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = upload(as_role("operator"), case_id, v, "big.pdf", sample_file("x.pdf", 2 * 1024 * 1024))
    assert response.status_code == 413 and "too big" in response.text
    assert stored_files(files) == []


def test_a_mentor_cannot_upload_where_the_pathway_does_not_let_mentors(at_diagnosis, as_role, files):
    case_id, v = at_diagnosis
    response = upload(as_role("mentor"), case_id, v, "bilanci.pdf", sample_file("x.pdf", 2000))
    assert response.status_code == 403 and stored_files(files) == []


def test_an_upload_without_a_file_is_refused(at_diagnosis, as_role):
    case_id, v = at_diagnosis
    response = as_role("operator").post(f"/cases/{case_id}/documents", data={"version": v,
                                                                           "requirement": "financial_statements"})
    assert response.status_code == 422 and "Choose a file" in response.text
