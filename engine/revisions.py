"""Differences between two revisions of a pathway: as text, and as a list of changes in domain words
("stage added", "exit condition changed", "requirement removed") that a methodology designer reads."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from .i18n import DEFAULT_LANGUAGE, localize, message
from .pathway import Exit, Pathway, Stage


@dataclass(frozen=True)
class Change:
    kind: str  # a code, e.g. stage_added; its sentence is message("change.<kind>")
    stage: str | None = None
    item: str | None = None
    before: Any = None
    after: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        params = {"stage": self.stage or "", "item": self.item or "", "before": _show(self.before, lang),
                  "after": _show(self.after, lang), **self.params}
        return message("change." + self.kind, lang, **params)


def _show(value: Any, lang: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and set(value) <= {"it", "fr", "en"}:
        return localize(value, lang)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def text_diff(old_text: str, new_text: str, old_name: str = "before", new_name: str = "after") -> list[str]:
    return list(difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), old_name, new_name, lineterm=""))


def diff_pathways(old: Pathway, new: Pathway) -> list[Change]:
    changes: list[Change] = []
    if old.version != new.version:
        changes.append(Change("version_changed", before=old.version, after=new.version))
    if dict(old.title) != dict(new.title):
        changes.append(Change("title_changed", before=dict(old.title), after=dict(new.title)))
    for role in new.roles.keys() - old.roles.keys():
        changes.append(Change("role_added", item=role))
    for role in old.roles.keys() - new.roles.keys():
        changes.append(Change("role_removed", item=role))
    if (old.group_min, old.group_max) != (new.group_min, new.group_max):
        changes.append(Change("group_changed", before=_group(old), after=_group(new)))
    if old.start != new.start:
        changes.append(Change("start_changed", before=old.start, after=new.start))
    old_ids, new_ids = old.stage_ids, new.stage_ids
    for stage_id in new_ids:
        if stage_id not in old_ids:
            changes.append(Change("stage_added", stage=stage_id, after=dict(new.stage(stage_id).title)))
    for stage_id in old_ids:
        if stage_id not in new_ids:
            changes.append(Change("stage_removed", stage=stage_id, before=dict(old.stage(stage_id).title)))
    common = [s for s in old_ids if s in new_ids]
    if [s for s in new_ids if s in common] != common:
        changes.append(Change("stages_reordered", before=common, after=[s for s in new_ids if s in common]))
    for stage_id in common:
        changes.extend(_stage_changes(old.stage(stage_id), new.stage(stage_id)))
    return changes


def _stage_changes(old: Stage, new: Stage) -> list[Change]:
    out: list[Change] = []
    sid = old.id
    if dict(old.title) != dict(new.title):
        out.append(Change("stage_title_changed", sid, before=dict(old.title), after=dict(new.title)))
    if (old.guidance and dict(old.guidance)) != (new.guidance and dict(new.guidance)):
        out.append(Change("guidance_changed", sid))
    if old.due_days != new.due_days:
        out.append(Change("due_days_changed", sid, before=old.due_days, after=new.due_days))
    old_reqs = {r.id: r for r in old.requirements}
    new_reqs = {r.id: r for r in new.requirements}
    for rid, requirement in new_reqs.items():
        if rid not in old_reqs:
            out.append(Change("requirement_added", sid, rid, params={"kind": requirement.kind}))
    for rid, requirement in old_reqs.items():
        if rid not in new_reqs:
            out.append(Change("requirement_removed", sid, rid, params={"kind": requirement.kind}))
        elif requirement != new_reqs[rid]:
            out.extend(_requirement_changes(sid, requirement, new_reqs[rid]))
    if old.distinct_signoffs != new.distinct_signoffs:
        out.append(Change("distinct_signoffs_changed", sid, before=list(old.distinct_signoffs),
                          after=list(new.distinct_signoffs)))
    old_exits = {e.id: e for e in old.exits}
    new_exits = {e.id: e for e in new.exits}
    for eid in new_exits.keys() - old_exits.keys():
        out.append(Change("exit_added", sid, eid, after=new_exits[eid].target_state))
    for eid in old_exits.keys() - new_exits.keys():
        out.append(Change("exit_removed", sid, eid, before=old_exits[eid].target_state))
    for eid in sorted(old_exits.keys() & new_exits.keys()):
        out.extend(_exit_changes(sid, old_exits[eid], new_exits[eid]))
    return out


def _requirement_changes(sid: str, old: Any, new: Any) -> list[Change]:
    if old.kind != new.kind:
        return [Change("requirement_kind_changed", sid, old.id, before=old.kind, after=new.kind)]
    if old.kind == "form":
        out = []
        old_fields = {f.id: f for f in old.fields}
        new_fields = {f.id: f for f in new.fields}
        for fid in new_fields.keys() - old_fields.keys():
            out.append(Change("field_added", sid, fid))
        for fid in old_fields.keys() - new_fields.keys():
            out.append(Change("field_removed", sid, fid))
        for fid in sorted(old_fields.keys() & new_fields.keys()):
            if dict(old_fields[fid].raw) != dict(new_fields[fid].raw):
                out.append(Change("field_changed", sid, fid))
        if old.roles != new.roles or old.required != new.required:
            out.append(Change("requirement_changed", sid, "form", params={"kind": "form"}))
        return out
    if getattr(old, "required", True) != getattr(new, "required", True):
        return [Change("requirement_optionality_changed", sid, old.id, before=old.required, after=new.required)]
    return [Change("requirement_changed", sid, old.id, params={"kind": old.kind})]


def _exit_changes(sid: str, old: Exit, new: Exit) -> list[Change]:
    out = []
    if old.target_state != new.target_state or old.at != new.at:
        out.append(Change("exit_target_changed", sid, old.id, before=old.target_state, after=new.target_state))
    if (dict(old.when) if old.when else None) != (dict(new.when) if new.when else None):
        out.append(Change("exit_condition_changed", sid, old.id, before=old.when, after=new.when))
    if old.requires != new.requires:
        out.append(Change("exit_requires_changed", sid, old.id, before=old.requires, after=new.requires))
    if dict(old.label) != dict(new.label):
        out.append(Change("exit_label_changed", sid, old.id, before=dict(old.label), after=dict(new.label)))
    if old.carry != new.carry:
        out.append(Change("exit_carry_changed", sid, old.id, before=list(old.carry), after=list(new.carry)))
    return out


def _group(pathway: Pathway) -> str:
    return f"{pathway.group_min}–{pathway.group_max if pathway.group_max is not None else '∞'}"
