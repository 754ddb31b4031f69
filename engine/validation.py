"""Checking pathway files: JSON Schema first, then the semantic rules a schema cannot express.

Every finding is a `Problem` located at FILE:LINE:COL with the path inside the document. Shared fragments
(`pathways/shared/<id>.yaml`) are resolved here: their stages are placed where a pathway includes them,
and problems inside them point at the fragment file.
"""
from __future__ import annotations

import copy
import hashlib
import json
import marshal
import os
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from . import conditions
from .i18n import LANGUAGES
from .loader import CheckedFile, DocPath, LoadError, Problem, SourceDocument, read_file
from .pathway import (
    BUILTIN_OUTCOMES, BUILTIN_ROLES, CASE_FACTS, FORM_REQUIREMENT_ID, Pathway, build_pathway,
)

if TYPE_CHECKING:  # jsonschema is imported when a document needs its errors explained (valid ones do not)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
NEXT = "$next"


@lru_cache(maxsize=None)
def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _canonical(value: Any) -> Any:
    """A hashable form of a JSON value under JSON Schema equality (1 == 1.0, true != 1, keys unordered)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return type(value).__name__, value
    if isinstance(value, (int, float)):
        return "number", value
    if isinstance(value, list):
        return "array", tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return "object", frozenset((k, _canonical(v)) for k, v in value.items())
    return "other", repr(value)


def _unique_items(validator: Any, unique: bool, instance: Any, schema: Mapping[str, Any]) -> Iterable[ValidationError]:
    # jsonschema compares unsortable lists (mixed types, objects) pair by pair: a hostile list of 100,000
    # items under 'uniqueItems' took hours. Hashing a canonical form keeps it linear.
    if unique and validator.is_type(instance, "array"):
        keys = [_canonical(item) for item in instance]
        if len(set(keys)) != len(keys):
            from jsonschema.exceptions import ValidationError

            yield ValidationError("has non-unique elements")


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend
    from referencing import Registry, Resource

    checker = extend(Draft202012Validator, {"uniqueItems": _unique_items})
    registry: Registry = Registry()
    for schema_file in SCHEMA_DIR.glob("*.schema.json"):
        schema = _schema(schema_file.name)
        resource = Resource.from_contents(schema)
        registry = registry.with_resource(schema["$id"], resource).with_resource(schema_file.name, resource)
    return checker(_schema(name), registry=registry)


@lru_cache(maxsize=None)
def fast_validator(name: str) -> Callable[[Any], Any] | None:
    """A compiled check that only answers valid or not, about a hundred times faster than the
    error-reporting validator; compiled once per process. None if it cannot be built here."""
    try:
        import fastjsonschema

        try:
            return _cached_check(name, lambda: fastjsonschema.compile_to_code(_schema(name), handlers=_handlers()),
                                 fastjsonschema.VERSION)
        except OSError:  # no cache here: compiled in memory (a few hundred ms)
            return fastjsonschema.compile(_schema(name), handlers=_handlers())
    except Exception:  # noqa: BLE001 - any trouble: the full validator alone still gives the answer
        return None


def _handlers() -> dict[str, Callable[[str], Any]]:
    """How a compiled check finds the schemas it refers to: by their $id, among our own schema files."""
    schemas = {_schema(p.name)["$id"]: _schema(p.name) for p in SCHEMA_DIR.glob("*.schema.json")}
    return {"https": schemas.__getitem__}


@lru_cache(maxsize=None)
def _schema_files_digest() -> bytes:
    """The digest of the schema files' bytes (not of the parsed schemas, which compiling annotates)."""
    digest = hashlib.sha256()
    for schema_file in sorted(SCHEMA_DIR.glob("*.schema.json")):
        digest.update(schema_file.read_bytes())
    return digest.digest()


def cache_dir() -> Path:
    """Where compiled checks are kept between processes: OPERA_CACHE_DIR, else the user's cache folder."""
    configured = os.environ.get("OPERA_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "opera-pathways"


def _cached_check(name: str, generate: Callable[[], str], version: str) -> Callable[[Any], Any]:
    """The compiled check of a schema, kept as bytecode in the cache folder under the digest of the schema
    files it was made from: generating and compiling it would cost a command most of its start. Only files
    of this user that nobody else may write are trusted (raises OSError otherwise)."""
    digest = hashlib.sha256(f"{version} {name} {sys.implementation.cache_tag}".encode())
    digest.update(_schema_files_digest())
    directory = cache_dir()
    path = directory / f"check-{name.split('.')[0]}-{digest.hexdigest()[:24]}.bin"
    if path.exists():
        for owned in (directory, path):
            status = owned.stat()
            if status.st_uid != os.getuid() or status.st_mode & 0o022:
                raise OSError(f"{owned} may be written by others")
        code = marshal.loads(path.read_bytes())
    else:
        import tempfile  # only the first run on a machine writes the cache

        code = compile(generate(), f"<check of {name}>", "exec")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".check-", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(marshal.dumps(code))
        os.replace(temporary, path)  # whole or not at all, even with several processes at once
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the code fastjsonschema generated from our own schema files
    return namespace[_main_function(code)]


def _main_function(code: Any) -> str:
    """The first function the generated module defines: the check of the schema itself."""
    return next(const.co_name for const in code.co_consts if hasattr(const, "co_name"))


def schema_problems(doc: SourceDocument, schema_name: str) -> list[Problem]:
    """Schema errors in words a designer can act on, one per place."""
    if not isinstance(doc.data, dict):
        return [doc.problem("not_a_mapping")]
    fast = fast_validator(schema_name)
    if fast is not None:
        try:
            fast(doc.data)
            return []  # valid: the slow validator has nothing to say
        except Exception:  # noqa: BLE001 - invalid (or too odd for the fast check): ask the full validator
            pass
    problems: list[Problem] = []
    seen: set[tuple[DocPath, str]] = set()
    for error in sorted(validator(schema_name).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        for leaf in _leaves(error):
            problem = _schema_problem(doc, leaf)
            key = (problem.path, problem.code)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    return problems


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf, report the errors of the alternative that came closest, not the umbrella."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        by_alternative: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            by_alternative.setdefault(sub.schema_path[0], []).append(sub)
        # Closest = the alternative whose errors lie deepest (it matched the most of the structure),
        # then the one with the fewest errors.
        best = min(by_alternative.values(), key=lambda errs: (-max(len(e.absolute_path) for e in errs), len(errs)))
        # An 'include' that is only wrong because the object is a stage: prefer the stage errors.
        out: list[ValidationError] = []
        for sub in best:
            out.extend(_leaves(sub))
        return out
    return [error]


def _schema_problem(doc: SourceDocument, error: ValidationError) -> Problem:
    path = tuple(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = next((m for m in error.validator_value if m not in (error.instance or {})), "?")
        return doc.problem("missing_key", path, key=missing)
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = extra[0] if extra else "?"
        close = _close_matches(key, allowed)
        if close:
            return doc.problem("unknown_key_suggest", path + (key,), key=key, suggestion=close[0])
        return doc.problem("unknown_key", path + (key,), key=key, allowed=", ".join(allowed))
    if v == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return doc.problem("wrong_type", path, expected=expected, found=_json_type(error.instance))
    if v == "enum":
        return doc.problem("not_in_enum", path, value=_short(error.instance),
                           allowed=", ".join(map(str, error.validator_value)))
    if v == "pattern":
        desc = error.schema.get("description") or ""
        return doc.problem("bad_pattern", path, value=_short(error.instance), hint=desc)
    if v in ("minItems", "minProperties"):
        return doc.problem("too_few", path, limit=error.validator_value)
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "minLength", "maxLength", "maxItems"):
        return doc.problem("out_of_range", path, value=_short(error.instance), rule=f"{v} {error.validator_value}")
    if v == "uniqueItems":
        return doc.problem("not_unique", path)
    return doc.problem("schema", path, reason=error.message)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


# --- fragments ---------------------------------------------------------------------------------------


@dataclass
class Fragment:
    """A shared-stages file (pathways/shared/<id>.yaml), read and checked once for every pathway."""

    id: str
    doc: SourceDocument
    problems: list[Problem]

    @property
    def stages(self) -> list[Any]:
        return self.doc.data.get("stages", []) if isinstance(self.doc.data, dict) else []


def load_fragment(path: Path, display_name: str | None = None) -> Fragment:
    try:
        doc = read_file(path, display_name)
    except LoadError as exc:
        return Fragment(path.stem, SourceDocument(exc.problem.file, "", None, {}), [exc.problem])
    problems = schema_problems(doc, "fragment.schema.json")
    fragment_id = doc.data.get("fragment") if isinstance(doc.data, dict) else None
    if isinstance(fragment_id, str) and fragment_id != path.stem and not problems:
        problems.append(doc.problem("fragment_name", ("fragment",), id=fragment_id, file=path.name))
    return Fragment(fragment_id if isinstance(fragment_id, str) else path.stem, doc, problems)


# --- the located, resolved document ------------------------------------------------------------------


@dataclass
class ResolvedDocument:
    """A pathway document with fragments inlined; knows where each stage came from, and where the parts a
    pathway adapted in an included stage (`adapt:`) are written."""

    source: SourceDocument
    data: dict[str, Any]
    origins: list[tuple[SourceDocument, DocPath]] = field(default_factory=list)
    adapted: dict[DocPath, DocPath] = field(default_factory=dict)  # resolved path -> path in the pathway file

    def problem(self, code: str, path: DocPath = (), severity: str = "error", **params: Any) -> Problem:
        """A problem at a path of the resolved document, reported where it is written: the file (the
        pathway's or a shared one), its line, and the path inside *that* file — `stages[N]` counts the
        stages of the file named, never the stages after includes are expanded."""
        path = tuple(path)
        for length in range(len(path), 2, -1):
            written = self.adapted.get(path[:length])
            if written is not None:
                return self.source.problem(code, written + path[length:], severity, **params)
        if len(path) >= 2 and path[0] == "stages" and isinstance(path[1], int) and path[1] < len(self.origins):
            origin_doc, prefix = self.origins[path[1]]
            return origin_doc.problem(code, prefix + path[2:], severity, **params)
        return self.source.problem(code, path, severity, **params)


def resolve_includes(doc: SourceDocument, fragments: Mapping[str, Fragment]) -> tuple[ResolvedDocument, list[Problem]]:
    # A new top mapping and list of stages; the pathway's own stages are shared with the source, since
    # nothing changes them. Included stages are copied where '$next' and `adapt:` change them.
    data = dict(doc.data)
    raw_stages = data.get("stages", [])
    problems: list[Problem] = []
    stages: list[Any] = []
    origins: list[tuple[SourceDocument, DocPath]] = []
    adapted: dict[DocPath, DocPath] = {}
    for index, entry in enumerate(raw_stages):
        if isinstance(entry, dict) and "include" in entry:
            fragment = fragments.get(entry["include"])
            if fragment is None:
                problems.append(doc.problem("unknown_fragment", ("stages", index, "include"),
                                            fragment=entry["include"], known=", ".join(sorted(fragments)) or "-"))
                continue
            if fragment.problems:
                problems.append(doc.problem("broken_fragment", ("stages", index, "include"), fragment=fragment.id))
                continue
            following = raw_stages[index + 1] if index + 1 < len(raw_stages) else None
            next_id = entry.get("next") or _first_stage_id(following, fragments)
            next_missing = False
            adaptations = entry.get("adapt") or {}
            fragment_ids = [s.get("id") for s in fragment.stages]
            for stage_id in adaptations:
                if stage_id not in fragment_ids:
                    problems.append(doc.problem("adapt_unknown_stage", ("stages", index, "adapt", stage_id),
                                                stage=stage_id, fragment=fragment.id,
                                                known=", ".join(map(str, fragment_ids))))
            for f_index, stage in enumerate(fragment.stages):
                stage = _own_copy(stage)
                for e_index, exit_ in enumerate(stage.get("exits", [])):
                    if exit_.get("to") == NEXT:
                        if next_id is None:
                            next_missing = True
                        else:
                            exit_["to"] = next_id
                _adapt(stage, adaptations.get(stage.get("id")), len(stages), ("stages", index, "adapt",
                                                                              stage.get("id")), adapted, next_id)
                stages.append(stage)
                origins.append((fragment.doc, ("stages", f_index)))
            # Once per include, not once per '$next' exit; and not when an unknown or broken include
            # follows (that one reports its own problem: something does follow).
            if next_missing and not (isinstance(following, dict) and "include" in following):
                problems.append(doc.problem("fragment_next_missing", ("stages", index), fragment=fragment.id))
        else:
            stages.append(entry)
            origins.append((doc, ("stages", index)))
    data["stages"] = stages
    return ResolvedDocument(doc, data, origins, adapted), problems


def _own_copy(stage: dict[str, Any]) -> dict[str, Any]:
    """A shared stage for one include: a new mapping with new exits, the only parts that '$next' and
    `adapt:` change; the rest (texts, requirements, conditions) stays shared, since nothing changes it."""
    stage = dict(stage)
    if isinstance(stage.get("exits"), list):
        stage["exits"] = [dict(exit_) if isinstance(exit_, dict) else exit_ for exit_ in stage["exits"]]
    return stage


def _adapt(stage: dict[str, Any], adaptation: Mapping[str, Any] | None, position: int, written: DocPath,
           adapted: dict[DocPath, DocPath], next_id: str | None) -> None:
    """Apply a pathway's changes to one included stage, remembering where each change is written."""
    if not adaptation:
        return
    for key in ("guidance", "due_days"):
        if key in adaptation:
            stage[key] = copy.deepcopy(adaptation[key])
            adapted[("stages", position, key)] = written + (key,)
    exits = stage.setdefault("exits", [])
    for k, exit_ in enumerate(adaptation.get("exits", [])):
        adapted[("stages", position, "exits", len(exits))] = written + ("exits", k)
        exit_ = copy.deepcopy(exit_)
        if exit_.get("to") == NEXT and next_id is not None:  # an added exit may continue like the shared ones
            exit_["to"] = next_id
        exits.append(exit_)


def _first_stage_id(entry: Any, fragments: Mapping[str, Fragment]) -> str | None:
    """The id of the stage an entry of 'stages' starts with. An include followed by another include
    continues with the first stage of that other fragment (it used to be reported as 'nothing follows')."""
    if not isinstance(entry, dict):
        return None
    if "include" in entry:
        fragment = fragments.get(entry["include"])
        first = fragment.stages[0] if fragment is not None and not fragment.problems and fragment.stages else None
        return first.get("id") if isinstance(first, dict) else None
    return entry.get("id")


# --- semantic checks ---------------------------------------------------------------------------------


def semantic_problems(rd: ResolvedDocument, known_pathways: Iterable[str] | None = None) -> list[Problem]:
    d = rd.data
    out: list[Problem] = []
    stages = [s for s in d.get("stages", []) if isinstance(s, dict)]

    # Texts in all three languages (a warning: the fallback language is shown meanwhile).
    for path, text in _texts(d, ()):
        missing = [lang for lang in LANGUAGES if lang not in text]
        if missing:
            out.append(rd.problem("missing_translation", path, "warning", languages=", ".join(missing)))

    roles = set(BUILTIN_ROLES)
    for i, role in enumerate(d.get("roles", [])):
        if role["id"] in roles:
            out.append(rd.problem("duplicate_role", ("roles", i, "id"), id=role["id"]))
        roles.add(role["id"])
    outcomes = set(BUILTIN_OUTCOMES)
    for i, outcome in enumerate(d.get("outcomes", [])):
        if outcome["id"] in outcomes:
            out.append(rd.problem("duplicate_outcome", ("outcomes", i, "id"), id=outcome["id"]))
        outcomes.add(outcome["id"])
    group = d.get("group") or {}
    if group.get("max_members") is not None and group.get("min_members", 1) > group["max_members"]:
        out.append(rd.problem("group_range", ("group",)))

    stage_ids: dict[str, int] = {}
    for i, stage in enumerate(stages):
        if stage["id"] in stage_ids:
            out.append(rd.problem("duplicate_stage", ("stages", i, "id"), id=stage["id"]))
        elif stage["id"] == "case":
            out.append(rd.problem("reserved_stage_id", ("stages", i, "id"), id=stage["id"]))
        else:
            stage_ids[stage["id"]] = i
    start = d.get("start") or (stages[0]["id"] if stages else None)
    if d.get("start") and d["start"] not in stage_ids:
        out.append(rd.problem("unknown_stage", ("start",), stage=d["start"], suggestion=_suggest(d["start"], stage_ids)))

    fields = {f"{s['id']}.{f['id']}": f for s in stages for f in (s.get("form") or {}).get("fields", [])}
    for i, stage in enumerate(stages):
        out.extend(_stage_problems(rd, i, stage, roles, outcomes, stage_ids, fields, d.get("id"), known_pathways))

    # A misspelt stage id is one error: the stages it cuts off are not reported as unreachable on top of it.
    if start in stage_ids and not any(p.code == "unknown_stage" for p in out):
        out.extend(_graph_problems(rd, stages, stage_ids, start))
    return out


def target_problems(checked: "CheckedPathway", targets: Mapping[str, Pathway | None]) -> list[Problem]:
    """Rules on exits to other pathways, with the target's revision at hand: the stage `at` which the case
    continues, and the stages whose forms it `carry`-ies, must exist there."""
    out: list[Problem] = []
    pathway, resolved = checked.pathway, checked.resolved
    if pathway is None or resolved is None:
        return out
    for si, stage in enumerate(pathway.stages):
        for ei, exit_ in enumerate(stage.exits):
            target = targets.get(exit_.pathway) if exit_.pathway and exit_.pathway != pathway.id else None
            if target is None:
                continue
            path = ("stages", si, "exits", ei)
            if exit_.at and target.stage(exit_.at) is None:
                out.append(resolved.problem("unknown_target_stage", path + ("at",), stage=exit_.at,
                                            pathway=target.id, suggestion=_suggest(exit_.at, target.stage_ids)))
            for k, carried in enumerate(exit_.carry):
                there = target.stage(carried)
                if there is None or there.form is None:
                    with_forms = [s.id for s in target.stages if s.form is not None]
                    out.append(resolved.problem("carry_not_in_target", path + ("carry", k), stage=carried,
                                                pathway=target.id, suggestion=_suggest(carried, with_forms)))
    return out


def _stage_problems(rd: ResolvedDocument, i: int, stage: dict, roles: set[str], outcomes: set[str],
                    stage_ids: dict[str, int], fields: dict[str, dict], own_id: str | None,
                    known_pathways: Iterable[str] | None) -> list[Problem]:
    out: list[Problem] = []
    base: DocPath = ("stages", i)
    requirement_ids: dict[str, str] = {}

    def check_roles(path: DocPath, names: Iterable[str]) -> None:
        for j, role in enumerate(names):
            if role not in roles:
                out.append(rd.problem("unknown_role", path + (j,) if not isinstance(names, str) else path,
                                      role=role, known=", ".join(sorted(roles))))

    def claim(rid: str, path: DocPath) -> None:
        if rid in requirement_ids or rid == FORM_REQUIREMENT_ID:
            out.append(rd.problem("duplicate_requirement", path, id=rid))
        requirement_ids[rid] = path[-2] if len(path) > 1 else ""

    for j, item in enumerate(stage.get("checklist", [])):
        claim(item["id"], base + ("checklist", j, "id"))
        check_roles(base + ("checklist", j, "roles"), item.get("roles", []))
        if item.get("on_paper") and "worker" not in item.get("roles", ["operator"]):
            out.append(rd.problem("paper_without_worker", base + ("checklist", j, "on_paper")))
    for j, document in enumerate(stage.get("documents", [])):
        claim(document["id"], base + ("documents", j, "id"))
        check_roles(base + ("documents", j, "uploaded_by"), document.get("uploaded_by", []))
    form = stage.get("form")
    if form:
        requirement_ids[FORM_REQUIREMENT_ID] = "form"
        check_roles(base + ("form", "roles"), form.get("roles", []))
        seen_fields: set[str] = set()
        for j, fdef in enumerate(form["fields"]):
            fpath = base + ("form", "fields", j)
            if fdef["id"] in seen_fields:
                out.append(rd.problem("duplicate_field", fpath + ("id",), id=fdef["id"]))
            seen_fields.add(fdef["id"])
            out.extend(_field_problems(rd, fpath, fdef))
    signoff_ids = {g["id"] for g in stage.get("signoffs", [])}
    for j, signoff in enumerate(stage.get("signoffs", [])):
        spath = base + ("signoffs", j)
        claim(signoff["id"], spath + ("id",))
        if signoff["role"] not in roles:
            out.append(rd.problem("unknown_role", spath + ("role",), role=signoff["role"], known=", ".join(sorted(roles))))
        if signoff.get("on_paper") and signoff["role"] in BUILTIN_ROLES:
            out.append(rd.problem("paper_not_party", spath + ("on_paper",), role=signoff["role"]))
        for k, other in enumerate(signoff.get("distinct_from", [])):
            if other == "form_submitter" and not form:
                out.append(rd.problem("distinct_no_form", spath + ("distinct_from", k)))
            if other.startswith("signoff:"):
                ref = other.split(":", 1)[1]
                if ref not in signoff_ids or ref == signoff["id"]:
                    out.append(rd.problem("distinct_unknown_signoff", spath + ("distinct_from", k), id=ref))
    for k, ref in enumerate(stage.get("distinct_signoffs", [])):
        if ref not in signoff_ids:
            out.append(rd.problem("distinct_unknown_signoff", base + ("distinct_signoffs", k), id=ref))

    exit_ids: set[str] = set()
    for j, exit_ in enumerate(stage.get("exits", [])):
        epath = base + ("exits", j)
        if exit_["id"] in exit_ids:
            out.append(rd.problem("duplicate_exit", epath + ("id",), id=exit_["id"]))
        exit_ids.add(exit_["id"])
        targets = [k for k in ("to", "pathway", "outcome") if k in exit_]
        if len(targets) != 1:
            out.append(rd.problem("exit_target", epath, found=", ".join(targets) or "-"))
        if "to" in exit_ and exit_["to"] not in stage_ids:
            out.append(rd.problem("unknown_stage", epath + ("to",), stage=exit_["to"],
                                  suggestion=_suggest(exit_["to"], stage_ids)))
        if "outcome" in exit_ and exit_["outcome"] not in outcomes:
            out.append(rd.problem("unknown_outcome", epath + ("outcome",), outcome=exit_["outcome"],
                                  known=", ".join(sorted(outcomes))))
        if "pathway" in exit_:
            if exit_["pathway"] == own_id:
                out.append(rd.problem("exit_to_itself", epath + ("pathway",)))
            elif known_pathways is not None and exit_["pathway"] not in known_pathways:
                out.append(rd.problem("unknown_pathway", epath + ("pathway",), pathway=exit_["pathway"],
                                      known=", ".join(sorted(known_pathways)) or "-"))
        if (exit_.get("carry") or exit_.get("at")) and "pathway" not in exit_:
            out.append(rd.problem("carry_without_pathway", epath + ("carry",)))
        for k, carried in enumerate(exit_.get("carry", [])):
            if carried not in stage_ids:
                out.append(rd.problem("unknown_stage", epath + ("carry", k), stage=carried,
                                      suggestion=_suggest(carried, stage_ids)))
        requires = exit_.get("requires")
        if isinstance(requires, list):
            for k, rid in enumerate(requires):
                if rid not in requirement_ids:
                    out.append(rd.problem("unknown_requirement", epath + ("requires", k), id=rid,
                                          known=", ".join(sorted(requirement_ids)) or "-"))
        if "when" in exit_:
            out.extend(_condition_problems(rd, epath + ("when",), exit_["when"], fields))
    return out


def _field_problems(rd: ResolvedDocument, path: DocPath, fdef: dict) -> list[Problem]:
    out = []
    kind = fdef["type"]
    if kind in ("choice", "choices") and not fdef.get("options"):
        out.append(rd.problem("options_missing", path, field=fdef["id"]))
    if kind not in ("choice", "choices") and "options" in fdef:
        out.append(rd.problem("options_unexpected", path + ("options",), field=fdef["id"], type=kind))
    if kind not in ("integer", "number"):
        for key in ("minimum", "maximum"):
            if key in fdef:
                out.append(rd.problem("key_for_type", path + (key,), key=key, type=kind))
    if kind not in ("string", "text", "email", "date"):
        for key in ("min_length", "max_length", "pattern"):
            if key in fdef:
                out.append(rd.problem("key_for_type", path + (key,), key=key, type=kind))
    if kind != "choices":
        for key in ("min_items", "max_items"):
            if key in fdef:
                out.append(rd.problem("key_for_type", path + (key,), key=key, type=kind))
    if "pattern" in fdef:
        try:
            re.compile(fdef["pattern"])
        except re.error as exc:
            out.append(rd.problem("bad_regex", path + ("pattern",), reason=str(exc)))
    values = [o["value"] for o in fdef.get("options", [])]
    if len(values) != len(set(values)):
        out.append(rd.problem("duplicate_option", path + ("options",)))
    # A range no value can satisfy makes the form impossible to submit.
    for low, high in (("minimum", "maximum"), ("min_length", "max_length"), ("min_items", "max_items")):
        if low in fdef and high in fdef and fdef[low] > fdef[high]:
            out.append(rd.problem("impossible_range", path + (low,), field=fdef["id"], low=low, high=high,
                                  low_value=fdef[low], high_value=fdef[high]))
    if kind == "choices" and values and fdef.get("min_items", 0) > len(values):
        out.append(rd.problem("impossible_range", path + ("min_items",), field=fdef["id"], low="min_items",
                              high="options", low_value=fdef["min_items"], high_value=len(values)))
    return out


NUMERIC_TYPES = ("integer", "number")


def _condition_problems(rd: ResolvedDocument, path: DocPath, cond: Any, fields: dict[str, dict]) -> list[Problem]:
    shape = list(conditions.shape_problems(cond))
    if shape:
        return [rd.problem(code, path + sub, **params) for sub, code, params in shape]
    out: list[Problem] = []
    for sub, comparison in conditions.comparisons(cond):
        here = path + sub
        op = conditions.operator_of(comparison)
        ref = conditions.subject_ref(comparison)
        options: list[str] = []
        if ref:
            value_type, problems = _reference_type(rd, here + ("field",), ref, fields)
            if value_type is not None and ref in fields:
                options = [o["value"] for o in fields[ref].get("options", [])]
        else:
            value_type, problems = _expression_type(rd, here + ("value",), comparison["value"], fields)
        if problems:
            out.extend(problems)
            continue
        operand = comparison[op]
        if conditions.is_expression(operand) or op in conditions.DATE_OPERATORS:
            # Two sides to compare: a field or an expression with another field, an expression or a date.
            other_type, problems = _expression_type(rd, here + (op,), operand, fields)
            if problems:
                out.extend(problems)
                continue
            if not _comparable(op, value_type, other_type):
                out.append(rd.problem("condition_compare_types", here + (op,), op=op, left=value_type,
                                      right=other_type))
            continue
        name = ref or op
        if op in conditions.NUMERIC_OPERATORS and value_type not in NUMERIC_TYPES:
            out.append(rd.problem("condition_type", here + (op,), op=op, field=name, type=value_type))
        if op == "contains" and value_type != "array":
            out.append(rd.problem("condition_type", here + (op,), op=op, field=name, type=value_type))
        if op in ("eq", "ne"):
            if not _value_fits(operand, value_type):
                out.append(rd.problem("condition_value", here + (op,), field=name, type=value_type,
                                      value=_short(operand)))
            elif options and operand not in options:
                out.append(rd.problem("condition_option", here + (op,), field=ref, value=operand,
                                      known=", ".join(options)))
        if op == "in" and not operand:
            out.append(rd.problem("condition_empty_in", here + (op,), field=name))
        if op in ("in", "contains") and options:
            wanted = operand if op == "in" else [operand]
            for value in wanted:
                if value not in options:
                    out.append(rd.problem("condition_option", here + (op,), field=ref, value=value,
                                          known=", ".join(options)))
    return out


def _comparable(op: str, left: str | None, right: str | None) -> bool:
    if op in conditions.DATE_OPERATORS:
        return left == right == "date"
    if left in NUMERIC_TYPES and right in NUMERIC_TYPES:
        return True
    return op in ("eq", "ne") and left == right


def _reference_type(rd: ResolvedDocument, path: DocPath, ref: str,
                    fields: dict[str, dict]) -> tuple[str | None, list[Problem]]:
    """The type of a field or case fact a condition names: integer, number, boolean, string, date, array."""
    owner, _, name = ref.partition(".")
    if owner == "case":
        if name not in CASE_FACTS:
            return None, [rd.problem("unknown_fact", path, fact=name, known=", ".join(sorted(CASE_FACTS)))]
        return CASE_FACTS[name], []
    if ref not in fields:
        return None, [rd.problem("unknown_field", path, field=ref, suggestion=_suggest(ref, fields))]
    return {"integer": "integer", "number": "number", "boolean": "boolean", "choices": "array",
            "date": "date"}.get(fields[ref]["type"], "string"), []


def _expression_type(rd: ResolvedDocument, path: DocPath, expression: Any,
                     fields: dict[str, dict]) -> tuple[str | None, list[Problem]]:
    """The type of an expression (number or date), with the problems that keep it from having one."""
    if isinstance(expression, bool):
        return "boolean", []
    if isinstance(expression, (int, float)):
        return "number", []
    if isinstance(expression, str):
        return "date", []  # the schema lets only 'YYYY-MM-DD' texts in
    (function, operands), = expression.items()
    if function == "field":
        return _reference_type(rd, path + ("field",), operands, fields)
    problems: list[Problem] = []
    wanted = ("date",) if function == "days_between" else NUMERIC_TYPES
    for i, sub in enumerate(operands):
        sub_type, sub_problems = _expression_type(rd, path + (function, i), sub, fields)
        problems.extend(sub_problems)
        if not sub_problems and sub_type not in wanted:
            described = sub["field"] if isinstance(sub, dict) and "field" in sub else _short(sub)
            problems.append(rd.problem("expression_date" if function == "days_between" else "expression_type",
                                       path + (function, i), field=described, type=sub_type, function=function))
    if function == "div" and isinstance(operands[1], (int, float)) and not isinstance(operands[1], bool) \
            and operands[1] == 0:
        problems.append(rd.problem("division_by_zero", path + (function, 1)))
    return ("integer" if function == "days_between" else "number"), problems


def _value_fits(value: Any, value_type: str) -> bool:
    if value is None:
        return True
    if value_type == "boolean":
        return isinstance(value, bool)
    if value_type in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if value_type in ("string", "date"):
        return isinstance(value, str)
    return True


def _graph_problems(rd: ResolvedDocument, stages: list[dict], stage_ids: dict[str, int], start: str) -> list[Problem]:
    out = []
    edges = {s["id"]: [e["to"] for e in s.get("exits", []) if e.get("to") in stage_ids] for s in stages}
    terminal = {s["id"] for s in stages if any("outcome" in e or "pathway" in e for e in s.get("exits", []))}
    reached = _reach([start], edges)
    for stage_id, index in stage_ids.items():
        if stage_id not in reached:
            out.append(rd.problem("unreachable_stage", ("stages", index, "id"), stage=stage_id))
    reverse: dict[str, list[str]] = {sid: [] for sid in stage_ids}
    for source, targets in edges.items():
        for target in targets:
            reverse.setdefault(target, []).append(source)
    can_end = _reach(terminal, reverse)  # one search from all terminal stages: linear, not stages × edges
    for stage_id, index in stage_ids.items():
        if stage_id in reached and stage_id not in can_end:
            out.append(rd.problem("no_way_out", ("stages", index, "id"), stage=stage_id))
    return out


def _reach(starts: Iterable[str], edges: Mapping[str, list[str]]) -> set[str]:
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for nxt in edges.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _suggest(name: str, known: Iterable[str]) -> str:
    close = _close_matches(name, list(known))
    return close[0] if close else "-"


def _close_matches(name: str, known: list[str]) -> list[str]:
    """The known name closest to a misspelt one (difflib is loaded only when a file has a problem)."""
    import difflib

    return difflib.get_close_matches(name, known, n=1)


def _texts(node: Any, path: DocPath) -> Iterable[tuple[DocPath, dict]]:
    """Every localized text ({it, fr, en} mapping) under `node`, in document order, with its path; not
    inside conditions. Walked with a stack of the collections still to visit: a pathway has tens of
    thousands of values, and only the collections among them can hold a text."""
    pending = [(node, path)]
    while pending:
        node, path = pending.pop()
        if isinstance(node, dict):
            if node and node.keys() <= _LANGUAGE_SET and all(isinstance(v, str) for v in node.values()):
                yield path, node
                continue
            children = [(value, path + (key,)) for key, value in node.items()
                        if key != "when" and isinstance(value, (dict, list))]
        elif isinstance(node, list):
            children = [(value, path + (i,)) for i, value in enumerate(node) if isinstance(value, (dict, list))]
        else:
            continue
        pending.extend(reversed(children))  # the first child is visited next


_LANGUAGE_SET = frozenset(LANGUAGES)


# --- the whole check ---------------------------------------------------------------------------------


@dataclass
class CheckedPathway(CheckedFile):
    """The result of checking one pathway file: the spec if it is valid, and every problem found."""

    file: str
    source: SourceDocument | None
    problems: list[Problem]
    pathway: Pathway | None = None
    resolved: ResolvedDocument | None = None

    @property
    def pathway_id(self) -> str | None:
        if self.source is not None and isinstance(self.source.data, dict) and isinstance(self.source.data.get("id"), str):
            return self.source.data["id"]
        return None


def check_source(doc: SourceDocument, fragments: Mapping[str, Fragment],
                 known_pathways: Iterable[str] | None = None) -> CheckedPathway:
    problems = schema_problems(doc, "pathway.schema.json")
    if problems:
        return CheckedPathway(doc.file, doc, problems)
    resolved, problems = resolve_includes(doc, fragments)
    if problems:
        return CheckedPathway(doc.file, doc, problems)
    problems = semantic_problems(resolved, known_pathways)
    checked = CheckedPathway(doc.file, doc, sorted(problems, key=lambda p: (p.file, p.line, p.column)),
                             resolved=resolved)
    if checked.valid:
        checked.pathway = build_pathway(resolved.data)
    return checked


def check_file(path: Path, fragments: Mapping[str, Fragment], known_pathways: Iterable[str] | None = None,
               display_name: str | None = None) -> CheckedPathway:
    try:
        doc = read_file(path, display_name)
    except LoadError as exc:
        return CheckedPathway(display_name or str(path), None, [exc.problem])
    return check_source(doc, fragments, known_pathways)


def assessment_reference_problems(rd: ResolvedDocument, d: Mapping[str, Any],
                                  known_assessments: Iterable[str] | None) -> list[Problem]:
    """Between assessment files: `compares_to` names another assessment of the library (when it is known)."""
    target = d.get("compares_to")
    if target is None:
        return []
    if target == d.get("id"):
        return [rd.problem("compares_to_itself", ("compares_to",), assessment=target)]
    if known_assessments is not None and target not in set(known_assessments):
        others = sorted(set(known_assessments) - {d.get("id")})
        return [rd.problem("unknown_assessment", ("compares_to",), assessment=target,
                           known=", ".join(others) or "-")]
    return []
