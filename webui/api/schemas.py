"""The shapes the JSON API reads and writes (marshmallow schemas, from which the OpenAPI document is built).

A response's shape is declared with `response`: every field of a response is always there (`nullable` where it
may be null). What an operation takes is a plain schema, each field with its own limits.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from marshmallow.fields import Boolean, DateTime, Dict, Float, Integer, Raw, String

from ..routing import MAX_ID

STATUSES = ("open", "active", "on_hold", "closed", "all")


def response(name: str, base: type[Schema] = Schema, /, **shape: Any) -> type[Schema]:
    """The schema of a response body named `name` (extending `base`): each keyword is a field that is always
    there, given as a field (class or instance), a schema (nested) or a one-item list of either (a list)."""
    always_there = {}
    for key, kind in shape.items():
        field = _field(kind)
        field.required = True
        always_there[key] = field
    return base.from_dict(always_there, name=name)


def nullable(kind: Any) -> fields.Field:
    """A field of a response that may be null (a kind as `response` takes it)."""
    field = _field(kind)
    field.allow_none = True
    return field


def _field(kind: Any) -> fields.Field:
    if isinstance(kind, list):
        return fields.List(_field(kind[0]))
    if isinstance(kind, type) and issubclass(kind, Schema):
        return fields.Nested(kind)
    return kind() if isinstance(kind, type) else kind


class Problem(Schema):
    """An RFC 9457 problem document; `code` is the engine's stable code of the refusal."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True)
    current_version = fields.Integer(allow_none=True)
    changes = fields.List(fields.Dict())
    errors = fields.Dict()
    missing = fields.List(fields.Dict())
    exit = fields.String()


Desk = response("Desk", id=String, name=String, country=String, region=nullable(String))
Member = response("Member", person_id=String, kind=String, display_name=String)
CaseSummary = response(
    "CaseSummary", id=Integer, title=String, desk_id=String, pathway_id=String, stage_id=String, status=String,
    outcome=nullable(String), version=Integer, opened_at=DateTime, due_at=nullable(DateTime), members=[Member])
CasePage = response("CasePage", cases=[CaseSummary], next_cursor=nullable(String))
Unmet = response("Unmet", code=String, requirement=nullable(String), message=String)
Requirement = response("Requirement", id=String, kind=String, label=String, met=Boolean, missing=nullable(Unmet))
ExitState = response("ExitState", id=String, label=String, allowed=Boolean, missing=[Unmet])
Stage = response("Stage", id=String, title=String, requirements=[Requirement], exits=[ExitState])
CaseDetail = response("CaseDetail", CaseSummary, revision_id=Integer, stage=Stage)
TimelineEvent = response("TimelineEvent", seq=Integer, type=String, actor_id=String, at=DateTime,
                         stage_id=nullable(String), data=Dict)
Timeline = response("Timeline", events=[TimelineEvent])
Receipt = response("Receipt", case_id=Integer, version=Integer, event_type=String, new_case_id=nullable(Integer),
                   document_id=nullable(Integer))


# --- what the operations take -------------------------------------------------------------------------

_ID = validate.Length(min=1, max=64)
_ROW_ID = validate.Range(min=1, max=MAX_ID)  # a row of an integer column
_REASON = validate.Length(min=1, max=2000)
_COMMENT = validate.Length(max=2000)


def _upload() -> fields.Field:
    """A file posted as multipart/form-data."""
    return fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class JobFigures(Schema):
    """The jobs a case created and kept, told when it leaves a stage or closes (both optional)."""

    jobs_created = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    jobs_kept = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


class CaseFilters(Schema):
    q = fields.String(validate=validate.Length(max=100))
    pathway = fields.String(validate=validate.Length(max=64))
    stage = fields.String(validate=validate.Length(max=64))
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES))
    supply_chain = fields.String(validate=validate.Length(max=64))
    mentor = fields.String(validate=validate.Length(max=64))
    overdue = fields.Boolean(load_default=False)
    cursor = fields.String(validate=validate.Regexp(r"^[0-9]{1,12}$"))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NewMember(Schema):
    person_id = fields.String(required=True, validate=_ID)
    display_name = fields.String(load_default="", validate=validate.Length(max=200))


class OpenCase(Schema):
    pathway = fields.String(required=True, validate=_ID)
    title = fields.String(load_default="", validate=validate.Length(max=300))
    workers = fields.List(fields.Nested(NewMember), required=True, validate=validate.Length(min=1, max=50))
    mentors = fields.List(fields.Nested(NewMember), load_default=list, validate=validate.Length(max=10))
    supply_chains = fields.List(fields.String(validate=_ID), load_default=list, validate=validate.Length(max=20))


class Tick(Schema):
    item = fields.String(required=True, validate=_ID)
    member = fields.String(allow_none=True, validate=_ID)


class FormAnswers(Schema):
    data = fields.Dict(required=True)  # the stage form's fields: the engine checks them


class SignOff(Schema):
    signoff = fields.String(required=True, validate=_ID)
    comment = fields.String(load_default="", validate=_COMMENT)


class SignOffRequest(Schema):
    signoff = fields.String(required=True, validate=_ID)
    person = fields.String(required=True, validate=_ID)  # the account asked
    note = fields.String(load_default="", validate=_COMMENT)


class Advance(JobFigures):
    exit = fields.String(required=True, validate=_ID)


class Reason(Schema):
    reason = fields.String(required=True, validate=_REASON)


class Reopen(Reason):
    stage = fields.String(load_default=None, allow_none=True, validate=_ID,
                          metadata={"description": "A stage the case visited; none for a closed case, which reopens "
                                                   "in its last stage."})


class Switch(Reason):
    pathway = fields.String(required=True, validate=_ID)
    at = fields.String(allow_none=True, validate=_ID)


class DocumentUpload(Schema):
    requirement = fields.String(required=True, validate=_ID)
    member = fields.String(validate=_ID)
    file = _upload()


class AssessmentAnswers(Schema):
    answers = fields.Dict(required=True)  # the questionnaire's questions: the engine checks them
    person_id = fields.String(validate=_ID)


class PathwayChoice(Schema):
    pathway = fields.String(required=True, validate=_ID)
    reason = fields.String(load_default="", validate=_COMMENT)


RankedPathway = response("RankedPathway", pathway=String, points=Float)
Recommendation = response("Recommendation", pathways=[RankedPathway])
PathwaySummary = response("PathwaySummary", id=String, version=String, title=String, stages=[Dict])


class PathwayText(Schema):
    file_name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,62}\.(yaml|yml|json)$"))
    text = fields.String(required=True, validate=validate.Length(max=1024 * 1024))


FileProblem = response("FileProblem", file=String, line=Integer, column=Integer, severity=String, code=String,
                       path=String, message=String)
PathwayCheck = response("PathwayCheck", valid=Boolean, problems=[FileProblem])


class MonitoringFilters(Schema):
    desk = fields.String(validate=validate.Length(max=64))
    region = fields.String(validate=validate.Length(max=100))
    country = fields.String(validate=validate.Length(max=2))
    pathway = fields.String(validate=validate.Length(max=64))
    from_ = fields.Date(data_key="from")
    until = fields.Date()


Figure = response("Figure", table=String, pathway=String, item=String, label=String,
                  value=Raw(metadata={"oneOf": [{"type": "number"}, {"type": "string", "const": "<5"}]}))
Figures = response("Figures", figures=[Figure])
FacetValue = response("FacetValue", code=String, label=String, count=Integer)
DatabankPage = response("DatabankPage", total=Integer, page=Integer, per_page=Integer, items=[Dict],
                        facets=Dict(keys=String(), values=fields.List(fields.Nested(FacetValue))))


class DatabankSearch(Schema):
    """The databank pages' filters (any facet may be repeated: ?region=Liguria&region=Sardegna)."""

    q = fields.String(validate=validate.Length(max=200))
    page = fields.Integer(validate=validate.Range(min=1, max=10000))
    sort = fields.String(validate=validate.Length(max=20))

    class Meta:
        unknown = "include"


Suggestion = response("Suggestion", kind=String, id=Integer, score=Float, reasons=[String], record=Dict)
Suggestions = response("Suggestions", resources=[Suggestion], profiles=[Suggestion])


class Reservation(Schema):
    resource_id = fields.Integer(required=True, validate=_ROW_ID)


# The profile or resource as its page shows it to the caller.
DatabankEntry = response("DatabankEntry", entry=Dict)


# --- more of a case: closing, people, documents, notes, questionnaires -------------------------------------

class Close(Reason, JobFigures):
    outcome = fields.String(required=True, validate=_ID)


class MemberChange(Schema):
    add = fields.List(fields.Nested(NewMember), load_default=list, validate=validate.Length(max=50))
    remove = fields.List(fields.String(validate=_ID), load_default=list, validate=validate.Length(max=50))


class MentorChoice(Schema):
    mentor = fields.String(required=True, validate=_ID)  # the mentor's account id


Document = response("Document", id=Integer, stage_id=String, requirement=String, member=nullable(String),
                    filename=String, content_type=String, size=Integer, uploaded_by=String, uploaded_at=DateTime)
Documents = response("Documents", documents=[Document])


class NewNote(Schema):
    kind = fields.String(load_default="note", validate=validate.OneOf(("note", "meeting")))
    body = fields.String(load_default="", validate=validate.Length(max=10000))
    meeting_at = fields.AwareDateTime(load_default=None, allow_none=True)
    place = fields.String(load_default="", validate=validate.Length(max=200))


Note = response("Note", id=Integer, kind=String, author_id=String, body=String, meeting_at=nullable(DateTime),
                place=nullable(String), created_at=DateTime)
Notes = response("Notes", notes=[Note])
RankedTarget = response("RankedTarget", target=String, points=Float, reasons=[String])
PersonAssessment = response(
    "PersonAssessment", person_id=String, assessment_id=String, revision_id=Integer, stage_id=String,
    submitted=Boolean, submitted_at=nullable(DateTime), scores=nullable(Dict(keys=String(), values=Float())),
    pathways=[RankedTarget], supply_chains=[RankedTarget])
Assessments = response("Assessments", assessments=[PersonAssessment])


# --- pathway revisions ---------------------------------------------------------------------------------------

RevisionSummary = response("RevisionSummary", id=Integer, pathway_id=String, version=String, content_hash=String,
                           active=Boolean, created_at=DateTime, created_by=nullable(String))
Revisions = response("Revisions", revisions=[RevisionSummary])
# A revision with its source and the pathway as it runs (shared fragments inlined).
Revision = response("Revision", RevisionSummary, source_file=String, source_text=String, document=Dict)


# --- parties -------------------------------------------------------------------------------------------------

Party = response("Party", id=Integer, role=String, organisation=String, name=String, email=nullable(String),
                 phone=nullable(String), language=String, account_id=nullable(String), added_at=DateTime)
Parties = response("Parties", parties=[Party])


class NewParty(Schema):
    role = fields.String(required=True, validate=_ID)
    organisation = fields.String(required=True, validate=validate.Length(max=200))
    name = fields.String(required=True, validate=validate.Length(max=200))
    email = fields.String(load_default="", validate=validate.Length(max=254))  # the engine checks it
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    language = fields.String(load_default="en", validate=validate.OneOf(("it", "fr", "en")))


class SigningLink(Schema):
    party = fields.Integer(required=True, validate=_ROW_ID)
    signoff = fields.String(required=True, validate=_ID)


class PaperDecision(Schema):
    requirement = fields.String(required=True, validate=_ID)
    party = fields.Integer(validate=_ROW_ID)  # a party's sign-off
    member = fields.String(validate=_ID)  # or a worker's checklist item
    decision = fields.String(load_default="approve", validate=validate.OneOf(("approve", "request_changes", "decline")))
    comment = fields.String(load_default="", validate=_COMMENT)
    evidence = _upload()
