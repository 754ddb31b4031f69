"""The routes of the JSON API. Each one asks the same access rules as the pages (webui.access) and runs
the same engine operations; writes name the case version they act on (If-Match) and get the new one back
(ETag)."""
from __future__ import annotations

import re
from typing import Any, Callable

from flask import abort, current_app, g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import BadRequest, HTTPException, PreconditionRequired

from engine import Member, policy
from engine.audit import record
from engine.db import writing
from engine.errors import EngineError
from engine.i18n import localize
from engine.models import AssessmentResponse, Case, CaseDocument, Desk, Event, utcnow

from ..routing import MAX_ID, posted_id
from .. import access
from ..cases.listing import Filters, desk_query
from ..cases import operations as case_operations
from ..cases.operations import mentor_member
from ..models import CaseNote, User
from ..security import send_document
from ..services import db, services
from . import schemas
from .problems import api_language, engine_problem, http_problem
from .tokens import authenticate, count_call


class _Parser(FlaskParser):
    """A multipart body is one set of fields: its text fields and its files."""

    def load_form(self, req, schema):  # noqa: ANN001, ANN201
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


bp = _Blueprint("api", __name__, url_prefix="/api/v1",
                description="Help desks, cases and their operations, for partner systems.")
CALLS_PER_MINUTE = 120
STAFF_ROLES = frozenset(policy.AREAS["cases"]) | {"designer"}  # act through the staff's view
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?([0-9]{1,9})"?\s*$')
IF_MATCH = {"in": "header", "name": "If-Match", "required": True,
            "schema": {"type": "string", "pattern": _IF_MATCH.pattern},
            "description": 'The case version the client acted on, as its ETag gave it (e.g. "7").'}
READ_PROBLEMS = (401, 403, 404, 429)
WRITE_PROBLEMS = (400, 401, 403, 404, 409, 422, 428, 429)


def problems(*statuses: int) -> Callable:
    """Document the problem documents an operation may answer with."""
    def decorator(view: Callable) -> Callable:
        for status in statuses:
            view = bp.alt_response(status, schema=schemas.Problem, content_type="application/problem+json",
                                   description=_STATUS_TEXT.get(status, "Problem"))(view)
        return view
    return decorator


_STATUS_TEXT = {400: "Bad request", 401: "No valid token", 403: "Not allowed", 404: "Not found",
                409: "The case changed meanwhile (what changed is in `changes`)", 422: "Refused by the engine",
                428: "If-Match missing", 429: "Too many calls"}


# --- every call: a valid token, counted, logged -----------------------------------------------------------

@bp.before_request
def authenticate_call():  # noqa: ANN201
    scheme, _, plain = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return _unauthorized()
    now = utcnow()
    with writing(services().sessions).begin() as session:
        bearer = authenticate(session, plain.strip(), now)
        if bearer is None:
            return _unauthorized()
        calls = count_call(session, bearer.token_id, now)
        record(session.connection(), subject_type="api_token", subject_id=bearer.token_id, type="api_call",
               actor_id=bearer.user.id, actor_roles=bearer.user.roles, at=now,
               data={"method": request.method, "path": request.full_path[:500]})
    user = db().get(User, bearer.user.id)
    g.api_user = user
    g._login_user = user  # the request's user for Flask-Login: webui.access and the logs see the token's holder
    if calls > current_app.config.get("API_CALLS_PER_MINUTE", CALLS_PER_MINUTE):
        response = http_problem(429, code="rate_limited")
        response.headers["Retry-After"] = "60"
        return response
    if request.method not in ("GET", "HEAD") and bearer.scope != "write":
        return http_problem(403, code="read_only_token")
    return None


def _unauthorized():  # noqa: ANN202
    response = http_problem(401, code="unauthorized")
    response.headers["WWW-Authenticate"] = 'Bearer realm="opera"'
    return response


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):  # noqa: ANN202
    return engine_problem(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):  # noqa: ANN202
    status = error.code or 500
    extra: dict[str, Any] = {}
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:  # the request's fields that did not validate, by location and name
        extra["errors"] = messages
        status = 400 if status == 422 else status
    return http_problem(status, **extra)


# The pages' handlers are registered by status code, which Flask prefers to a class: name the codes here too.
for _code in (400, 403, 404, 405, 413, 415, 422, 428, 429):
    bp.register_error_handler(_code, _http_error)


# --- helpers ----------------------------------------------------------------------------------------------

def _actor():  # noqa: ANN202
    return access.actor()


def _visible_case(case_id: int) -> Case:
    if case_id > MAX_ID:  # beyond any stored id (and beyond what the database's integer holds)
        abort(404)
    return access.visible_case_or_404(case_id)


def _case_to_act_on(case_id: int) -> Case:
    """Staff act on the cases they see; a worker of the case, or the holder of a role its pathway declares
    (a notary, a bank...), acts where the engine's own rule lets them (its refusal names why not). Anyone
    else gets 404, as for a case that does not exist."""
    if case_id > MAX_ID:
        abort(404)
    case = db().get(Case, case_id)
    if case is None:
        abort(404)
    if access.can_see_case(case):
        return case
    actor = _actor()
    if any(policy.case_refusal(actor, case, role) is None for role in actor.roles - STAFF_ROLES):
        return case
    abort(404)


def _expected_version() -> int:
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired()
    found = _IF_MATCH.match(header)
    if found is None:
        raise BadRequest()
    return posted_id(found.group(1))


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _receipt(receipt: Any):  # noqa: ANN202
    body = {"case_id": receipt.case_id, "version": receipt.version, "event_type": receipt.event_type,
            "new_case_id": receipt.new_case_id, "document_id": receipt.document_id}
    return body, 200, _etag(receipt.version)


def _members(case: Case) -> list[dict[str, str]]:
    return [{"person_id": m.person_id, "kind": m.kind, "display_name": m.display_name} for m in case.members]


def _summary(case: Case) -> dict[str, Any]:
    return {"id": case.id, "title": case.title, "desk_id": case.desk_id, "pathway_id": case.pathway_id,
            "stage_id": case.stage_id, "status": case.status, "outcome": case.outcome, "version": case.version,
            "opened_at": case.opened_at, "due_at": case.due_at, "members": _members(case)}


# --- desks and their cases --------------------------------------------------------------------------------

@bp.get("/desks")
@bp.response(200, schemas.Desk(many=True))
@problems(*READ_PROBLEMS)
def desks():  # noqa: ANN201
    """The desks the caller works at."""
    allowed = access.visible_desk_ids()
    query = select(Desk).order_by(Desk.id)
    if allowed is not None:
        query = query.where(Desk.id.in_(allowed))
    return [{"id": d.id, "name": d.name, "country": d.country, "region": d.region} for d in db().scalars(query)]


@bp.get("/desks/<string:desk_id>/cases")
@bp.arguments(schemas.CaseFilters, location="query")
@bp.response(200, schemas.CasePage)
@problems(400, *READ_PROBLEMS)
def desk_cases(filters: dict[str, Any], desk_id: str):  # noqa: ANN201
    """The desk's cases with the desk page's filters, oldest first; `next_cursor` fetches the next page."""
    access.visible_desk_or_404(desk_id)
    wanted = Filters(q=filters.get("q", ""), pathway=filters.get("pathway", ""), stage=filters.get("stage", ""),
                     status=filters["status"], supply_chain=filters.get("supply_chain", ""),
                     mentor=filters.get("mentor", ""), overdue=filters["overdue"])
    query = desk_query(desk_id, wanted, utcnow())
    if filters.get("cursor"):
        query = query.where(Case.id > min(int(filters["cursor"]), MAX_ID))
    limit = filters["limit"]
    ids = list(db().scalars(query.with_only_columns(Case.id).order_by(Case.id).limit(limit + 1)))
    more = len(ids) > limit
    ids = ids[:limit]
    rows = {c.id: c for c in db().scalars(select(Case).where(Case.id.in_(ids))
                                          .options(selectinload(Case.members)))} if ids else {}
    return {"cases": [_summary(rows[i]) for i in ids if i in rows], "next_cursor": str(ids[-1]) if more else None}


@bp.post("/desks/<string:desk_id>/cases")
@bp.arguments(schemas.OpenCase)
@bp.response(201, schemas.Receipt)
@problems(400, 401, 403, 404, 422, 429)
def open_case(body: dict[str, Any], desk_id: str):  # noqa: ANN201
    """Open a case at the desk for one worker or a group."""
    access.visible_desk_or_404(desk_id)
    receipt = services().cases.open_case(
        _actor(), pathway_id=body["pathway"], desk_id=desk_id, title=body["title"],
        members=[Member(m["person_id"], m["display_name"]) for m in body["workers"]],
        mentors=[Member(m["person_id"], m["display_name"]) for m in body["mentors"]],
        supply_chains=body["supply_chains"])
    body, _status, headers = _receipt(receipt)
    return body, 201, {**headers, "Location": f"/api/v1/cases/{receipt.case_id}"}


# --- one case -----------------------------------------------------------------------------------------------

def _case_read(path: str, schema: Any) -> Callable:
    """GET /cases/<id>`path` of a case the caller may see (404 otherwise): `read` takes the case."""
    def decorator(read: Callable[[Case], Any]) -> Callable:
        def view(case_id: int):  # noqa: ANN202
            return read(_visible_case(case_id))

        view.__name__, view.__doc__ = read.__name__, read.__doc__
        bp.get(f"/cases/<int:case_id>{path}")(bp.response(200, schema)(problems(*READ_PROBLEMS)(view)))
        return read
    return decorator


@_case_read("", schemas.CaseDetail)
def case(found: Case):  # noqa: ANN201
    """The case: its stage, each requirement met or not, each exit with what is missing to take it."""
    lang = api_language()
    state = services().cases.stage_state(db(), found)
    requirements = []
    for requirement in state.requirement_states():
        label = getattr(requirement.requirement, "label", None) or state.stage.title
        requirements.append({"id": requirement.id, "kind": requirement.kind, "label": localize(label, lang),
                             "met": requirement.met,
                             "missing": requirement.unmet.as_dict(lang) if requirement.unmet else None})
    exits = []
    for exit_ in state.stage.exits:
        unmet = state.unmet_for(exit_)
        exits.append({"id": exit_.id, "label": localize(exit_.label, lang), "allowed": not unmet,
                      "missing": [u.as_dict(lang) for u in unmet]})
    body = {**_summary(found), "revision_id": found.revision_id,
            "stage": {"id": state.stage.id, "title": localize(state.stage.title, lang),
                      "requirements": requirements, "exits": exits if found.status != "closed" else []}}
    return body, 200, _etag(found.version)


@_case_read("/timeline", schemas.Timeline)
def timeline(found: Case):  # noqa: ANN201
    """The case's events, oldest first."""
    events = db().scalars(select(Event).where(Event.case_id == found.id).order_by(Event.seq))
    return {"events": [{"seq": e.seq, "type": e.type, "actor_id": e.actor_id, "at": e.at, "stage_id": e.stage_id,
                        "data": e.data or {}} for e in events]}, 200, _etag(found.version)


def _operation(path: str, schema: Any, summary: str | None = None, *, method: str = "POST",
               upload: bool = False) -> Callable:
    """A case operation at /cases/<id>/`path`: `method` with If-Match and its arguments (`schema`: a JSON body, or
    multipart/form-data for an `upload`; none without one), answering the receipt and the new ETag. `run` takes
    the case id, the actor, the version, the arguments if any and the path's other values; `summary` is its
    docstring unless given."""
    def decorator(run: Callable[..., Any]) -> Callable:
        def view(*arguments: Any, case_id: int, **path_values: Any):  # noqa: ANN202
            _case_to_act_on(case_id)
            return _receipt(run(case_id, _actor(), _expected_version(), *arguments, **path_values))

        view.__name__ = run.__name__
        view.__doc__ = summary or run.__doc__
        if schema is not None:
            view = bp.arguments(schema, location="form", content_type="multipart/form-data")(view) if upload \
                else bp.arguments(schema)(view)
        wrapped = bp.doc(parameters=[IF_MATCH])(problems(*((413,) if upload else ()), *WRITE_PROBLEMS)(
            bp.response(200, schemas.Receipt)(view)))
        bp.route(f"/cases/<int:case_id>/{path}", methods=[method])(wrapped)
        return run
    return decorator


@_operation("ticks", schemas.Tick, "Tick a checklist item (for a member of the group, if per member).")
def tick(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.tick(case_id, actor, version, body["item"], body.get("member"))


@_operation("form", schemas.FormAnswers, "Submit the stage's form.")
def submit_form(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.submit_form(case_id, actor, version, body["data"])


@_operation("signoffs", schemas.SignOff, "Sign off the stage in the caller's role.")
def sign_off(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.sign_off(case_id, actor, version, body["signoff"], body["comment"])


@_operation("signoff-requests", schemas.SignOffRequest, "Ask a person (a mentor of the case) for a sign-off.")
def request_signoff(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.request_signoff(case_id, actor, version, body["signoff"], body["person"],
                                            body["note"])


@_operation("advance", schemas.Advance, "Leave the stage through one of its exits.")
def advance(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.advance(case_id, actor, version, body["exit"], jobs_created=body.get("jobs_created"),
                                    jobs_kept=body.get("jobs_kept"))


def _with_reason(name: str, summary: str) -> None:
    """An operation that takes only a reason: the engine's operation of the same name."""
    def run(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN202
        return getattr(services().cases, name)(case_id, actor, version, body["reason"])

    run.__name__ = name
    _operation(name, schemas.Reason, summary)(run)


_with_reason("hold", "Put the case on hold.")
_with_reason("resume", "Resume a case on hold.")
_with_reason("withdraw", "Withdraw the case (it closes).")


@_operation("reopen", schemas.Reopen, "Reopen the case at an earlier stage, or a closed case in its last stage.")
def reopen(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.reopen(case_id, actor, version, body.get("stage"), body["reason"])


@_operation("switch", schemas.Switch, "Switch the case to another pathway.")
def switch(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.switch_pathway(case_id, actor, version, body["pathway"], body["reason"],
                                           at=body.get("at"))


@_operation("assessment", schemas.AssessmentAnswers, "Submit one person's answers to the stage's questionnaire.")
def submit_assessment(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.submit_assessment(case_id, actor, version, person_id=body.get("person_id"),
                                              answers=body["answers"])


@_operation("pathway-choice", schemas.PathwayChoice, "Record the pathway chosen with the workers.")
def choose_pathway(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.record_pathway_choice(case_id, actor, version, body["pathway"], body["reason"])


@_operation("untick", schemas.Tick, "Untick a checklist item (for a member of the group, if per member).")
def untick(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.untick(case_id, actor, version, body["item"], body.get("member"))


@_operation("close", schemas.Close, "Close the case with one of its pathway's outcomes.")
def close(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.close(case_id, actor, version, body["outcome"], body["reason"],
                                  jobs_created=body.get("jobs_created"), jobs_kept=body.get("jobs_kept"))


@_operation("members", schemas.MemberChange, "Add workers to the group, or remove them.")
def change_members(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.change_members(
        case_id, actor, version, add=[Member(m["person_id"], m["display_name"]) for m in body["add"]],
        remove=body["remove"])


@_operation("mentors", schemas.MentorChoice, "Assign a mentor (an account holding the mentor role) to the case.")
def assign_mentor(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    mentor = mentor_member(db(), body["mentor"])
    if mentor is None:
        with force_locale(api_language()):
            abort(http_problem(422, _("Choose a mentor."), code="not_a_mentor"))
    return services().cases.assign_mentor(case_id, actor, version, mentor)


@_case_read("/recommendation", schemas.Recommendation)
def recommendation(found: Case):  # noqa: ANN201
    """The pathways ranked by the points of the workers' submitted questionnaires."""
    ranked = services().cases.recommendation(found.id)
    return {"pathways": [{"pathway": p, "points": points} for p, points in ranked]}, 200, _etag(found.version)


@_operation("documents", schemas.DocumentUpload, upload=True)
def upload_document(case_id: int, actor: Any, version: int, form: dict[str, Any]):  # noqa: ANN201
    """Upload a document for one of the stage's document requirements (multipart/form-data)."""
    upload = form["file"]
    return services().cases.attach_document(case_id, actor, version, form["requirement"],
                                            upload.filename or "document", upload.read(), form.get("member"))


# --- a case's documents, notes, questionnaires --------------------------------------------------------------

def _document_of(case: Case, document_id: int) -> CaseDocument:
    if document_id > MAX_ID:
        abort(404)
    return access.document_or_404(case, document_id)


@_case_read("/documents", schemas.Documents)
def documents(found: Case):  # noqa: ANN201
    """The case's documents the caller may see (removed ones are gone), newest first."""
    actor = _actor()
    rows = db().scalars(select(CaseDocument).where(CaseDocument.case_id == found.id,
                                                   CaseDocument.removed_at.is_(None))
                        .order_by(CaseDocument.id.desc()))
    return {"documents": [{"id": d.id, "stage_id": d.stage_id, "requirement": d.requirement_id,
                           "member": d.member_id or None, "filename": d.filename, "content_type": d.content_type,
                           "size": d.size, "uploaded_by": d.uploaded_by, "uploaded_at": d.uploaded_at}
                          for d in rows if policy.may_see_document(actor, found, d)]}, 200, _etag(found.version)


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@bp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
@problems(*READ_PROBLEMS)
def download_document(case_id: int, document_id: int):  # noqa: ANN201
    """The document's file, as uploaded."""
    document = _document_of(_visible_case(case_id), document_id)
    return send_document(document)


@_operation("documents/<int:document_id>", None, method="DELETE")
def remove_document(case_id: int, actor: Any, version: int, document_id: int):  # noqa: ANN201
    """Remove a document from its requirement (its file is forgotten once nothing refers to it)."""
    if document_id > MAX_ID:
        abort(404)
    return services().cases.remove_document(case_id, actor, version, document_id)


def _note(note: CaseNote) -> dict[str, Any]:
    return {"id": note.id, "kind": note.kind, "author_id": note.author_id, "body": note.body,
            "meeting_at": note.meeting_at, "place": note.place or None, "created_at": note.created_at}


@_case_read("/notes", schemas.Notes)
def notes(found: Case):  # noqa: ANN201
    """The notes and meetings of the staff on the case, oldest first."""
    rows = db().scalars(select(CaseNote).where(CaseNote.case_id == found.id).order_by(CaseNote.id))
    return {"notes": [_note(n) for n in rows]}


@bp.post("/cases/<int:case_id>/notes")
@bp.arguments(schemas.NewNote)
@bp.response(201, schemas.Note)
@problems(400, 401, 403, 404, 422, 429)
def add_note(body: dict[str, Any], case_id: int):  # noqa: ANN201
    """A note, or a meeting (with its time and place) — beside the case, not a change of it: no If-Match."""
    found = _visible_case(case_id)
    if not access.may_enter("cases"):
        abort(403)
    with force_locale(api_language()):  # what the spec cannot say: a meeting has its time, a note its text
        if body["kind"] == "meeting" and body["meeting_at"] is None:
            abort(http_problem(422, _("Give the date of the meeting."), code="meeting_without_time"))
        if body["kind"] == "note" and not body["body"].strip():
            abort(http_problem(422, _("Write the note first."), code="empty_note"))
    if body["kind"] == "meeting":
        note_id = case_operations.add_meeting(services().sessions, _actor(), found.id, body["meeting_at"],
                                              body["place"], body["body"])
    else:
        note_id = case_operations.add_note(services().sessions, _actor(), found.id, body["body"])
    with services().sessions() as session:  # the request's own snapshot predates the note
        return _note(session.get(CaseNote, note_id)), 201


@_case_read("/assessments", schemas.Assessments)
def assessments(found: Case):  # noqa: ANN201
    """Each person's questionnaires on the case: submitted ones with their scores and ranked recommendations
    (with reasons), drafts with none."""
    lang = api_language()
    rows = db().scalars(select(AssessmentResponse).where(AssessmentResponse.case_id == found.id)
                        .order_by(AssessmentResponse.id))

    def ranked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"target": r["target"], "points": r["points"],
                 "reasons": [localize(reason["reason"], lang) for reason in r.get("reasons", [])]} for r in items]

    return {"assessments": [
        {"person_id": r.person_id, "assessment_id": r.assessment_id, "revision_id": r.revision_id,
         "stage_id": r.stage_id, "submitted": r.submitted_at is not None, "submitted_at": r.submitted_at,
         "scores": (r.result or {}).get("scores") if r.result else None,
         "pathways": ranked((r.result or {}).get("pathways", [])),
         "supply_chains": ranked((r.result or {}).get("supply_chains", []))} for r in rows]}, 200, \
        _etag(found.version)


# --- a case's parties: a bank, a notary... (roles the pathway declares, held on this case) ------------------

def _party(p: Any) -> dict[str, Any]:
    return {"id": p.id, "role": p.role, "organisation": p.organisation, "name": p.name, "email": p.email or None,
            "phone": p.phone or None, "language": p.language, "account_id": p.account_id, "added_at": p.added_at}


@_case_read("/parties", schemas.Parties)
def parties(found: Case):  # noqa: ANN201
    """The parties now on the case, with their roles."""
    return {"parties": [_party(p) for p in found.parties]}, 200, _etag(found.version)


@_operation("parties", schemas.NewParty, "Add a party to the case in one of the roles its pathway declares.")
def add_party(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return services().cases.add_party(case_id, actor, version, body["role"], body["organisation"], body["name"],
                                      email=body["email"].lower(), phone=body["phone"], language=body["language"])


@_operation("parties/<int:party_id>", None, method="DELETE")
def remove_party(case_id: int, actor: Any, version: int, party_id: int):  # noqa: ANN201
    """Remove a party from the case (its signing links stop working)."""
    if party_id > MAX_ID:
        abort(404)
    return services().cases.remove_party(case_id, actor, version, party_id)


@_operation("signing-links", schemas.SigningLink,
            "E-mail a party a single-use signing link for a sign-off of the current stage (the link is only in "
            "the e-mail).")
def send_signing_link(case_id: int, actor: Any, version: int, body: dict[str, Any]):  # noqa: ANN201
    return case_operations.send_signing_link(actor, case_id, version, body["party"], body["signoff"])


@_operation("paper", schemas.PaperDecision, upload=True)
def record_on_paper(case_id: int, actor: Any, version: int, form: dict[str, Any]):  # noqa: ANN201
    """Record a decision given on paper — a party's sign-off or an offline worker's item — with the scan as
    evidence (multipart/form-data), where the pathway allows it."""
    scan = form["evidence"]
    return services().cases.record_on_paper(
        case_id, actor, version, form["requirement"], filename=scan.filename or "evidence", content=scan.read(),
        decision=form["decision"], comment=form["comment"], party_id=form.get("party"), member=form.get("member"))
