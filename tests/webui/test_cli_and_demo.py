"""The `opera` command's web UI groups, the demo data, and the compiled catalogues."""
from __future__ import annotations

from datetime import datetime, timezone

from click.testing import CliRunner
from sqlalchemy import func, select

from engine import audit
from engine.models import Case, CaseMember, Desk, Event
from tests.conftest import SHIPPED_PATHWAYS
from webui.cli import main
from webui.models import User


def run(db_url, tmp_path, *args, input=None):  # noqa: A002, ANN001, ANN201
    env = {"OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(tmp_path / "instance"),
           "OPERA_PATHWAYS_DIR": str(SHIPPED_PATHWAYS), "OPERA_SECRET_KEY": "cli test"}
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def test_opera_has_the_engine_commands_and_the_web_ui_ones():
    result = CliRunner().invoke(main, ["--help"])
    for group in ("pathways", "db", "serve", "users", "desks", "demo"):
        assert group in result.output


def test_desks_and_users_are_created_from_the_command_line(db_url, tmp_path, sessions):
    assert run(db_url, tmp_path, "desks", "create", "genova", "--name", "Sportello Genova", "--country", "IT",
               "--region", "Liguria").exit_code == 0
    result = run(db_url, tmp_path, "users", "create", "op1", "--email", "Op1@Example.org", "--name", "Op One",
                 "--role", "operator", "--desk", "genova", "--password", "a long password")
    assert result.exit_code == 0, result.output
    with sessions() as session:
        user = session.get(User, "op1")
        assert user.email == "op1@example.org" and user.desk_ids == ["genova"] and user.password_hash.startswith("scrypt:")
    again = run(db_url, tmp_path, "users", "create", "op1", "--email", "x@example.org", "--name", "X",
                "--role", "admin", "--password", "a long password")
    assert again.exit_code != 0 and "This identifier is taken." in again.output
    taken = run(db_url, tmp_path, "users", "create", "op2", "--email", "OP1@example.org", "--name", "X",
                "--role", "admin", "--password", "a long password")
    assert taken.exit_code != 0 and "This e-mail belongs to another account." in taken.output
    with sessions() as session:
        assert [e.type for e in audit.entries(session.connection(), "desk", "genova")] == ["desk_created"]
        [created] = audit.entries(session.connection(), "user", "op1")
        assert created.actor_id == "cli" and created.data["desks"] == ["genova"]
        assert session.get(User, "op2") is None
    short = run(db_url, tmp_path, "users", "create", "op2", "--email", "y@example.org", "--name", "Y",
                "--role", "admin", "--password", "short")
    assert short.exit_code != 0


def test_the_demo_has_desks_in_both_countries_every_role_and_cases_of_every_pathway(db_url, tmp_path, sessions):
    result = run(db_url, tmp_path, "demo", "load")
    assert result.exit_code == 0, result.output
    now = datetime.now(timezone.utc)
    with sessions() as session:
        assert {d.country for d in session.scalars(select(Desk))} == {"IT", "FR"}
        roles = set()
        for user in session.scalars(select(User)):
            roles.update(user.roles)
        assert {"admin", "operator", "mentor", "designer", "worker"} <= roles
        cases = list(session.scalars(select(Case)))
        assert {c.pathway_id for c in cases} == {"startup", "wbo", "spinoff", "community_coop"}
        assert len({(c.pathway_id, c.stage_id) for c in cases}) >= 10  # at different stages
        assert any(c.status == "active" and c.due_at and c.due_at < now for c in cases)  # some overdue
        assert any(c.status == "closed" for c in cases) and any(c.status == "on_hold" for c in cases)
        assert {c.outcome for c in cases if c.status == "closed"} >= {"company_created", "withdrawn", "referred"}
        for case in cases:  # real event histories: the version is the last event's number
            last = session.scalar(select(func.max(Event.seq)).where(Event.case_id == case.id))
            assert case.version == last
        assert session.scalar(select(func.count()).select_from(CaseMember).where(CaseMember.kind == "mentor")) > 0
        # Most workers have their sex and year of birth recorded, not all (some prefer not to say).
        details = [(m.sex, m.birth_year) for m in session.scalars(select(CaseMember).where(CaseMember.kind == "worker"))]
        recorded = [d for d in details if d[0] and d[1]]
        assert len(details) * 0.6 < len(recorded) < len(details) and (None, None) in details
        assert {sex for sex, _year in recorded} == {"female", "male"}
        # Every worker of a case has the intake questionnaire: submitted, or started and kept as a draft where
        # the case is at the questionnaire's stage.
        from engine.models import AssessmentResponse

        for case in cases:
            workers = {m.person_id for m in case.members if m.kind == "worker"}
            responses = list(session.scalars(select(AssessmentResponse).where(
                AssessmentResponse.person_id.in_(workers), AssessmentResponse.assessment_id == "entrecomp-intake")))
            assert {r.person_id for r in responses} == workers, case.id
            drafts = [r for r in responses if r.submitted_at is None]
            assert all(r.answers for r in drafts)
            if drafts:
                assert case.stage_id == "entrepreneurial_assessment", case.id
    # Cases closed with a successful outcome recorded their jobs, which monitoring counts.
    assert run(db_url, tmp_path, "db", "refresh-monitoring").exit_code == 0
    with sessions() as session:
        from engine.models import MonitoredCase

        successful = [c.id for c in session.scalars(select(Case).where(
            Case.outcome.in_(("company_created", "coop_constituted"))))]
        jobs = {m.case_id: (m.jobs_created, m.jobs_kept) for m in session.scalars(
            select(MonitoredCase).where(MonitoredCase.case_id.in_(successful)))}
        assert successful and all(jobs[i][0] > 0 for i in successful), jobs
        # What the demo wrote reads like a desk's own notes (the dossier prints it), no placeholder.
        from engine.models import FormData, SignOff

        texts = [v for row in session.scalars(select(FormData)) for v in row.data.values() if isinstance(v, str)]
        texts += [c for c in session.scalars(select(SignOff.comment)) if c]
        assert texts and "Officina Mare S.r.l." in texts
        assert not [t for t in texts if "demo" in t.lower() or " / " in t]
    assert run(db_url, tmp_path, "demo", "load").exit_code == 1  # not twice


def test_the_demo_shows_progress_since_the_intake_on_cases_that_reached_the_follow_up(db_url, tmp_path, sessions):
    from engine.assessment_library import AssessmentLibrary
    from engine.models import AssessmentResponse
    from engine.progress import case_progress

    assert run(db_url, tmp_path, "demo", "load").exit_code == 0
    assessments = AssessmentLibrary(sessions)
    now = datetime.now(timezone.utc)
    with sessions() as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        progress = {c.id: case_progress(session, assessments, c.id) for c in cases}
        shown = [c for c in cases if progress[c.id]]
        assert len(shown) >= 2 and {c.pathway_id for c in shown} >= {"startup", "wbo"}
        for case in cases:
            workers = [m.person_id for m in case.members if m.kind == "worker"]
            answered = set(session.scalars(select(AssessmentResponse.person_id).where(
                AssessmentResponse.case_id == case.id, AssessmentResponse.assessment_id == "entrecomp-followup",
                AssessmentResponse.submitted_at.is_not(None))))
            # Submitted through the engine: each answer is an event of the case's history.
            events = session.scalars(select(Event).where(Event.case_id == case.id,
                                                         Event.type == "assessment_submitted")).all()
            assert answered == {e.data["member"] for e in events if e.data["assessment"] == "entrecomp-followup"}
            if case.outcome in ("company_created", "coop_constituted"):
                # A case closed with its outcome passed the follow-up: every worker answered it.
                assert answered == set(workers)
                assert [p.person_id for p in progress[case.id]] == workers
            assert {p.person_id for p in progress[case.id]} == answered
        # A late case at the follow-up: some members have answered, the others not yet.
        late = [c for c in cases if c.status == "active" and c.due_at < now and progress[c.id]]
        assert late and all(0 < len(progress[c.id]) < len([m for m in c.members if m.kind == "worker"])
                            for c in late)
        # The follow-up answers grow from each worker's intake: the demo shows progress, mostly upward.
        changes = [a.change for c in shown for p in progress[c.id] for a in p.areas]
        assert sum(changes) / len(changes) > 0 and len(set(changes)) > 1


def test_catalogues_are_compiled_into_the_instance_folder(db_url, tmp_path):  # noqa: ANN001
    from pathlib import Path

    from webui import create_app

    # Not the `app` fixture: its instance folder starts with the run's compiled catalogues.
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test secret key, long enough to sign",
                      "INSTANCE_PATH": str(tmp_path / "new instance"), "AUTO_UPGRADE": False,
                      "SYNC_PATHWAYS": False})
    app.extensions["opera"].engine.dispose()
    compiled = Path(app.instance_path) / "translations"
    assert (compiled / "it" / "LC_MESSAGES" / "messages.mo").exists()
    assert (compiled / "fr" / "LC_MESSAGES" / "messages.mo").exists()


def test_pathway_texts_fall_back_to_another_language():
    from webui.i18n import localize

    assert localize({"it": "Ciao", "en": "Hello"}, "fr") == "Hello"
    assert localize({"it": "Ciao"}, "fr") == "Ciao"


def test_opera_check_replays_the_demo_to_0_problems_and_fails_on_a_state_changed_behind_the_engine(
        db_url, tmp_path, sessions):
    from sqlalchemy import text

    assert run(db_url, tmp_path, "demo", "load").exit_code == 0
    result = run(db_url, tmp_path, "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("files checked: 0 problems")
    with sessions.begin() as session:
        case_id = session.scalar(select(func.min(Case.id)))
        session.execute(text(f"UPDATE cases SET version = version + 5 WHERE id = {case_id}"))
    result = run(db_url, tmp_path, "check", "--lang", "it")
    assert result.exit_code == 1
    assert f"pratica {case_id} (dopo l'evento" in result.output and "version è" in result.output
    assert result.output.strip().endswith("problemi: 1")


def test_a_file_that_cannot_be_written_is_a_sentence_not_a_traceback(db_url, tmp_path):
    result = run(db_url, tmp_path, "databank", "export", str(tmp_path / "missing" / "out.csv"), "--kind", "profiles",
                 "--lang", "fr")
    assert result.exit_code == 1
    assert "Un fichier ne peut pas être lu ou écrit" in result.output and "out.csv" in result.output
