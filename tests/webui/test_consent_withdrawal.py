"""Consent can be withdrawn at any time: by the worker in the portal, or recorded by the operator from their
signed paper. Processing stops: the cases go on hold with the withdrawal as the cause the staff read, a
`ConsentRecord` of kind "withdrawn" is written, and the databank profile is hidden from other desks and from
the catalogue. And the download of one's data is complete: profile, notes and meetings, consents, in JSON and
in a summary in the worker's language."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select, update

from databank import Databank
from databank.errors import EntryNotFound
from databank.public import area_skills
from databank.search import ProfileQuery, search_profiles
from engine.cases import Member
from engine.models import Case, Event
from tests.engine.test_check import assert_no_problems
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_erasure import PHONE, PRIVATE_EMAIL, anna_profile
from tests.webui.test_portal import case_at
from webui.models import CaseNote, User
from webui.portal.models import ConsentRecord

ANNA = PEOPLE["worker"]
OPERATOR, OTHER_DESK = PEOPLE["operator"].actor, PEOPLE["other_operator"].actor


def others(databank: Databank) -> None:
    """Two more shared profiles in Liguria: with Anna's, three people count in the catalogue."""
    for n in (1, 2):
        databank.create_profile(OPERATOR, {
            "desk_id": "genova", "display_name": f"Other {n}", "skills": ["saldatura navale [3]"],
            "region": "IT-42", "province": "IT-GE", "mobility": "region", "availability": "available",
            "consent_to_share": True})


def liguria_people(sessions) -> int | None:  # noqa: ANN001
    with sessions() as session:
        return area_skills(session, "IT-42", threshold=3, rounding=1).people.count


@pytest.fixture
def anna_case(app, service, sessions, files, people):  # noqa: ANN001, ANN201
    case_id, _v = case_at(service, "data_consent")
    profile_id = anna_profile(app, sessions, files, service)
    databank = Databank(sessions, files, service)
    databank.update_profile(OPERATOR, profile_id, databank.get_profile(OPERATOR, profile_id)["version"],
                            {"consent_to_share": True})
    others(databank)
    return case_id, profile_id, databank


def test_a_worker_withdraws_consent_in_the_portal_and_processing_stops(anna_case, sessions, files, as_role):
    case_id, profile_id, databank = anna_case
    assert liguria_people(sessions) == 3
    assert databank.get_profile(OTHER_DESK, profile_id)["personal"] is True  # shared before
    anna = as_role("worker")
    page = anna.get("/me/my-data")
    assert page.status_code == 200 and "Withdraw my consent" in page.text
    # Without the tick nothing happens.
    assert anna.post("/me/my-data/withdraw-consent", data={}).status_code == 400
    with sessions() as session:
        assert session.get(Case, case_id).status == "active"

    assert anna.post("/me/my-data/withdraw-consent", data={"confirm": "yes"}).status_code == 302
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.status == "on_hold" and case.held_at is not None
        last = session.scalar(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc()).limit(1))
        assert (last.type, last.actor_id, last.data["cause"], last.data["member"]) == \
            ("put_on_hold", ANNA.id, "consent_withdrawn", ANNA.id)
        record = session.scalar(select(ConsentRecord).where(ConsentRecord.kind == "withdrawn"))
        assert (record.person_id, record.case_id, record.channel, record.recorded_by) == \
            (ANNA.id, case_id, "portal", None)
        assert last.data["consent_record"] == record.id  # the event names the record written with it
    assert "You withdrew your consent" in anna.get("/me/my-data").text
    # The staff see why, on the case page's notice and in the timeline.
    page = as_role("operator").get(f"/cases/{case_id}")
    notice = page.text.split('class="hold-reason">', 1)[1].split("</span>", 1)[0]
    assert "Anna Rossi withdrew the consent to the processing of their personal data" in notice
    # The profile: still there for its desk and for Anna; gone for the other desks and the catalogue.
    assert databank.get_profile(OPERATOR, profile_id)["phone"] == PHONE
    with pytest.raises(EntryNotFound):
        databank.get_profile(OTHER_DESK, profile_id)
    with sessions() as session:
        assert profile_id not in [p["id"] for p in search_profiles(session, OTHER_DESK, ProfileQuery()).items]
        assert profile_id in [p["id"] for p in search_profiles(session, OPERATOR, ProfileQuery()).items]
    assert liguria_people(sessions) is None  # two left: fewer than the threshold
    assert_no_problems(sessions, files)


def test_the_operator_records_a_withdrawal_on_paper_for_every_case_of_the_worker(anna_case, service, sessions,
                                                                                 as_role):
    case_id, profile_id, _databank = anna_case
    second, _v = open_case(service, pathway="startup", members=[Member(ANNA.id, "Anna Rossi")])
    assert as_role("other_operator").get(f"/me/staff/cases/{case_id}/consent-withdrawn").status_code == 404
    operator = as_role("operator")
    page = operator.get(f"/me/staff/cases/{case_id}/consent-withdrawn")
    assert page.status_code == 200 and "Anna Rossi" in page.text
    assert operator.post(f"/me/staff/cases/{case_id}/consent-withdrawn",
                         data={"person": ANNA.id}).status_code == 400  # not confirmed
    assert operator.post(f"/me/staff/cases/{case_id}/consent-withdrawn",
                         data={"person": ANNA.id, "confirm": "yes"}).status_code == 302
    with sessions() as session:
        assert [session.get(Case, c).status for c in (case_id, second)] == ["on_hold", "on_hold"]
        records = list(session.scalars(select(ConsentRecord).where(ConsentRecord.kind == "withdrawn")
                                       .order_by(ConsentRecord.case_id)))
        assert [(r.case_id, r.channel, r.recorded_by) for r in records] == \
            [(case_id, "paper", OPERATOR.id), (second, "paper", OPERATOR.id)]
        from databank.models import Profile
        assert session.get(Profile, profile_id).processing_stopped is True


def test_the_download_holds_the_profile_notes_meetings_and_consents_with_a_summary_in_the_workers_language(
        anna_case, service, sessions, as_role):
    case_id, _profile_id, _databank = anna_case
    alone, _v = open_case(service, pathway="startup", members=[Member(ANNA.id, "Anna Rossi")])
    with sessions.begin() as session:
        session.add(CaseNote(case_id=alone, kind="note", author_id=OPERATOR.id, body="Wants a bakery"))
        session.add(CaseNote(case_id=case_id, kind="meeting", author_id=OPERATOR.id, place="Sestri",
                             body="Anna Rossi brought her papers"))
        session.add(CaseNote(case_id=case_id, kind="note", author_id=OPERATOR.id, body="Luca Ferrari is late"))
        session.execute(update(User).where(User.id == ANNA.id).values(language="it"))
    anna = as_role("worker")
    assert anna.post("/me/my-data/withdraw-consent", data={"confirm": "yes"}).status_code == 302
    response = anna.get("/me/my-data.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    profile = data["databank_profiles"][0]
    assert (profile["phone"], profile["email"]) == (PHONE, PRIVATE_EMAIL)
    assert [n["body"] for n in data["notes"]] == ["Wants a bakery"]  # not the note about someone else
    assert [(m["body"], m["place"]) for m in data["meetings"]] == [("Anna Rossi brought her papers", "Sestri")]
    assert [c["kind"] for c in data["consents"]] == ["withdrawn", "withdrawn"]
    summary = archive.read("summary.html").decode()
    assert "I miei dati personali" in summary and PHONE in summary and "Wants a bakery" in summary
    assert "revocato" in summary and "Luca Ferrari is late" not in summary
    page = anna.get("/me/my-data/summary")
    assert page.status_code == 200 and "Anna Rossi brought her papers" in page.text


def test_a_worker_withdraws_only_their_own_consent_and_an_operator_only_on_their_desks_cases(anna_case, service,
                                                                                            sessions):
    from engine import Actor, NotAllowed

    case_id, _profile_id, _databank = anna_case
    with sessions() as session:
        version = session.get(Case, case_id).version
    for actor, person in ((Actor.of("w.luca", ["worker"]), ANNA.id), (OTHER_DESK, ANNA.id)):
        with pytest.raises(NotAllowed):
            service.hold_for_withdrawn_consent(case_id, actor, version, person)
    with sessions() as session:
        assert session.get(Case, case_id).status == "active"
    receipt = service.hold_for_withdrawn_consent(case_id, Actor.of("w.luca", ["worker"]), version, "w.luca")
    assert receipt.version == version + 1


def test_a_worker_gives_consent_again_and_the_profile_is_listed_again_while_the_case_waits_for_the_desk(
        anna_case, sessions, as_role):
    case_id, profile_id, databank = anna_case
    anna = as_role("worker")
    assert anna.post("/me/my-data/withdraw-consent", data={"confirm": "yes"}).status_code == 302
    assert "Give my consent again" in anna.get("/me/my-data").text
    assert anna.post("/me/my-data/renew-consent", data={}).status_code == 400  # not confirmed
    assert anna.post("/me/my-data/renew-consent", data={"confirm": "yes"}).status_code == 302
    assert "Withdraw my consent" in anna.get("/me/my-data").text
    with sessions() as session:
        kinds = list(session.scalars(select(ConsentRecord.kind).where(ConsentRecord.requirement_id.in_(
            ["withdrawal", "renewal"])).order_by(ConsentRecord.id)))
        assert kinds == ["withdrawn", "given"]
        assert session.get(Case, case_id).status == "on_hold"  # the desk resumes it
    record = databank.get_profile(OTHER_DESK, profile_id)
    assert record["personal"] is False  # listed again, its personal part no longer shared
    assert liguria_people(sessions) == 3
