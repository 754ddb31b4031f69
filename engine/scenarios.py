"""Pathway scenarios: "given these actions by these actors, the case reaches this stage or outcome; and
this action is refused with this reason". Pathways are tested like code, by `opera pathways test` and by
the test suite, on a scratch database.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .assessment_library import AssessmentLibrary
from .cases import Actor, CaseService, Member, Receipt
from .db import make_engine, make_session_factory
from .errors import EngineError, FormInvalid, NotAllowed, RequirementsNotMet
from .files import FileStore
from .library import SCENARIO_DIR, PathwayLibrary, pathway_files
from .loader import LoadError, SourceDocument, read_file
from .models import Base, Case, CaseDocument, Desk, Event, FormData
from .validation import schema_problems

ACTIONS = ("tick", "untick", "upload", "remove", "submit", "sign", "request", "sign_by_link", "add_party",
           "remove_party", "paper", "assess", "choose", "advance", "hold", "resume", "withdraw", "reopen", "switch",
           "close")


@dataclass
class ScenarioResult:
    file: str
    name: str
    pathway: str
    failures: list[str] = field(default_factory=list)
    steps_run: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


class ScenarioFailure(Exception):
    pass


def scenario_files(paths: list[Path]) -> list[Path]:
    """Scenario files named directly, or found in <pathways dir>/scenarios/."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            folder = path / SCENARIO_DIR if (path / SCENARIO_DIR).is_dir() else path
            found.extend(pathway_files(folder))
        else:
            found.append(path)
    return found


class ScenarioRunner:
    """Runs scenarios against the pathways of a directory, on a scratch SQLite database."""

    def __init__(self, pathways_dir: Path, sessions: sessionmaker[Session] | None = None,
                 assessments_dir: Path | None = None):
        """On `sessions` (a migrated database) if given, else on a scratch SQLite file of its own. The
        assessments the pathways ask for are read from `assessments_dir` (default: ../assessments)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="opera-scenarios-")
        root = Path(self._tmp.name)
        self.engine = None
        if sessions is None:
            self.engine = make_engine(f"sqlite:///{root / 'scenarios.sqlite'}")
            Base.metadata.create_all(self.engine)
            sessions = make_session_factory(self.engine)
        self.sessions: sessionmaker[Session] = sessions
        self.library = PathwayLibrary(self.sessions, pathways_dir)
        self.report = self.library.sync()
        self.assessments = AssessmentLibrary(self.sessions, assessments_dir or Path(pathways_dir).parent / "assessments")
        self.assessment_report = self.assessments.sync()
        self.service = CaseService(self.sessions, self.library, FileStore(root / "files"), assessments=self.assessments)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self._tmp.cleanup()

    def __enter__(self) -> "ScenarioRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_file(self, path: Path) -> ScenarioResult:
        try:
            doc = read_file(path)
        except LoadError as exc:
            return ScenarioResult(str(path), path.stem, "?", [exc.problem.format()])
        problems = schema_problems(doc, "scenario.schema.json")
        if problems:
            return ScenarioResult(str(path), path.stem, "?", [p.format() for p in problems])
        return self.run(doc)

    def run(self, doc: SourceDocument) -> ScenarioResult:
        data = doc.data
        result = ScenarioResult(doc.file, data["scenario"], data["pathway"])
        try:
            _Run(self, doc, result).execute()
        except ScenarioFailure as failure:
            result.failures.append(str(failure))
        return result


class _Run:
    def __init__(self, runner: ScenarioRunner, doc: SourceDocument, result: ScenarioResult):
        self.runner = runner
        self.service = runner.service
        self.doc = doc
        self.result = result
        self.data = doc.data
        self.actors = {
            name: Actor.of(name, spec["roles"], spec.get("desks", ())) for name, spec in self.data["actors"].items()
        }
        self.names = {name: spec.get("name", name) for name, spec in self.data["actors"].items()}
        self.case_id = 0
        self.version = 0

    def fail(self, path: tuple, text: str) -> ScenarioFailure:
        file, line, col = self.doc.where(path)
        return ScenarioFailure(f"{file}:{line}:{col}: {text}")

    def actor(self, name: str | None, path: tuple) -> Actor:
        if name is None or name not in self.actors:
            raise self.fail(path, f"unknown actor '{name}' (declare it under 'actors')")
        return self.actors[name]

    def execute(self) -> None:
        case = self.data["case"]
        with self.runner.sessions.begin() as session:
            if session.get(Desk, case["desk"]) is None:
                session.add(Desk(id=case["desk"], name=case["desk"], country=case.get("country", "IT"),
                                 region=case.get("region", "")))
        opener = self.actor(case["opened_by"], ("case", "opened_by"))
        try:
            receipt = self.service.open_case(
                opener, pathway_id=self.data["pathway"], desk_id=case["desk"],
                members=[Member(m, self.names.get(m, m)) for m in case["members"]],
                mentors=[Member(m, self.names.get(m, m)) for m in case.get("mentors", [])],
                supply_chains=case.get("supply_chains", []), at=case.get("at"), forms=case.get("forms"),
                assessments=case.get("assessments"))
        except EngineError as exc:
            detail = "; ".join(f"{name}: {', '.join(u.message() for u in unmet)}"
                               for name, unmet in getattr(exc, "field_errors", {}).items())
            raise self.fail(("case",), f"the case could not be opened: {exc.message()}"
                                       + (f" ({detail})" if detail else "")) from None
        self.case_id, self.version = receipt.case_id, receipt.version
        for name, role in case.get("parties", {}).items():
            self.actor(name, ("case", "parties", name))
            try:
                self.version = self.add_party(opener, name, role).version
            except EngineError as exc:
                raise self.fail(("case", "parties", name), f"the party could not be added: {exc.message()}") from None
        for index, step in enumerate(self.data["steps"]):
            self.step(step, ("steps", index))
            self.result.steps_run += 1
        if "expect" in self.data:
            self.expect(self.data["expect"], ("expect",))

    def step(self, step: dict[str, Any], path: tuple) -> None:
        actions = [a for a in ACTIONS if a in step]
        if len(actions) > 1:
            raise self.fail(path, f"one action per step (found {', '.join(actions)})")
        if actions:
            self.act(actions[0], step, path)
        elif "refused" in step:
            raise self.fail(path, "'refused' goes with an action")
        if "expect" in step:
            self.expect(step["expect"], path + ("expect",))

    def add_party(self, operator: Actor, name: str, role: str) -> Receipt:
        return self.service.add_party(self.case_id, operator, self.version, role, organisation=self.names[name],
                                      name=self.names[name], email=f"{name}@parties.example", account_id=name)

    def party_id(self, name: str, path: tuple) -> int | None:
        self.actor(name, path)
        with self.runner.sessions() as session:
            case = session.get(Case, self.case_id)
            return next((p.id for p in case.parties if p.account_id == name), None) if case else None

    def party_step(self, action: str, actor: Actor, step: dict[str, Any], path: tuple) -> Receipt:
        """The steps about parties: adding and removing them, a link they decide through, paper."""
        arg = step[action]
        decision, comment = step.get("decision", "approve"), step.get("comment", "")
        if action == "add_party":
            self.actor(arg["actor"], path + (action, "actor"))
            return self.add_party(actor, arg["actor"], arg["role"])
        if action == "remove_party":
            return self.service.remove_party(self.case_id, actor, self.version, self.party_id(arg, path + (action,)))
        if action == "paper":
            party = self.party_id(arg["party"], path + (action, "party")) if arg.get("party") else None
            evidence = arg.get("evidence", "scan.pdf")
            return self.service.record_on_paper(
                self.case_id, actor, self.version, arg["requirement"], filename=evidence or "",
                content=sample_file(evidence, 4096) if evidence else b"", decision=decision, comment=comment,
                party_id=party, member=step.get("member"))
        # sign_by_link: the case opener sends the link to the acting party, which decides through it
        opener = self.actor(self.data["case"]["opened_by"], ("case", "opened_by"))
        party = self.party_id(actor.id, path + ("as",))
        receipt, token = self.service.send_signing_link(self.case_id, opener, self.version, party or 0, arg)
        self.version = receipt.version
        return self.service.decide_by_link(token, self.version, decision, comment)

    def act(self, action: str, step: dict[str, Any], path: tuple) -> None:
        actor = self.actor(step.get("as"), path + ("as",))
        try:
            if action in ("add_party", "remove_party", "paper", "sign_by_link"):
                receipt = self.party_step(action, actor, step, path)
            elif action == "sign":
                receipt = self.service.sign_off(self.case_id, actor, self.version, step["sign"],
                                                step.get("comment", ""), step.get("decision", "approve"))
            else:
                receipt = perform(self.service, self.case_id, self.version, actor, action, step[action],
                                  step.get("member"))
        except EngineError as exc:
            self.check_refusal(exc, step.get("refused"), path + (action,))
            return
        if "refused" in step:
            raise self.fail(path + ("refused",), f"'{action}' was expected to be refused ({step['refused']}) "
                                                 f"but it was done")
        if receipt.new_case_id:
            self.case_id, self.version = receipt.new_case_id, 1
        else:
            self.version = receipt.version

    def check_refusal(self, exc: EngineError, expected: Any, path: tuple) -> None:
        if expected is None:
            raise self.fail(path, f"refused unexpectedly: [{_code(exc)}] {exc.message()}")
        spec = {"code": expected} if isinstance(expected, str) else expected
        if spec["code"] not in (exc.code, _code(exc), getattr(exc, "reason_code", None)):
            raise self.fail(path, f"refused with [{_code(exc)}] {exc.message()} — expected [{spec['code']}]")
        if "missing" in spec:
            got = sorted({u.requirement or u.code for u in getattr(exc, "unmet", [])})
            if got != sorted(spec["missing"]):
                raise self.fail(path, f"missing {got}, expected {sorted(spec['missing'])}")
        if "fields" in spec:
            got = sorted(getattr(exc, "field_errors", {}))
            if got != sorted(spec["fields"]):
                raise self.fail(path, f"invalid fields {got}, expected {sorted(spec['fields'])}")

    def expect(self, expected: dict[str, Any], path: tuple) -> None:
        with self.runner.sessions() as session:
            case = session.get(Case, self.case_id)
            assert case is not None
            state = self.service.stage_state(session, case)
            actual: dict[str, Any] = {
                "pathway": case.pathway_id, "stage": case.stage_id, "status": case.status, "outcome": case.outcome,
            }
            for key in ("pathway", "stage", "status", "outcome"):
                if key in expected and expected[key] != actual[key]:
                    raise self.fail(path + (key,), f"expected {key} '{expected[key]}', found '{actual[key]}' "
                                                   f"(case at {actual})")
            if "missing" in expected:
                got = sorted(r.id for r in state.requirement_states() if not r.met and r.requirement.required)
                if got != sorted(expected["missing"]):
                    raise self.fail(path + ("missing",), f"unmet requirements {got}, expected {sorted(expected['missing'])}")
            self.expect_facts(session, case, expected, path)
            for key, want_open in (("open_exits", True), ("closed_exits", False)):
                for exit_id in expected.get(key, []):
                    exit_ = state.stage.exit(exit_id)
                    if exit_ is None:
                        raise self.fail(path + (key,), f"the stage '{state.stage.id}' has no exit '{exit_id}'")
                    unmet = state.unmet_for(exit_)
                    if (not unmet) != want_open:
                        why = "; ".join(u.message() for u in unmet) or "nothing is missing"
                        raise self.fail(path + (key,), f"exit '{exit_id}' is {'closed' if unmet else 'open'}: {why}")

    def expect_facts(self, session: Session, case: Case, expected: dict[str, Any], path: tuple) -> None:
        """Form values, carried data, the due date and the events of the case."""
        forms = {row.stage_id: row.data for row in session.scalars(select(FormData).where(FormData.case_id == case.id))}
        for stage_id, fields in expected.get("forms", {}).items():
            for field_id, want in fields.items():
                got = forms.get(stage_id, {}).get(field_id, "(no value)")
                if got != want:
                    raise self.fail(path + ("forms", stage_id, field_id),
                                    f"expected {stage_id}.{field_id} = {want!r}, found {got!r}")
        events = list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
        if "carried" in expected:
            got = sorted(events[0].data.get("carried", [])) if events else []
            if got != sorted(expected["carried"]):
                raise self.fail(path + ("carried",), f"carried {got}, expected {sorted(expected['carried'])}")
        if "due_in_days" in expected:
            got = (case.due_at - case.stage_entered_at).days if case.due_at else None
            if got != expected["due_in_days"]:
                raise self.fail(path + ("due_in_days",), f"the stage '{case.stage_id}' is due in {got} days, "
                                                         f"expected {expected['due_in_days']}")
        if "events" in expected:
            types = [e.type for e in events]
            remaining = iter(types)
            if not all(any(t == wanted for t in remaining) for wanted in expected["events"]):
                raise self.fail(path + ("events",), f"events {types} do not contain {expected['events']} in order")


def perform(service: CaseService, case_id: int, version: int, actor: Actor, action: str, arg: Any,
            member: str | None = None) -> Receipt:
    """Run one scenario step's action through the case service."""
    if action == "tick":
        return service.tick(case_id, actor, version, arg, member=member)
    if action == "untick":
        return service.untick(case_id, actor, version, arg, member=member)
    if action == "upload":
        content = sample_file(arg["filename"], arg.get("bytes", 2048))
        return service.attach_document(case_id, actor, version, arg["document"], arg["filename"], content,
                                       member=member)
    if action == "remove":
        return service.remove_document(case_id, actor, version, _latest_document(service, case_id, arg))
    if action == "submit":
        return service.submit_form(case_id, actor, version, arg)
    if action == "request":
        return service.request_signoff(case_id, actor, version, arg["signoff"], arg["person"], arg.get("note", ""))
    if action == "sign":
        return service.sign_off(case_id, actor, version, arg)
    if action == "assess":
        return service.submit_assessment(case_id, actor, version, person_id=member, answers=arg)
    if action == "choose":
        return service.record_pathway_choice(case_id, actor, version, arg["pathway"], arg.get("reason", ""))
    if action == "advance":
        return service.advance(case_id, actor, version, arg)
    if action == "hold":
        return service.hold(case_id, actor, version, arg)
    if action == "resume":
        return service.resume(case_id, actor, version, arg)
    if action == "withdraw":
        return service.withdraw(case_id, actor, version, arg)
    if action == "reopen":
        return service.reopen(case_id, actor, version, arg.get("stage"), arg["reason"])
    if action == "switch":
        return service.switch_pathway(case_id, actor, version, arg["pathway"], arg["reason"])
    if action == "close":
        return service.close(case_id, actor, version, arg["outcome"], arg["reason"])
    raise ValueError(f"unknown action {action}")


def _latest_document(service: CaseService, case_id: int, requirement_id: str) -> int:
    """The id of the last document still attached for a requirement (0, refused as unknown, if none)."""
    with service.session_factory() as session:
        found = session.scalar(select(CaseDocument.id).where(
            CaseDocument.case_id == case_id, CaseDocument.requirement_id == requirement_id,
            CaseDocument.removed_at.is_(None)).order_by(CaseDocument.id.desc()).limit(1))
    return found or 0


def refusal_code(exc: EngineError) -> str:
    return _code(exc)


def _code(exc: EngineError) -> str:
    if isinstance(exc, NotAllowed):
        return "not_allowed"
    if isinstance(exc, (RequirementsNotMet, FormInvalid)):
        return exc.code
    return exc.code


def sample_file(filename: str, size: int) -> bytes:
    """A file of the type its name says, padded to about `size` bytes (for scenarios and tests)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "pdf":
        head = b"%PDF-1.4\n%scenario\n"
    elif ext in ("jpg", "jpeg"):
        head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    elif ext == "png":
        head = b"\x89PNG\r\n\x1a\n"
    elif ext in ("docx", "xlsx", "odt", "ods"):
        return _office_file(ext, size)
    elif ext in ("txt", "csv"):
        head = b"a;b;c\n" if ext == "csv" else b"scenario text\n"
        return (head * (size // len(head) + 1))[:max(size, 1)]
    else:
        head = b"MZ\x90\x00\x03\x00\x00\x00"  # an executable: what no stage accepts
    padding = b" " if ext == "pdf" else b"\x00"
    return head + padding * max(0, size - len(head))


def _office_file(ext: str, size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if ext in ("odt", "ods"):
            kind = "text" if ext == "odt" else "spreadsheet"
            archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}")
            archive.writestr("content.xml", "<x/>")
        elif ext == "docx":
            archive.writestr("word/document.xml", "<w/>")
        else:
            archive.writestr("xl/workbook.xml", "<x/>")
        archive.writestr("padding.bin", b"\x00" * max(0, size - 400))
    return buffer.getvalue()
