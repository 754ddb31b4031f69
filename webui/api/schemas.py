"""The shapes the JSON API reads and writes (marshmallow schemas, from which the OpenAPI document is built)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

STATUSES = ("open", "active", "on_hold", "closed", "all")


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


class Desk(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True)
    region = fields.String(allow_none=True)


class Member(Schema):
    person_id = fields.String(required=True)
    kind = fields.String(required=True)
    display_name = fields.String(required=True)


class CaseSummary(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    desk_id = fields.String(required=True)
    pathway_id = fields.String(required=True)
    stage_id = fields.String(required=True)
    status = fields.String(required=True)
    outcome = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    opened_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    members = fields.List(fields.Nested(Member), required=True)


class CasePage(Schema):
    cases = fields.List(fields.Nested(CaseSummary), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class Unmet(Schema):
    code = fields.String(required=True)
    requirement = fields.String(allow_none=True)
    message = fields.String(required=True)


class Requirement(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)
    met = fields.Boolean(required=True)
    missing = fields.Nested(Unmet, allow_none=True)


class ExitState(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    allowed = fields.Boolean(required=True)
    missing = fields.List(fields.Nested(Unmet), required=True)


class Stage(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    requirements = fields.List(fields.Nested(Requirement), required=True)
    exits = fields.List(fields.Nested(ExitState), required=True)


class CaseDetail(CaseSummary):
    revision_id = fields.Integer(required=True)
    stage = fields.Nested(Stage, required=True)


class TimelineEvent(Schema):
    seq = fields.Integer(required=True)
    type = fields.String(required=True)
    actor_id = fields.String(required=True)
    at = fields.DateTime(required=True)
    stage_id = fields.String(allow_none=True)
    data = fields.Dict(required=True)


class Timeline(Schema):
    events = fields.List(fields.Nested(TimelineEvent), required=True)


class Receipt(Schema):
    case_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    event_type = fields.String(required=True)
    new_case_id = fields.Integer(allow_none=True)
    document_id = fields.Integer(allow_none=True)


# --- what the operations take -------------------------------------------------------------------------

_ID = validate.Length(min=1, max=64)
_REASON = validate.Length(min=1, max=2000)


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
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class SignOffRequest(Schema):
    signoff = fields.String(required=True, validate=_ID)
    person = fields.String(required=True, validate=_ID)  # the account asked
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class Advance(Schema):
    exit = fields.String(required=True, validate=_ID)
    jobs_created = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    jobs_kept = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


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
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AssessmentAnswers(Schema):
    answers = fields.Dict(required=True)  # the questionnaire's questions: the engine checks them
    person_id = fields.String(validate=_ID)


class PathwayChoice(Schema):
    pathway = fields.String(required=True, validate=_ID)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RankedPathway(Schema):
    pathway = fields.String(required=True)
    points = fields.Float(required=True)


class Recommendation(Schema):
    pathways = fields.List(fields.Nested(RankedPathway), required=True)


class PathwaySummary(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    title = fields.String(required=True)
    stages = fields.List(fields.Dict(), required=True)


class PathwayText(Schema):
    file_name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,62}\.(yaml|yml|json)$"))
    text = fields.String(required=True, validate=validate.Length(max=1024 * 1024))


class FileProblem(Schema):
    file = fields.String(required=True)
    line = fields.Integer(required=True)
    column = fields.Integer(required=True)
    severity = fields.String(required=True)
    code = fields.String(required=True)
    path = fields.String(required=True)
    message = fields.String(required=True)


class PathwayCheck(Schema):
    valid = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(FileProblem), required=True)


class MonitoringFilters(Schema):
    desk = fields.String(validate=validate.Length(max=64))
    region = fields.String(validate=validate.Length(max=100))
    country = fields.String(validate=validate.Length(max=2))
    pathway = fields.String(validate=validate.Length(max=64))
    from_ = fields.Date(data_key="from")
    until = fields.Date()


class Figure(Schema):
    table = fields.String(required=True)
    pathway = fields.String(required=True)
    item = fields.String(required=True)
    label = fields.String(required=True)
    value = fields.Raw(required=True, metadata={"oneOf": [{"type": "number"}, {"type": "string", "const": "<5"}]})


class Figures(Schema):
    figures = fields.List(fields.Nested(Figure), required=True)


class FacetValue(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class DatabankPage(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    items = fields.List(fields.Dict(), required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValue)), required=True)


class DatabankSearch(Schema):
    """The databank pages' filters (any facet may be repeated: ?region=Liguria&region=Sardegna)."""

    q = fields.String(validate=validate.Length(max=200))
    page = fields.Integer(validate=validate.Range(min=1, max=10000))
    sort = fields.String(validate=validate.Length(max=20))

    class Meta:
        unknown = "include"


class Suggestion(Schema):
    kind = fields.String(required=True)
    id = fields.Integer(required=True)
    score = fields.Float(required=True)
    reasons = fields.List(fields.String(), required=True)
    record = fields.Dict(required=True)


class Suggestions(Schema):
    resources = fields.List(fields.Nested(Suggestion), required=True)
    profiles = fields.List(fields.Nested(Suggestion), required=True)


class Reservation(Schema):
    resource_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class DatabankEntry(Schema):
    entry = fields.Dict(required=True)  # the profile or resource as its page shows it to the caller


# --- more of a case: closing, people, documents, notes, questionnaires -------------------------------------

class Close(Reason):
    outcome = fields.String(required=True, validate=_ID)
    jobs_created = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    jobs_kept = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


class MemberChange(Schema):
    add = fields.List(fields.Nested(NewMember), load_default=list, validate=validate.Length(max=50))
    remove = fields.List(fields.String(validate=_ID), load_default=list, validate=validate.Length(max=50))


class MentorChoice(Schema):
    mentor = fields.String(required=True, validate=_ID)  # the mentor's account id


class Document(Schema):
    id = fields.Integer(required=True)
    stage_id = fields.String(required=True)
    requirement = fields.String(required=True)
    member = fields.String(allow_none=True, required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    uploaded_by = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)


class Documents(Schema):
    documents = fields.List(fields.Nested(Document), required=True)


class NewNote(Schema):
    kind = fields.String(load_default="note", validate=validate.OneOf(("note", "meeting")))
    body = fields.String(load_default="", validate=validate.Length(max=10000))
    meeting_at = fields.AwareDateTime(load_default=None, allow_none=True)
    place = fields.String(load_default="", validate=validate.Length(max=200))


class Note(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    author_id = fields.String(required=True)
    body = fields.String(required=True)
    meeting_at = fields.DateTime(allow_none=True, required=True)
    place = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class Notes(Schema):
    notes = fields.List(fields.Nested(Note), required=True)


class RankedTarget(Schema):
    target = fields.String(required=True)
    points = fields.Float(required=True)
    reasons = fields.List(fields.String(), required=True)


class PersonAssessment(Schema):
    person_id = fields.String(required=True)
    assessment_id = fields.String(required=True)
    revision_id = fields.Integer(required=True)
    stage_id = fields.String(required=True)
    submitted = fields.Boolean(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True, required=True)
    pathways = fields.List(fields.Nested(RankedTarget), required=True)
    supply_chains = fields.List(fields.Nested(RankedTarget), required=True)


class Assessments(Schema):
    assessments = fields.List(fields.Nested(PersonAssessment), required=True)


# --- pathway revisions ---------------------------------------------------------------------------------------

class RevisionSummary(Schema):
    id = fields.Integer(required=True)
    pathway_id = fields.String(required=True)
    version = fields.String(required=True)
    content_hash = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True, required=True)


class Revisions(Schema):
    revisions = fields.List(fields.Nested(RevisionSummary), required=True)


class Revision(RevisionSummary):
    source_file = fields.String(required=True)
    source_text = fields.String(required=True)
    document = fields.Dict(required=True)  # the pathway as it runs (shared fragments inlined)


# --- parties -------------------------------------------------------------------------------------------------

class Party(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    organisation = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    account_id = fields.String(allow_none=True, required=True)
    added_at = fields.DateTime(required=True)


class Parties(Schema):
    parties = fields.List(fields.Nested(Party), required=True)


class NewParty(Schema):
    role = fields.String(required=True, validate=_ID)
    organisation = fields.String(required=True, validate=validate.Length(max=200))
    name = fields.String(required=True, validate=validate.Length(max=200))
    email = fields.String(load_default="", validate=validate.Length(max=254))  # the engine checks it
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    language = fields.String(load_default="en", validate=validate.OneOf(("it", "fr", "en")))


class SigningLink(Schema):
    party = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    signoff = fields.String(required=True, validate=_ID)


class PaperDecision(Schema):
    requirement = fields.String(required=True, validate=_ID)
    party = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))  # a party's sign-off
    member = fields.String(validate=_ID)  # or a worker's checklist item
    decision = fields.String(load_default="approve", validate=validate.OneOf(("approve", "request_changes", "decline")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    evidence = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
