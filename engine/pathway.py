"""The pathway *spec*: frozen objects built once from a validated, resolved pathway document.

A `Pathway` knows nothing of cases or the database; `validation.py` guarantees that the document it is
built from is coherent, so building never fails on a document that passed validation.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping

from .i18n import localize
from .loader import dump_canonical

Text = Mapping[str, str]

BUILTIN_ROLES = ("operator", "mentor", "worker", "designer", "admin")
BUILTIN_OUTCOMES = ("company_created", "coop_constituted", "employed", "withdrawn", "referred")
SUPPLY_CHAINS = ("nautical_shipbuilding", "sustainable_tourism", "blue_green_biotech", "blue_green_energy")
# Facts about a case that conditions may compare, besides form fields ("case.<fact>").
CASE_FACTS = {
    "members": "integer",  # how many workers follow the case
    "country": "string",  # IT or FR, from the help desk
    "region": "string",
    "desk": "string",
    "supply_chains": "array",
    "days_in_stage": "integer",
    "today": "date",  # the date the condition is read on, for rules on dates
}
FORM_REQUIREMENT_ID = "form"
ASSESSMENT_REQUIREMENT_ID = "assessment"


@dataclass(frozen=True)
class ChecklistItem:
    """A thing to tick off in a stage: by whom, for each member or once, on paper or not."""

    id: str
    label: Text
    required: bool = True
    roles: tuple[str, ...] = ("operator",)
    per_member: bool = False
    help: Text | None = None
    on_paper: bool = False  # an operator may record it for a worker, with the signed scan as evidence
    kind = "checklist"


@dataclass(frozen=True)
class DocumentRule:
    """A document to upload in a stage: its accepted types, size limit and who uploads it."""

    id: str
    label: Text
    types: tuple[str, ...]
    max_bytes: int
    required: bool = True
    uploaded_by: tuple[str, ...] = ("operator", "worker")
    per_member: bool = False
    help: Text | None = None
    kind = "document"


@dataclass(frozen=True)
class FormField:
    """One field of a stage's form; `raw` keeps the file's own keys (limits, pattern) for its check."""

    id: str
    type: str
    label: Text
    required: bool = False
    help: Text | None = None
    options: tuple[tuple[str, Text], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)

    def option_label(self, value: str, lang: str) -> str:
        for option_value, label in self.options:
            if option_value == value:
                return localize(label, lang)
        return str(value)

    @property
    def value_type(self) -> str:
        """The JSON type a value of this field has (used by conditions)."""
        return {
            "integer": "integer", "number": "number", "boolean": "boolean", "choices": "array", "date": "date",
        }.get(self.type, "string")


@dataclass(frozen=True)
class Form:
    """The form of a stage: its fields, who fills it in, and the check of submitted data."""

    fields: tuple[FormField, ...]
    title: Text | None
    roles: tuple[str, ...] = ("operator",)
    required: bool = True
    id = FORM_REQUIREMENT_ID
    kind = "form"

    @property
    def label(self) -> Text | None:
        return self.title

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    @cached_property
    def validator(self) -> Any:
        """The compiled check of submitted data, built once per revision (forms never change)."""
        from jsonschema import Draft202012Validator, FormatChecker

        return Draft202012Validator(self.json_schema(), format_checker=FormatChecker())

    @cached_property
    def _quick_check(self) -> Any:
        """A compiled check that only says yes or no (several times faster than `validator`, which is asked
        for the errors when it says no); formats are checked by the same rules as `validator`'s."""
        try:
            import fastjsonschema
            from jsonschema import FormatChecker

            checker = FormatChecker()
            formats = {name: (lambda value, name=name: checker.conforms(value, name)) for name in ("date", "email")}
            return fastjsonschema.compile(self.json_schema(), formats=formats)
        except Exception:  # noqa: BLE001 - cannot be compiled here: the full validator alone answers
            return None

    def accepts(self, data: dict[str, Any]) -> bool:
        """True if `data` is valid for this form (False: ask `validator` for the errors)."""
        check = self._quick_check
        if check is None:
            return False
        try:
            check(data)
        except Exception:  # noqa: BLE001 - invalid, or too odd for the quick check
            return False
        return True

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema that submitted data must satisfy."""
        props: dict[str, Any] = {}
        for f in self.fields:
            props[f.id] = field_json_schema(f)
        return {
            "type": "object",
            "properties": props,
            "required": [f.id for f in self.fields if f.required],
            "additionalProperties": False,
        }


def field_json_schema(f: FormField) -> dict[str, Any]:
    raw = f.raw
    if f.type in ("string", "text", "email", "date"):
        schema: dict[str, Any] = {"type": "string", "maxLength": raw.get("max_length", 20000 if f.type == "text" else 500)}
        schema.update(_at_least(f, "min_length", "minLength"), **_copied(raw, pattern="pattern"))
        if f.type in ("email", "date"):
            schema["format"] = f.type
        return schema
    if f.type in ("integer", "number"):
        return {"type": f.type, **_copied(raw, minimum="minimum", maximum="maximum")}
    if f.type == "boolean":
        return {"type": "boolean"}
    values = [v for v, _ in f.options]
    if f.type == "choice":
        return {"type": "string", "enum": values}
    return {"type": "array", "items": {"enum": values}, "uniqueItems": True,
            **_at_least(f, "min_items", "minItems"), **_copied(raw, max_items="maxItems")}


def _copied(raw: Mapping[str, Any], **names: str) -> dict[str, Any]:
    """The limits the file gives, under their JSON Schema names (file key = schema key)."""
    return {schema_key: raw[key] for key, schema_key in names.items() if key in raw}


def _at_least(f: FormField, key: str, schema_key: str) -> dict[str, Any]:
    """The least length or count the file gives; a required text or list without one needs at least one."""
    if key in f.raw:
        return {schema_key: f.raw[key]}
    return {schema_key: 1} if f.required else {}


@dataclass(frozen=True)
class AssessmentRequirement:
    """Each worker of the case answers an assessment (the common methodology)."""

    assessment_id: str
    label: Text | None
    roles: tuple[str, ...] = ("worker", "operator")
    required: bool = True
    id = ASSESSMENT_REQUIREMENT_ID
    kind = "assessment"
    per_member = True


@dataclass(frozen=True)
class SignOffRule:
    """An approval a stage needs: the role that gives it, how many, and from whom it must differ."""

    id: str
    label: Text
    role: str
    count: int = 1
    required: bool = True
    distinct_from: tuple[str, ...] = ()
    lapses_on_change: bool = True  # a change of the stage's form or documents after it makes it count no more
    on_paper: bool = False  # an operator may record a decision given on paper, with the scan as evidence
    kind = "signoff"


@dataclass(frozen=True)
class Exit:
    """A way out of a stage: to another stage, another pathway or an outcome, when its rules allow."""

    id: str
    label: Text
    to: str | None = None
    pathway: str | None = None
    outcome: str | None = None
    carry: tuple[str, ...] = ()
    at: str | None = None
    when: Mapping[str, Any] | None = None
    requires: str | tuple[str, ...] = "all"

    @property
    def target_state(self) -> str:
        """The name of the state machine state this exit leads to."""
        if self.to:
            return self.to
        if self.pathway:
            return "pathway:" + self.pathway
        return "outcome:" + str(self.outcome)


Requirement = ChecklistItem | DocumentRule | Form | AssessmentRequirement | SignOffRule


@dataclass(frozen=True)
class Stage:
    """One stage of a pathway: its requirements (checklist, documents, form, sign-offs) and its exits."""

    id: str
    title: Text
    guidance: Text | None
    due_days: int | None
    checklist: tuple[ChecklistItem, ...]
    documents: tuple[DocumentRule, ...]
    form: Form | None
    signoffs: tuple[SignOffRule, ...]
    exits: tuple[Exit, ...]
    assessment: AssessmentRequirement | None = None
    distinct_signoffs: tuple[str, ...] = ()  # no person gives two of these sign-offs

    def distinct_partners(self, signoff_id: str) -> tuple[str, ...]:
        """The other sign-offs of the stage whose signers may not give `signoff_id`: four-eyes works both
        ways, whichever of the two is given first (worked out once per sign-off: a stage never changes)."""
        known = self._partners  # type: ignore[attr-defined]
        found = known.get(signoff_id)
        if found is None:
            found = known[signoff_id] = self._distinct_partners(signoff_id)
        return found

    def _distinct_partners(self, signoff_id: str) -> tuple[str, ...]:
        partners: list[str] = []
        rule = self.requirement(signoff_id)
        own = [o.split(":", 1)[1] for o in getattr(rule, "distinct_from", ()) if o.startswith("signoff:")]
        for other in self.signoffs:
            if other.id == signoff_id:
                continue
            if (other.id in own or "signoff:" + signoff_id in other.distinct_from
                    or (signoff_id in self.distinct_signoffs and other.id in self.distinct_signoffs)):
                partners.append(other.id)
        return tuple(partners)

    def __post_init__(self) -> None:
        # A stage never changes: its requirements and exits are listed and indexed once, for the lookups
        # every operation makes (the first of an id wins, as a search in order would find it).
        form = (self.form,) if self.form else ()
        assessment = (self.assessment,) if self.assessment else ()
        requirements = (*self.checklist, *self.documents, *form, *assessment, *self.signoffs)
        by_id: dict[str, Requirement] = {}
        for r in requirements:
            by_id.setdefault(r.id, r)
        exits: dict[str, Exit] = {}
        for e in self.exits:
            exits.setdefault(e.id, e)
        object.__setattr__(self, "_requirements", requirements)
        object.__setattr__(self, "_requirement_index", by_id)
        object.__setattr__(self, "_exit_index", exits)
        object.__setattr__(self, "_partners", {})

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """The checklist, documents, form, assessment and sign-offs, in that order."""
        return self._requirements  # type: ignore[attr-defined]

    def requirement(self, requirement_id: str) -> Requirement | None:
        try:
            return self._requirement_index.get(requirement_id)  # type: ignore[attr-defined]
        except TypeError:  # not an id at all (a list from a request...): no such requirement
            return None

    def exit(self, exit_id: str) -> Exit | None:
        try:
            return self._exit_index.get(exit_id)  # type: ignore[attr-defined]
        except TypeError:
            return None


@dataclass(frozen=True)
class Pathway:
    """A pathway revision as the engine runs it, built from its resolved and validated document."""

    id: str
    version: str
    title: Text
    description: Text | None
    roles: Mapping[str, Text]
    outcomes: Mapping[str, Text | None]
    group_min: int
    group_max: int | None
    supply_chains: tuple[str, ...]
    start: str
    stages: tuple[Stage, ...]
    document: Mapping[str, Any] = field(repr=False, compare=False)
    # Declared roles held by an account (like a mentor) rather than by a party of each case.
    account_roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Private and never changed: a plain dict (every operation asks it for its stage several times).
        object.__setattr__(self, "_index", {s.id: s for s in self.stages})

    def stage(self, stage_id: str) -> Stage | None:
        return self._index.get(stage_id)  # type: ignore[attr-defined]

    @cached_property
    def content_hash(self) -> str:
        """What tells this revision from another: the hash of its resolved document, computed when first
        asked (checking files never asks)."""
        return document_hash(self.document)

    def group_refusal(self, members: int) -> tuple[str, dict[str, int]] | None:
        """Why this pathway would not take a case of `members` workers (a code and its parameters), or None."""
        if members < self.group_min:
            return "group_too_small", {"min": self.group_min}
        if self.group_max is not None and members > self.group_max:
            return "group_too_large", {"max": self.group_max}
        return None

    @cached_property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    @property
    def all_roles(self) -> tuple[str, ...]:
        return BUILTIN_ROLES + tuple(self.roles)

    @property
    def party_roles(self) -> tuple[str, ...]:
        """The declared roles held per case, by a party added to it (a bank, a notary)."""
        return tuple(r for r in self.roles if r not in self.account_roles)

    def stage_number(self, stage_id: str) -> int:
        return self.stage_ids.index(stage_id) + 1 if stage_id in self.stage_ids else 0

    def field(self, ref: str) -> FormField | None:
        """A form field named as 'stage.field'."""
        stage_id, _, field_id = ref.partition(".")
        stage = self.stage(stage_id)
        if stage is None or stage.form is None:
            return None
        return stage.form.field(field_id)


def document_hash(document: Any) -> str:
    return hashlib.sha256(dump_canonical(document).encode("utf-8")).hexdigest()


def _tuple(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(value) if value else default


def build_pathway(doc: Mapping[str, Any]) -> Pathway:
    """Build the frozen spec from a resolved document that passed validation."""
    stages = tuple(_build_stage(s) for s in doc["stages"])
    group = doc.get("group") or {}
    outcomes: dict[str, Text | None] = {o: None for o in BUILTIN_OUTCOMES}
    outcomes.update({o["id"]: o["title"] for o in doc.get("outcomes", [])})
    return Pathway(
        id=doc["id"],
        version=str(doc["version"]),
        title=doc["title"],
        description=doc.get("description"),
        roles=MappingProxyType({r["id"]: r["title"] for r in doc.get("roles", [])}),
        outcomes=MappingProxyType(outcomes),
        group_min=group.get("min_members", 1),
        group_max=group.get("max_members", 1 if not group else None),
        supply_chains=tuple(doc.get("supply_chains", ())),
        start=doc.get("start") or stages[0].id,
        stages=stages,
        document=doc,
        account_roles=frozenset(r["id"] for r in doc.get("roles", []) if r.get("kind") == "account"),
    )


def _build_stage(s: Mapping[str, Any]) -> Stage:
    form = None
    if s.get("form"):
        f = s["form"]
        form = Form(
            fields=tuple(
                FormField(
                    id=fd["id"], type=fd["type"], label=fd["label"], required=fd.get("required", False),
                    help=fd.get("help"),
                    options=tuple((o["value"], o["label"]) for o in fd.get("options", [])),
                    raw=MappingProxyType(dict(fd)),
                )
                for fd in f["fields"]
            ),
            title=f.get("title") or s["title"],
            roles=_tuple(f.get("roles"), ("operator",)),
            required=f.get("required", True),
        )
    return Stage(
        id=s["id"],
        title=s["title"],
        guidance=s.get("guidance"),
        due_days=s.get("due_days"),
        checklist=tuple(
            ChecklistItem(
                id=c["id"], label=c["label"], required=c.get("required", True),
                roles=_tuple(c.get("roles"), ("operator",)), per_member=c.get("per_member", False),
                help=c.get("help"), on_paper=c.get("on_paper", False),
            )
            for c in s.get("checklist", [])
        ),
        documents=tuple(
            DocumentRule(
                id=d["id"], label=d["label"], types=tuple(d["types"]),
                max_bytes=int(float(d.get("max_mb", 10)) * 1024 * 1024), required=d.get("required", True),
                uploaded_by=_tuple(d.get("uploaded_by"), ("operator", "worker")),
                per_member=d.get("per_member", False), help=d.get("help"),
            )
            for d in s.get("documents", [])
        ),
        form=form,
        signoffs=tuple(
            SignOffRule(
                id=g["id"], label=g["label"], role=g["role"], count=g.get("count", 1),
                required=g.get("required", True), distinct_from=tuple(g.get("distinct_from", ())),
                lapses_on_change=g.get("lapses_on_change", True),
                on_paper=g.get("on_paper", False),
            )
            for g in s.get("signoffs", [])
        ),
        exits=tuple(
            Exit(
                id=e["id"], label=e["label"], to=e.get("to"), pathway=e.get("pathway"),
                outcome=e.get("outcome"), carry=tuple(e.get("carry", ())), at=e.get("at"), when=e.get("when"),
                requires=_requires(e.get("requires", "all")),
            )
            for e in s["exits"]
        ),
        assessment=AssessmentRequirement(
            assessment_id=s["assessment"]["id"], label=s["assessment"].get("label"),
            roles=_tuple(s["assessment"].get("roles"), ("worker", "operator")),
            required=s["assessment"].get("required", True),
        ) if s.get("assessment") else None,
        distinct_signoffs=tuple(s.get("distinct_signoffs", ())),
    )


def _requires(value: str | list[str]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)
