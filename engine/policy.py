"""Who may see or do what: the one access policy of the project.

Every page, the worker portal, the databank, monitoring and the case operations ask these functions; none
of them derives a rule of its own. Each answer takes an `Actor` (id, roles, desks) and the object — a case
row (or the operation's case state: anything with `desk_id`, `opened_by` and `members`), a document, a
databank entry's desk and owner, a desk — and says yes or no, or why not: an engine refusal (`NotAllowed`
with its reason code), or for the databank a reason code its own catalogue words. Lists and counts use the
same rules as SQL conditions.

The rules:
- areas: which account roles enter which part of the application (`AREAS`);
- a case: an admin sees and manages every case; an operator those of its desks; a mentor sees the cases
  it is assigned to; a worker follows its own cases in the portal. Acting in a role on a case: see
  `case_refusal`;
- a document of a case: whoever sees the case, and the workers of the case — a member's personal document
  only that member; of the case's timeline, a worker sees where the pathway goes and their own steps;
- a role a pathway declares (a bank, a notary...) is held per case: only the case's party in that role acts
  in it, by its signing link or the account it is linked to (`is_party`); the operator adds and removes
  parties, sends them signing links and records on paper, with the scan as evidence, a decision a party or
  an offline worker gave where the pathway allows it (`paper_refusal`);
- a sign-off: acting in its role, once per person, up to its count, by someone other than its
  `distinct_from` people and the signers of the stage's sign-offs it is four-eyes with, both ways
  (`signoff_refusals`); only an approval counts, a request for changes or a refusal keeps it waiting;
- the databank: admins and operators read it (mentors too, through the databank's own operations); an
  entry is changed by the operators of its desk and admins; a profile of another desk shows only its
  non-personal part unless the worker consented to sharing; a worker sees and corrects its own profile;
- monitoring: an operator sees its desks' figures, an admin every desk's.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Mapping, Sequence

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from .errors import EngineError, InvalidOperation, NotAllowed
from .models import Case, CaseMember, party_actor_id
from .pathway import BUILTIN_ROLES, AssessmentRequirement, ChecklistItem, DocumentRule, Form, SignOffRule

if TYPE_CHECKING:  # the actor is defined with the case operations, which ask this module
    from .cases import Actor

# Which account roles enter which part of the application.
AREAS: Mapping[str, tuple[str, ...]] = {
    "desks": ("admin", "operator"),  # desk pages, opening cases, inviting workers
    "cases": ("admin", "operator", "mentor"),  # the case page, its actions, its dossier
    "mentor": ("mentor",),  # the mentor's own page
    "my_work": ("admin", "operator", "mentor"),  # the staff's landing page: what waits for them
    "portal": ("worker",),  # a worker's pathway
    "own_profile": ("worker",),  # a worker's professional profile
    "databank": ("admin", "operator"),  # the databank pages
    "monitoring": ("admin", "operator"),
    "designer": ("designer", "admin", "operator"),  # reading pathways
    "designer_edit": ("designer", "admin"),  # editing, simulating and migrating them
    "admin": ("admin",),
}
STAFF_ROLES = ("admin", "operator", "mentor", "designer")  # account roles of the help desks' own people
MANAGER_ROLES = ("operator",)  # who advances, holds, reopens... a case (admins may too)
# Who records that a worker withdrew their consent: the worker themselves (the portal), or the operator from
# the worker's signed paper. Either puts the case on hold.
CONSENT_WITHDRAWAL_ROLES = ("worker", *MANAGER_ROLES)
PERSONAL = "full"  # how much of a profile one sees: all of it,
LIMITED = "limited"  # or its non-personal part


def may_enter(actor: Actor, area: str) -> bool:
    return any(actor.has(role) for role in AREAS[area])


# --- desks ---------------------------------------------------------------------------------------------

def working_desk_ids(actor: Actor) -> frozenset[str] | None:
    """The desks the actor acts for (None: every desk, for an admin); see `works_at`."""
    if actor.has("admin"):
        return None
    if actor.has("operator"):
        return actor.desks
    return frozenset()


def visible_desk_ids(actor: Actor) -> frozenset[str] | None:
    """The desks whose pages and figures the actor may see (None: every desk): those it works at."""
    return working_desk_ids(actor)


def may_see_desk(actor: Actor, desk_id: str) -> bool:
    allowed = visible_desk_ids(actor)
    return allowed is None or desk_id in allowed


def works_at(actor: Actor, desk_id: str) -> bool:
    """Acts for the desk: opens its cases, changes its databank entries (an admin for every desk)."""
    return actor.has("admin") or (actor.has("operator") and desk_id in actor.desks)


def open_case_refusal(actor: Actor, desk_id: str) -> NotAllowed | None:
    if works_at(actor, desk_id):
        return None
    return NotAllowed("not_allowed.desk" if actor.has("operator") else "not_allowed.role", roles=["operator"])


def monitoring_desks(actor: Actor, wanted: str | None = None) -> tuple[str, ...] | None:
    """The desks whose figures count for the actor, narrowed to `wanted` if given (None: every desk).
    An operator never goes beyond its desks, whatever it asks for."""
    allowed = visible_desk_ids(actor)
    if allowed is None:
        return (wanted,) if wanted else None
    if wanted:
        return (wanted,) if wanted in allowed else ()
    return tuple(sorted(allowed))


# --- cases ---------------------------------------------------------------------------------------------

def is_manager(actor: Actor, case: Any) -> bool:
    """May act as the case's operator (advance, hold, reopen, assign mentors...)."""
    return works_at(actor, case.desk_id)


def is_assigned_mentor(actor: Actor, case: Any) -> bool:
    return actor.has("mentor") and _is_member(case, "mentor", actor.id)


def is_case_worker(actor: Actor, case: Any) -> bool:
    return actor.has("worker") and _is_member(case, "worker", actor.id)


def _is_member(case: Any, kind: str, person_id: str) -> bool:
    return any(m.kind == kind and m.person_id == person_id for m in case.members)


def may_see_case(actor: Actor, case: Any) -> bool:
    """The staff's view of a case: its managers and its assigned mentors."""
    return is_manager(actor, case) or is_assigned_mentor(actor, case)


def may_follow_case(actor: Actor, case: Any) -> bool:
    """The worker's view of a case, in the portal: its own cases only."""
    return is_case_worker(actor, case)


def party_of(actor: Actor, case: Any, role: str) -> Any | None:
    """The case's party in `role` that the actor is: by the party's own signing link (`party:<id>`) or by
    the account the party is linked to. A built-in role is never a party's (a party is added in a role its
    pathway declares, and a pathway cannot declare a built-in one): the parties are not even read."""
    if role in BUILTIN_ROLES:
        return None
    return next((p for p in case.parties if p.role == role and (
        actor.id == party_actor_id(p.id) or (p.account_id and p.account_id == actor.id))), None)


def is_party(actor: Actor, case: Any, role: str) -> bool:
    return party_of(actor, case, role) is not None


def held_per_case(role: str, account_roles: Collection[str] = ()) -> bool:
    """A role a pathway declares (a notary, a bank...) is held on each case by a party added to it, unless the
    pathway declares it an account's role (`kind: account`)."""
    return role not in BUILTIN_ROLES and role not in account_roles


def case_refusal(actor: Actor, case: Any, role: str, account_roles: Collection[str] = ()) -> NotAllowed | None:
    """Why `actor`, acting in `role`, may not act on `case` (None if they may). A role a pathway declares
    is the case's party's in that role, whatever roles the account holds (`held_per_case`)."""
    if held_per_case(role, account_roles):
        return None if is_party(actor, case, role) else NotAllowed("not_allowed.not_party", role=role)
    if actor.has("admin") and role in ("operator", "admin"):
        return None
    if not actor.has(role):
        return NotAllowed("not_allowed.role", roles=[role])
    if role == "operator" and case.desk_id not in actor.desks:
        return NotAllowed("not_allowed.desk")
    if role == "mentor" and not _is_member(case, "mentor", actor.id):
        return NotAllowed("not_allowed.not_assigned")
    if role == "worker" and not _is_member(case, "worker", actor.id):
        return NotAllowed("not_allowed.not_member")
    if role == "designer":
        return NotAllowed("not_allowed.role", roles=["operator"])
    return None


def acting_role(actor: Actor, case: Any, roles: Sequence[str], account_roles: Collection[str] = ()) -> str:
    """The first of `roles` in which the actor may act on the case; else raises the most telling refusal
    (the case's desk or membership rather than the role)."""
    relationship_refusal: NotAllowed | None = None
    for role in roles:
        refusal = case_refusal(actor, case, role, account_roles)
        if refusal is None:
            return role
        if refusal.reason_code != "not_allowed.role" and relationship_refusal is None:
            relationship_refusal = refusal
    raise relationship_refusal or NotAllowed("not_allowed.role", roles=list(roles))


def raise_for_other_member(actor: Actor, role: str, person_id: str | None) -> None:
    """A worker acts only for themselves (a per-member requirement, their own questionnaire)."""
    if role == "worker" and person_id not in (None, actor.id):
        raise NotAllowed("not_allowed.other_member")


def may_act(actor: Actor, case: Any, roles: Iterable[str], account_roles: Collection[str] = ()) -> bool:
    return any(case_refusal(actor, case, role, account_roles) is None for role in roles)


def manage_refusal(actor: Actor, case: Any) -> NotAllowed | None:
    try:
        acting_role(actor, case, MANAGER_ROLES)
    except NotAllowed as refusal:
        return refusal
    return None


def migrate_refusal(actor: Actor) -> NotAllowed | None:
    """Moving cases to another revision of their pathway: designers and admins."""
    return None if may_enter(actor, "designer_edit") else NotAllowed("not_allowed.designer")


def requirement_roles(requirement: Any) -> tuple[str, ...]:
    """The roles that may meet a requirement of a stage (checklist item, document, form, questionnaire,
    sign-off)."""
    if isinstance(requirement, DocumentRule):
        return tuple(requirement.uploaded_by)
    if isinstance(requirement, SignOffRule):
        return (requirement.role,)
    if isinstance(requirement, (ChecklistItem, Form, AssessmentRequirement)):
        return tuple(requirement.roles)
    return ()


# Events that tell where the pathway goes: every worker of the case sees them in the portal.
EVENTS_SHARED_WITH_WORKERS = ("case_opened", "advanced", "reopened", "put_on_hold", "resumed", "closed", "switched",
                              "migrated", "pathway_chosen")


def may_see_event_in_portal(actor: Actor, event: Any) -> bool:
    """What a worker sees of their case's timeline: where the pathway goes, what they did, what concerns them
    (the other members' own steps stay theirs)."""
    return (event.type in EVENTS_SHARED_WITH_WORKERS or event.actor_id == actor.id
            or (event.data or {}).get("member") == actor.id)


def may_see_document(actor: Actor, case: Any, document: Any) -> bool:
    """A document attached to `case`: whoever sees the case; its workers, except another member's
    personal document. A removed document, or one of another case, is nobody's."""
    if document is None or document.case_id != case.id or document.removed_at is not None:
        return False
    if may_see_case(actor, case):
        return True
    return is_case_worker(actor, case) and document.member_id in ("", actor.id)


def may_see_document_by_link(signing: Any, document: Any) -> bool:
    """What a party's signing link shows: the documents of the stage it is asked to decide, not a member's
    personal ones."""
    return (document is not None and document.case_id == signing.case_id and document.stage_id == signing.stage_id
            and document.removed_at is None and document.member_id == "")


# --- sign-offs -----------------------------------------------------------------------------------------

SIGNOFF_DONE = ("already_signed", "signoff_complete")
_PARTY_PREFIX = party_actor_id(0)[:-1]  # "party:", how a party acting by its link is named
APPROVE = "approve"
DECISIONS = (APPROVE, "request_changes", "decline")  # refusals meaning it no longer waits for this person


def is_party_link(actor_id: str) -> bool:
    """Whether this actor is a party acting by its own signing link."""
    return actor_id.startswith(_PARTY_PREFIX)


def signoff_refusals(rule: Any, person_id: str, given: Sequence[Any], *, form_submitter: str | None,
                     case_opener: str | None, stage: Any = None,
                     parties: Sequence[Any] | Callable[[], Sequence[Any]] = ()) -> list[InvalidOperation]:
    """Why this person may not give this sign-off now, whatever their role: already given by them, all the
    sign-offs it needs given, or given by someone it must be distinct from. `given`: the sign-offs of the
    stage's current visit (rows with `signoff_id` and `actor_id`). A party linked to an account is the same
    person as that account (`parties`: the case's, or a function that reads them — asked only when the
    person or a signer of `given` acts as a party, the only ones the link changes): four-eyes holds across
    the two."""
    refusals: list[InvalidOperation] = []
    accounts: dict[str, str] = {}
    if is_party_link(person_id) or any(is_party_link(s.actor_id) for s in given):
        found = parties() if callable(parties) else parties
        accounts = {party_actor_id(p.id): p.account_id for p in found if p.account_id}
    if accounts:
        person_id = accounts.get(person_id, person_id)
        given = [SimpleNamespace(signoff_id=s.signoff_id, actor_id=accounts.get(s.actor_id, s.actor_id),
                                 decision=getattr(s, "decision", APPROVE)) for s in given]
    given = approvals(given)
    mine = [s for s in given if s.signoff_id == rule.id]
    if any(s.actor_id == person_id for s in mine):
        refusals.append(InvalidOperation("already_signed", signoff=rule.label))
    if len(mine) >= rule.count:
        refusals.append(InvalidOperation("signoff_complete", signoff=rule.label))
    for other in rule.distinct_from:
        if other == "case_opener":
            same = case_opener == person_id
        elif other == "form_submitter":
            same = form_submitter == person_id
        else:
            ref = other.split(":", 1)[1]
            same = any(s.signoff_id == ref and s.actor_id == person_id for s in given)
        if same:
            refusals.append(InvalidOperation("signoff_distinct", signoff=rule.label,
                                              other=_distinct_label(other, stage)))
    if stage is not None:
        refusals += four_eyes_refusals(stage, rule, person_id, given)
    return refusals


def four_eyes_refusals(stage: Any, rule: Any, person_id: str, given: Sequence[Any]) -> list[InvalidOperation]:
    """Four-eyes the other way round: this person gave a sign-off of the stage that must come from someone
    else than this one's signer (`distinct_signoffs`, or a `distinct_from` naming this sign-off)."""
    own = {o.split(":", 1)[1] for o in rule.distinct_from if o.startswith("signoff:")}  # said above already
    return [InvalidOperation("signoff_distinct", signoff=rule.label, other=_distinct_label("signoff:" + ref, stage))
            for ref in stage.distinct_partners(rule.id)
            if ref not in own and any(s.signoff_id == ref and s.actor_id == person_id for s in given)]


def approvals(rows: Sequence[Any]) -> list[Any]:
    """The sign-off rows that approve: a request for changes or a refusal keeps the sign-off waiting."""
    return [s for s in rows if getattr(s, "decision", APPROVE) == APPROVE]


def decision_refusal(decision: str, comment: str) -> InvalidOperation | None:
    """A decision is one of `DECISIONS`; anything but an approval says why, in a comment."""
    if decision not in DECISIONS:
        return InvalidOperation("decision_unknown", decision=decision)
    if decision != APPROVE and not (comment or "").strip():
        return InvalidOperation("decision_comment_required")
    return None


def paper_refusal(actor: Actor, case: Any, requirement: Any, evidence: bytes | None) -> EngineError | None:
    """Recording on paper a decision a party or a worker gave: the case's operator, where the pathway allows
    it for this requirement (`on_paper`), always with the scanned document as evidence."""
    refusal = manage_refusal(actor, case)
    if refusal is not None:
        return refusal
    if not getattr(requirement, "on_paper", False):
        return InvalidOperation("paper_not_allowed", requirement=requirement.label)
    if not evidence:
        return InvalidOperation("paper_evidence_required", requirement=requirement.label)
    return None


def sign_refusals(actor: Actor, state: Any, rule: Any) -> list[EngineError]:
    """Every reason why the actor may not give this sign-off of the stage `state` (a `StageState`), its role
    first; empty when they may."""
    role_refusal = case_refusal(actor, state.case, rule.role, state.pathway.account_roles)
    form = state.forms.get(state.stage.id)
    return ([role_refusal] if role_refusal else []) + signoff_refusals(
        rule, actor.id, state.signoffs, form_submitter=form.submitted_by if form is not None else None,
        case_opener=state.case.opened_by, stage=state.stage, parties=lambda: state.case.parties)


def may_sign(actor: Actor, state: Any, rule: Any) -> bool:
    return not sign_refusals(actor, state, rule)


def _distinct_label(other: str, stage: Any = None) -> dict[str, str]:
    from .i18n import LANGUAGES, localize, message

    if other.startswith("signoff:"):
        ref = other.split(":", 1)[1]
        rule = stage.requirement(ref) if stage is not None else None  # its label, when the stage is known
        return {lang: message("signoff_distinct.signoff", lang, other=localize(rule.label, lang) if rule else ref)
                for lang in LANGUAGES}
    return {lang: message("signoff_distinct." + other, lang) for lang in LANGUAGES}


# --- the databank --------------------------------------------------------------------------------------
# Refusals here are reason codes (`not_allowed.databank_*`): the databank words them in its own catalogue.

def reads_databank(actor: Actor) -> bool:
    return actor.has("admin") or actor.has("operator") or actor.has("mentor")


def databank_read_refusal(actor: Actor) -> str | None:
    if reads_databank(actor):
        return None
    return "not_allowed.own_profile" if actor.has("worker") else "not_allowed.databank_role"


def may_edit_entry(actor: Actor, desk_id: str) -> bool:
    """Creates, changes and deletes the profiles and resources of a desk."""
    return works_at(actor, desk_id)


def entry_edit_refusal(actor: Actor, desk_id: str, *, own: bool = False) -> str | None:
    """Why the actor may not change an entry of `desk_id` (`own`: the worker's own profile, which they may)."""
    if may_edit_entry(actor, desk_id) or own:
        return None
    if actor.has("operator"):
        return "not_allowed.databank_desk"
    if actor.has("worker"):
        return "not_allowed.own_profile"
    return "not_allowed.databank_role"


def profile_fields_locked_for(actor: Actor, desk_id: str) -> tuple[str, ...]:
    """What the owner of a profile may not change on it, unless they may edit the desk's entries anyway: whose
    profile it is, which desk keeps it, which case it comes from."""
    return () if may_edit_entry(actor, desk_id) else ("desk_id", "person_id", "case_id")


def may_link_profile_to_case(actor: Actor, case: Any) -> bool:
    """A profile says which case it comes from only by someone who manages that case."""
    return is_manager(actor, case)


def may_link_profile_to_worker(actor: Actor, worker_case_desks: Iterable[str]) -> bool:
    """A profile is made a worker's only by someone serving a desk that accompanies them (`worker_case_desks`:
    the desks of the cases the person follows as a worker; a person no desk accompanies belongs to none)."""
    desks = set(worker_case_desks)
    return not desks or actor.has("admin") or any(works_at(actor, desk_id) for desk_id in desks)


def is_own_profile(actor: Actor, person_id: str | None) -> bool:
    return bool(person_id) and person_id == actor.id


def profile_access(actor: Actor, desk_id: str, person_id: str | None, consented: bool,
                   stopped: bool = False) -> str | None:
    """How much of a profile the actor sees: `PERSONAL` (all), `LIMITED` (no personal part) or None.
    `stopped`: the worker withdrew their consent, only their desk and they still see it."""
    if may_edit_entry(actor, desk_id) or is_own_profile(actor, person_id):
        return PERSONAL
    if reads_databank(actor) and not stopped:
        return PERSONAL if consented else LIMITED
    return None


def sees_every_profile_in_full(actor: Actor) -> bool:
    return actor.has("admin")


def personal_profiles_clause(actor: Actor, desk_id: Any, person_id: Any, consented: Any) -> ColumnElement[bool]:
    """`profile_access(...) == PERSONAL` as SQL, on the given columns (searching the personal words)."""
    if sees_every_profile_in_full(actor):
        return true()
    clauses = [person_id == actor.id]
    if reads_databank(actor):
        clauses.append(consented.is_(True))
    if actor.has("operator") and actor.desks:
        clauses.append(desk_id.in_(sorted(actor.desks)))
    return or_(*clauses)


def listed_profiles_clause(actor: Actor, desk_id: Any, person_id: Any, stopped: Any) -> ColumnElement[bool]:
    """`profile_access(...) is not None` for a reader, as SQL: a profile whose processing stopped is listed only
    to its desk (searches, exports, matching)."""
    if sees_every_profile_in_full(actor):
        return true()
    clauses = [stopped.is_(False), person_id == actor.id]
    if actor.has("operator") and actor.desks:
        clauses.append(desk_id.in_(sorted(actor.desks)))
    return or_(*clauses)


def contact_requests_refusal(actor: Actor) -> str | None:
    """Reading the public catalogue's contact requests: admins, and operators for their desks
    (`visible_desk_ids`)."""
    return None if actor.has("admin") or actor.has("operator") else "not_allowed.databank_role"


# --- lists ---------------------------------------------------------------------------------------------

def mentor_cases_clause(person_id: str) -> ColumnElement[bool]:
    """The cases a person is assigned to as mentor."""
    return exists(select(CaseMember.id).where(
        CaseMember.case_id == Case.id, CaseMember.kind == "mentor", CaseMember.person_id == person_id))


def worker_cases_clause(person_id: str) -> ColumnElement[bool]:
    """The cases a person follows as worker."""
    return exists(select(CaseMember.id).where(
        CaseMember.case_id == Case.id, CaseMember.kind == "worker", CaseMember.person_id == person_id))


def _case_visibility(actor: Actor) -> tuple[bool, frozenset[str], bool]:
    """`may_see_case` in parts: (sees every case, the desks whose cases it sees, sees the cases it mentors)."""
    desks = frozenset(actor.desks) if actor.has("operator") else frozenset()
    return actor.has("admin"), desks, actor.has("mentor")


def visible_cases_clause(actor: Actor) -> ColumnElement[bool]:
    """`may_see_case` as a condition on `cases`, for lists and counts."""
    every, desks, mentored = _case_visibility(actor)
    if every:
        return true()
    clauses = []
    if desks:
        clauses.append(Case.desk_id.in_(sorted(desks)))
    if mentored:
        clauses.append(mentor_cases_clause(actor.id))
    return or_(*clauses) if clauses else false()


def visible_cases_desks(actor: Actor) -> frozenset[str] | None:
    """The desks whose cases are exactly the cases `visible_cases_clause` lets the actor see (an operator's),
    or None when they are not whole desks (an admin sees every case, a mentor the cases they mentor)."""
    every, desks, mentored = _case_visibility(actor)
    return desks if desks and not every and not mentored else None


def followed_cases_clause(actor: Actor) -> ColumnElement[bool]:
    """`may_follow_case` as a condition on `cases` (the portal's list)."""
    return worker_cases_clause(actor.id) if actor.has("worker") else false()
