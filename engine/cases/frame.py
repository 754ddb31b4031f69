"""The frame of every case operation: claim the version the actor saw, check who may act, write the
changed case row and its one event, all in one transaction; and the checks several operations share."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..assessment_library import AssessmentLibrary
from ..driver import DriverStatement, ReadAhead, kept_key
from ..errors import (
    ConflictError,
    EngineError,
    InvalidOperation,
    NotAllowed,
    NotFound,
)
from .. import events
from ..files import FileStore
from ..library import LoadedRevision, PathwayLibrary
from ..models import (
    CASES,
    DOCUMENTS,
    EVENTS,
    FORMS,
    MEMBERS,
    PARTIES,
    RESPONSES,
    SIGNOFFS,
    TICKS,
    Case,
    utcnow,
)
from .. import policy, requirements
from ..pathway import Pathway, Stage
from ..policy import MANAGER_ROLES
from .values import OLDEST_BIRTH_YEAR, SEXES, YOUNGEST_AGE, Actor, Member, Receipt
from ..db import ClaimLost, DriverTransaction


# The caller's own write that belongs to an operation (e.g. the account of a worker who joins a case): run on
# the operation's connection after its checks, before its event; what it returns is added to the event's data.
# Its exception refuses the whole operation, so both land or neither does.
Together = Callable[[Connection], "dict[str, Any] | None"]

# The hot path of every operation runs prebuilt statements straight on the driver (engine/driver.py), on the
# transaction's connection: the ORM's unit of work, and even a Core execution, cost several times the
# database work for these one-row changes (see benchmarks/).
# The claim also returns the hash of the case's last event (its `seq` is the version claimed), so that the
# new event is chained without a statement of its own (engine/events.py).
_PREVIOUS_HASH = select(EVENTS.c.hash).where(EVENTS.c.case_id == bindparam("case_id"),
                                             EVENTS.c.seq == bindparam("expected")).scalar_subquery()
_CLAIM = DriverStatement(update(CASES).where(CASES.c.id == bindparam("case_id"),
                                             CASES.c.version == bindparam("expected"))
                         .values(version=bindparam("next"))
                         .returning(*CASES.c, _PREVIOUS_HASH.label("previous_event_hash")))
# The claim of an operation that holds the rows it reads, as this process left them at the version it claims
# (`CaseSnapshot`), sent with its writes and COMMIT in one round trip. It names the hash of the case's last event
# too: every change appends one, so a case at that version with another history (a database restored from a
# backup) does not match. A claim that matched no row fails (a division by zero), so that the writes sent
# after it in the same round trip never run.
_CLAIMED = (update(CASES).where(CASES.c.id == bindparam("case_id"), CASES.c.version == bindparam("expected"),
                                _PREVIOUS_HASH == bindparam("head"))
            .values(version=bindparam("next")).returning(CASES.c.id).cte("claimed"))
_CLAIM_SEEN = DriverStatement(select((literal(1) // func.count()).label("claimed")).select_from(_CLAIMED))
_CASE_ROW = DriverStatement(select(CASES).where(CASES.c.id == bindparam("case_id")))
_INSERT_CASE = DriverStatement(insert(CASES).returning(CASES.c.id))
_INSERT_MEMBER = DriverStatement(insert(MEMBERS))
_UPDATE_CASE = DriverStatement(update(CASES).where(CASES.c.id == bindparam("case_id")))
_TICK = DriverStatement(select(TICKS.c.id).where(
    TICKS.c.case_id == bindparam("case_id"), TICKS.c.stage_id == bindparam("stage_id"),
    TICKS.c.item_id == bindparam("item_id"), TICKS.c.member_id == bindparam("member_id")))
_INSERT_TICK = DriverStatement(insert(TICKS))
_DELETE_TICK = DriverStatement(delete(TICKS).where(TICKS.c.id == bindparam("tick_id")))
_INSERT_FORM = DriverStatement(insert(FORMS))
_UPDATE_FORM = DriverStatement(update(FORMS).where(FORMS.c.id == bindparam("form_id")).values(
    data=bindparam("data"), submitted_by=bindparam("submitted_by"), submitted_at=bindparam("submitted_at")))
_FORM = DriverStatement(select(FORMS).where(FORMS.c.case_id == bindparam("case_id"),
                                            FORMS.c.stage_id == bindparam("stage_id")))
# The case's forms and a stage visit's sign-offs: read as judging the stage reads them, so that one read serves both.
_FORMS_OF = requirements._FORMS_OF
_SIGNOFFS_OF_VISIT = requirements._SIGNOFFS_OF
_INSERT_SIGNOFF = DriverStatement(insert(SIGNOFFS))
_RESPONSE = DriverStatement(select(RESPONSES).where(RESPONSES.c.case_id == bindparam("case_id"),
                                                    RESPONSES.c.person_id == bindparam("person_id"),
                                                    RESPONSES.c.assessment_id == bindparam("assessment_id")))
_PARTIES_OF = DriverStatement(select(PARTIES).where(PARTIES.c.case_id == bindparam("case_id"),
                                                   PARTIES.c.removed_at.is_(None)).order_by(PARTIES.c.id))
_MEMBERS_OF = DriverStatement(select(MEMBERS).where(MEMBERS.c.case_id == bindparam("case_id")).order_by(
    MEMBERS.c.kind, MEMBERS.c.position))
_DELETE_SIGNOFF = DriverStatement(delete(SIGNOFFS).where(SIGNOFFS.c.id == bindparam("signoff_id")))

# What an operation will read once it has claimed the case, sent with the claim in one round trip on
# PostgreSQL (engine/db.py `DriverTransaction`): rows of the case's current stage are found by the database
# from the row the claim just locked (its stage and visit). An operation names the reads it will most
# likely make (an unused one costs little; a read not named is sent when the operation makes it).
_CASE_NOW = {column: (column, select(CASES.c[column]).where(CASES.c.id == bindparam("case_id")).scalar_subquery())
             for column in ("stage_id", "stage_visit")}
READ_MEMBERS = ReadAhead(_MEMBERS_OF)
READ_PARTIES = ReadAhead(_PARTIES_OF)
READ_FORM = ReadAhead(_FORMS_OF)
READ_SIGNOFFS_OF_VISIT = ReadAhead(_SIGNOFFS_OF_VISIT, _CASE_NOW)
# The rows `StageState.load` reads to judge the stage's exits (engine/requirements.py).
READ_STAGE_STATE = (ReadAhead(requirements._TICKS_OF, {"stage_id": _CASE_NOW["stage_id"]}),
                    ReadAhead(requirements._DOCUMENTS_OF, {"stage_id": _CASE_NOW["stage_id"]}),
                    READ_FORM, READ_SIGNOFFS_OF_VISIT)
# The roles whose right to act on a case depends on its members (policy.case_refusal).
_MEMBER_ROLES = frozenset({"mentor", "worker"})
# The case row after an operation that changed it, read with its COMMIT (see `CaseSnapshot`).
READ_CASE_ROW = ReadAhead(_CASE_ROW)
# How many cases' snapshots a process keeps (the oldest goes first): a few kilobytes each.
SNAPSHOTS_KEPT = 2_000
# An operation's reads: given, or made from the stage the case is likely at (None: not known).
Reads = Sequence[ReadAhead] | Callable[[Stage | None], Sequence[ReadAhead]]


def next_reads(stage: Stage | None) -> tuple[ReadAhead, ...]:
    """What the next operation on a case at `stage` may read: its members, what judging the stage's exits
    reads, its forms and the sign-offs of its visit (`CaseSnapshot`)."""
    reads = {read: None for read in (READ_MEMBERS, *stage_state_reads(stage), READ_FORM, READ_SIGNOFFS_OF_VISIT)}
    return tuple(reads)


def read_key(read: ReadAhead, case_id: int, case: dict[str, Any]) -> tuple[Any, frozenset]:
    """Where a transaction keeps the rows of `read` of a case whose row holds `case` (`DriverTransaction`)."""
    return kept_key(read.statement, read.values({"case_id": case_id}, case))


def form_of(connection: Any, case_id: int, stage_id: str) -> Any:
    """The form submitted at a stage of a case, if any: from the case's forms when the operation's transaction
    holds them (read ahead, as judging a stage reads them), else read alone."""
    kept = connection.kept_rows(_FORMS_OF, {"case_id": case_id}) if hasattr(connection, "kept_rows") else None
    if kept is None:
        return _FORM.first(connection, {"case_id": case_id, "stage_id": stage_id})
    return next((form for form in kept.all() if form.stage_id == stage_id), None)


@dataclass
class CaseSnapshot:
    """A case as this process's last operation on it left it: its row at `version` (as the claim returns it,
    `head` the hash of its last event) and the rows the next operation is likely to read (`kept`, as a
    transaction keeps them), read in that operation's transaction after its writes, or before them from
    tables it did not write. The next operation at that version is checked against them and sends its claim
    (`_CLAIM_SEEN`) with its writes: the claim proves them current, since every change of a case takes its
    next version and appends an event (One truth). An operation whose reads are not all here, or a case at
    another version, goes the usual way: claim and reads first."""

    version: int
    head: str
    values: dict[str, Any]
    unread: dict[str, Callable[[Any], Any]]
    kept: dict[tuple[Any, frozenset], tuple[Any, ReadAhead]]


def member_reads(actor: Actor) -> tuple[ReadAhead, ...]:
    """The members' rows, for an actor whose right to act depends on them (a mentor, a worker)."""
    return (READ_MEMBERS,) if _MEMBER_ROLES & actor.roles else ()


def stage_state_reads(stage: Stage | None) -> tuple[ReadAhead, ...]:
    """What judging the stage's exits reads (`StageState.load`): every kind of row when the stage is not
    known; else its own, and the members when a requirement is each worker's."""
    if stage is None:
        return READ_STAGE_STATE
    reads = tuple(read for read, wanted in zip(READ_STAGE_STATE, requirements.rows_judged(stage)) if wanted)
    return (*reads, READ_MEMBERS) if requirements.needs_members(stage) else reads


class CaseState:
    """The case row as an operation claimed it: its values, the changes the operation makes (written in one
    UPDATE at the end) and its members, read only if a rule needs them. `unread`: the readers still to apply
    to some stored values (timestamps, JSON), applied on first use: an operation reads few of them."""

    def __init__(self, values: dict[str, Any], connection: Connection,
                 unread: dict[str, Callable[[Any], Any]] | None = None):
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_unread", unread or {})
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_members", None)
        object.__setattr__(self, "_parties", None)

    def __getattr__(self, name: str) -> Any:
        state = self.__dict__
        try:
            value = state["_values"][name]
        except KeyError:
            raise AttributeError(name) from None
        unread = state["_unread"]
        if name in unread:
            reader = unread.pop(name)
            if value is not None:
                value = state["_values"][name] = reader(value)
        state[name] = value  # read: the next look-up finds it without coming here
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(name)
        self._unread.pop(name, None)
        self._values[name] = value
        self._changes[name] = value
        self.__dict__[name] = value

    @property
    def members(self) -> list[Any]:
        if self._members is None:
            object.__setattr__(self, "_members", _MEMBERS_OF.all(self._connection, {"case_id": self.id}))
        return self._members

    def forget_members(self) -> None:
        object.__setattr__(self, "_members", None)

    @property
    def parties(self) -> list[Any]:
        """The parties now on the case (read only if a rule asks)."""
        if self._parties is None:
            object.__setattr__(self, "_parties", _PARTIES_OF.all(self._connection, {"case_id": self.id}))
        return self._parties



@dataclass
class _Op:
    connection: DriverTransaction
    case: CaseState
    revision: LoadedRevision  # set right after the claim
    actor: Actor
    now: datetime
    event_type: str = ""
    event_data: dict[str, Any] = field(default_factory=dict)
    event_stage: str | None = None

    @property
    def pathway(self) -> Pathway:
        return self.revision.pathway

    @property
    def stage(self) -> Stage:
        stage = self.pathway.stage(self.case.stage_id)
        assert stage is not None
        return stage

    @cached_property
    def session(self) -> Session:
        """An ORM session in the operation's transaction, for the rarer operations that create cases."""
        return Session(bind=self.connection.core, expire_on_commit=False)

    def record(self, event_type: str, **data: Any) -> None:
        self.event_type = event_type
        self.event_data = data



def append_event(connection: Connection, case_id: int, seq: int, event_type: str, actor: Actor, at: datetime,
                 stage_id: str | None, data: dict[str, Any], prev_hash: str = "") -> str:
    """Append one event to a case's log, chained to `prev_hash` (its previous event's; "" for the first);
    returns its hash."""
    return events.append(connection, case_id=case_id, seq=seq, type=event_type, actor_id=actor.id,
                  actor_roles=actor.roles, at=at, stage_id=stage_id, data=data, prev_hash=prev_hash)


def insert_case(connection: Connection, revision: LoadedRevision, desk_id: str, members: Sequence[Member],
                mentors: Sequence[Member], supply_chains: Sequence[str], title: str, actor: Actor, now: datetime,
                stage_id: str, previous_case_id: int | None = None) -> int:
    """Write a new case's row and its people (its first event is the caller's); the new case's id."""
    stage = revision.pathway.stage(stage_id)
    assert stage is not None
    case_id = _INSERT_CASE.first(connection, {
        "pathway_id": revision.pathway.id, "revision_id": revision.revision_id, "desk_id": desk_id,
        "title": title or ", ".join(m.display_name or m.person_id for m in members)[:300],
        "status": "active", "stage_id": stage_id, "stage_visit": 1, "version": 1,
        "supply_chains": list(supply_chains), "opened_by": actor.id, "opened_at": now, "stage_entered_at": now,
        "due_at": _due(stage, now), "previous_case_id": previous_case_id}).id
    people = [("worker", position, m) for position, m in enumerate(members)]
    people += [("mentor", position, m) for position, m in enumerate(mentors)]
    for kind, position, m in people:
        _INSERT_MEMBER.write(connection, {
            "case_id": case_id, "person_id": m.person_id, "kind": kind, "display_name": m.display_name,
            "position": position, "sex": m.sex if kind == "worker" else None,
            "birth_year": m.birth_year if kind == "worker" else None})
    return case_id


class OperationFrame:
    """The frame of every operation: claim the version, check who may act, write the state and its event."""

    def __init__(self, session_factory: sessionmaker[Session], library: PathwayLibrary, files: FileStore,
                 clock: Callable[[], datetime] = utcnow, assessments: AssessmentLibrary | None = None):
        self.session_factory = session_factory
        self.library = library
        self.files = files
        self.clock = clock
        self.assessments = assessments or AssessmentLibrary(session_factory)
        self.snapshots: dict[int, CaseSnapshot] = {}  # by case id, PostgreSQL only (see `CaseSnapshot`)
        self._snapshots_lock = threading.Lock()
        self._next_reads_of: dict[tuple[int, str], tuple[ReadAhead, ...]] = {}

    # --- the frame of every operation ---------------------------------------------------------------

    @contextmanager
    def _operation(self, case_id: int, actor: Actor, expected_version: int, *,
                   allow_closed: bool = False, allow_on_hold: bool = False,
                   together: Together | None = None, reads: Reads = ()) -> Iterator[_Op]:
        """`reads`: what the operation will read once the case is claimed, sent with the claim."""
        try:
            with DriverTransaction(self.engine) as connection:
                (values, unread), available = self._claim(connection, case_id, expected_version, reads)
                case = CaseState(dict(values), connection, dict(unread))
                try:
                    if case.status == "closed" and not allow_closed:
                        raise InvalidOperation("case_closed", outcome=case.outcome or "")
                    if case.status == "on_hold" and not allow_on_hold:
                        raise InvalidOperation("case_on_hold")
                    op = _Op(connection, case, None, actor, self.clock())  # type: ignore[arg-type]
                    op.revision = self._revision(op, case.revision_id)
                    op.event_stage = case.stage_id
                    try:
                        yield op
                        if not op.event_type:
                            raise RuntimeError("an operation must record its event")
                        if "session" in op.__dict__:
                            op.session.flush()  # rows an operation wrote through the ORM (new cases) come first
                        if together is not None:
                            op.event_data.update(together(connection.core) or {})
                        if case._changes:
                            _UPDATE_CASE.write(connection, {**case._changes, "case_id": case_id},
                                               columns=case._changes)
                        head = append_event(connection, case_id, expected_version + 1, op.event_type, actor,
                                            op.now, op.event_stage, op.event_data, case.previous_event_hash or "")
                        carried = self._read_for_next(connection, case, available)
                    finally:
                        if "session" in op.__dict__:
                            op.session.close()
                except BaseException:
                    connection.send_claim()  # a claim held back: a case changed since goes before any refusal
                    raise
        except ClaimLost:
            self._forget(case_id)
            raise self._conflict_now(case_id, expected_version) from None
        if carried is not None:
            self._remember(connection, case, values, unread, head, carried)
        elif case_id in self.snapshots:
            self._forget(case_id)

    def _claim(self, connection: DriverTransaction, case_id: int, expected_version: int,
               reads: Reads) -> tuple[tuple[dict[str, Any], dict[str, Any]], dict]:
        """Claim the version first: this write takes the row lock (PostgreSQL) or the database write lock
        (SQLite) before anything is read, so two actors on the same version cannot both pass. The reads sent
        with it come after it: they run once the row is locked. On PostgreSQL, with the case's snapshot at
        that version holding every read announced, the claim is held back instead (`CaseSnapshot`). Returns
        the claimed row (its values, and the readers still to apply) and the rows read ahead."""
        snapshot = self.snapshots.get(case_id) if connection.reads_ahead else None
        if snapshot is not None and snapshot.version == expected_version:
            wanted = reads(self._stage_of(snapshot)) if callable(reads) else reads
            if all(read_key(read, case_id, snapshot.values) in snapshot.kept for read in wanted):
                plan, parameters = _CLAIM_SEEN.plan(connection, {
                    "case_id": case_id, "expected": expected_version, "next": expected_version + 1,
                    "head": snapshot.head})
                connection.claim_later(plan, parameters, snapshot.kept)
                return (({**snapshot.values, "version": expected_version + 1}, snapshot.unread),
                        snapshot.kept)
        if reads and connection.reads_ahead:
            if callable(reads):
                reads = reads(self._stage_of(snapshot))
            connection.read_ahead([(read, {"case_id": case_id}) for read in reads])
        else:
            reads = ()
        claimed = _CLAIM.execute(connection, {"case_id": case_id, "expected": expected_version,
                                              "next": expected_version + 1}).first_unread()
        if reads:
            connection.keep_read(claimed[0] if claimed is not None else None)
        if claimed is None:
            raise self._conflict(connection, case_id, expected_version)
        return claimed, connection.kept_reads()

    def _read_for_next(self, connection: DriverTransaction, case: CaseState, available: dict) -> dict | None:
        """PostgreSQL: send with the COMMIT, after the operation's writes, the reads the next operation may
        make (`next_reads`) that the rows read before (`available`) no longer answer: those of a table the
        operation wrote, or of the stage it left; and the case row if the operation changed it. Returns the
        rows read before that still hold (None: no snapshot, the operation ran statements of its own)."""
        written = connection.written
        if not connection.reads_ahead or written is None:
            return None
        now = case.__dict__["_values"]
        changed = case._changes.keys()
        carried = {key: (rows, read) for key, (rows, read) in available.items()
                   if not read.tables & written and not any(column in changed for column in read.columns.values())}
        missing = [read for read in self._next_reads(case.revision_id, case.stage_id)
                   if read_key(read, case.id, now) not in carried]
        if changed:
            missing.append(READ_CASE_ROW)
        connection.read_ahead([(read, {"case_id": case.id}) for read in missing])
        return carried

    def _next_reads(self, revision_id: int, stage_id: str) -> tuple[ReadAhead, ...]:
        """`next_reads` of a stage of a revision (a revision never changes), worked out once."""
        found = self._next_reads_of.get((revision_id, stage_id))
        if found is None:
            if not self.library.is_cached(revision_id):
                return next_reads(None)
            found = next_reads(self.library.revision(revision_id).pathway.stage(stage_id))
            self._next_reads_of[(revision_id, stage_id)] = found
        return found

    def _remember(self, connection: DriverTransaction, case: CaseState, values: dict[str, Any],
                  unread: dict[str, Any], head: str, carried: dict) -> None:
        """Keep the case's snapshot after its operation committed (`_read_for_next`)."""
        now = case.__dict__["_values"]
        connection.keep_read(now)  # the reads of the stage the case is at now
        kept = {**carried, **connection.kept_reads()}
        row = kept.pop(read_key(READ_CASE_ROW, case.id, now), None)
        if row is not None:
            values, unread = row[0].first_unread()
        elif case._changes:  # the case row was not read back: no snapshot
            self._forget(case.id)
            return
        snapshot = CaseSnapshot(case.version, head, {**values, "previous_event_hash": head}, unread, kept)
        with self._snapshots_lock:
            self.snapshots.pop(case.id, None)
            if len(self.snapshots) >= SNAPSHOTS_KEPT:
                self.snapshots.pop(next(iter(self.snapshots)))
            self.snapshots[case.id] = snapshot

    def _forget(self, case_id: int) -> None:
        with self._snapshots_lock:
            self.snapshots.pop(case_id, None)

    @property
    def engine(self) -> Engine:
        return self.session_factory.kw["bind"]

    def _stage_of(self, snapshot: CaseSnapshot | None) -> Stage | None:
        """The stage of a case's snapshot (the stage the case was at after its last operation here, a guess
        when the case is at another version now), if its revision is loaded."""
        if snapshot is None or not self.library.is_cached(snapshot.values["revision_id"]):
            return None
        return self.library.revision(snapshot.values["revision_id"]).pathway.stage(snapshot.values["stage_id"])

    def _revision(self, op: _Op, revision_id: int) -> LoadedRevision:
        if self.library.is_cached(revision_id):
            return self.library.revision(revision_id)
        return self.library.revision(revision_id, op.session)

    def _conflict_now(self, case_id: int, expected_version: int) -> EngineError:
        """The conflict of a claim held back that matched no row (its transaction is over)."""
        with self.engine.connect() as connection:
            return self._conflict(connection, case_id, expected_version)

    @staticmethod
    def _conflict(connection: Connection, case_id: int, expected_version: int) -> EngineError:
        actual = connection.execute(select(CASES.c.version).where(CASES.c.id == case_id)).scalar()
        if actual is None:
            return NotFound(case_id=case_id)
        changes = [
            {"seq": e.seq, "type": e.type, "actor": e.actor_id, "at": e.at.isoformat(), "stage": e.stage_id}
            for e in connection.execute(select(EVENTS).where(
                EVENTS.c.case_id == case_id, EVENTS.c.seq > expected_version).order_by(EVENTS.c.seq))]
        return ConflictError(expected_version, actual, changes)

    def _receipt(self, op: _Op, **extra: Any) -> Receipt:
        return Receipt(op.case.id, op.case.version, op.event_type, **extra)

    # --- who may do what -----------------------------------------------------------------------------

    @staticmethod
    def refusal(actor: Actor, case: Case, role: str) -> NotAllowed | None:
        """Why `actor`, acting in `role`, may not act on `case` (None if they may): the access policy's answer."""
        return policy.case_refusal(actor, case, role)

    @staticmethod
    def _acting_role(actor: Actor, case: Case, roles: Sequence[str], account_roles: Sequence[str] = ()) -> str:
        return policy.acting_role(actor, case, roles, account_roles)

    def _manage(self, op: _Op) -> None:
        self._acting_role(op.actor, op.case, MANAGER_ROLES)



def _check_group_size(pathway: Pathway, count: int) -> None:
    refusal = pathway.group_refusal(count)
    if refusal is not None:
        raise InvalidOperation(refusal[0], **refusal[1])


def _check_personal_details(members: Sequence[Member], now: datetime) -> None:
    """Sex and year of birth, when given, must be one of the recorded values and a plausible year."""
    youngest = now.year - YOUNGEST_AGE
    for m in members:
        name = m.display_name or m.person_id
        if m.sex is not None and m.sex not in SEXES:
            raise InvalidOperation("member_sex_invalid", member=name, sex=m.sex)
        if m.birth_year is not None and (isinstance(m.birth_year, bool) or not isinstance(m.birth_year, int)
                                         or not OLDEST_BIRTH_YEAR <= m.birth_year <= youngest):
            raise InvalidOperation("member_birth_year_invalid", member=name, year=m.birth_year,
                                   min=OLDEST_BIRTH_YEAR, max=youngest)


def _jobs(created: int | None, kept: int | None) -> dict[str, int]:
    """Jobs recorded at an outcome, for monitoring: whole numbers, never negative."""
    out = {}
    for key, value in (("jobs_created", created), ("jobs_kept", kept)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidOperation("jobs_invalid")
        out[key] = value
    return out


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise InvalidOperation("reason_required")


def _due(stage: Stage, now: datetime) -> datetime | None:
    return now + timedelta(days=stage.due_days) if stage.due_days else None


def signoffs_of_visit(op: _Op) -> list[Any]:
    """The sign-off rows of the stage's current visit (every decision, not only approvals)."""
    return _SIGNOFFS_OF_VISIT.all(op.connection, {
        "case_id": op.case.id, "stage_id": op.stage.id, "stage_visit": op.case.stage_visit})


def raise_signoff_refusal(op: _Op, rule: Any, person_id: str, given: list[Any] | None = None) -> None:
    """The first reason why this person may not give this sign-off now, whatever their role (the policy's
    `signoff_refusals`: already given, complete, four-eyes — a party linked to an account counting as it)."""
    form = form_of(op.connection, op.case.id, op.stage.id) if "form_submitter" in rule.distinct_from else None
    refusals = policy.signoff_refusals(rule, person_id, signoffs_of_visit(op) if given is None else given,
                                       case_opener=op.case.opened_by,
                                       form_submitter=form.submitted_by if form is not None else None,
                                       stage=op.stage, parties=lambda: op.case.parties)
    if refusals:
        raise refusals[0]
