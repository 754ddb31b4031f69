"""Property tests: whatever bytes, text or document a designer (or an attacker) hands in, the reader and the
checker answer with located problems, never with an exception; and what they call valid is coherent."""
from __future__ import annotations

import copy
import json
import re
import string
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from engine.i18n import LANGUAGES, MESSAGES
from engine.library import load_fragments
from engine.loader import LoadError, Problem, dump_yaml, parse_bytes, parse_text, read_file
from engine.machine import build_machine
from engine.validation import CheckedPathway, Fragment, check_source, schema_problems

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "pathways"
FIXTURES = ROOT / "tests" / "fixtures" / "pathways"
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _load(directory: Path) -> tuple[dict[str, Any], dict[str, Fragment]]:
    fragments, _ = load_fragments(directory)
    documents = {path.stem: read_file(path).data for path in sorted(directory.glob("*.yaml"))}
    return documents, fragments


SHIPPED_DOCS, SHIPPED_FRAGMENTS = _load(SHIPPED)
FIXTURE_DOCS, FIXTURE_FRAGMENTS = _load(FIXTURES)
# The shipped pathways, parsed once: check_source does not change the document it is given.
SHIPPED_SOURCES = {name: read_file(SHIPPED / f"{name}.yaml") for name in SHIPPED_DOCS}
BASES = [(name, doc, SHIPPED_FRAGMENTS, set(SHIPPED_DOCS)) for name, doc in SHIPPED_DOCS.items()] + [
    (name, doc, FIXTURE_FRAGMENTS, set(FIXTURE_DOCS)) for name, doc in FIXTURE_DOCS.items()]


# --- what every answer must look like ---------------------------------------------------------------


def assert_well_formed(problem: Problem) -> None:
    assert isinstance(problem, Problem)
    assert isinstance(problem.line, int) and problem.line >= 1
    assert isinstance(problem.column, int) and problem.column >= 1
    assert problem.severity in ("error", "warning")
    template = MESSAGES.get("problem." + problem.code)
    assert template is not None, f"no message for {problem.code}"
    for lang in LANGUAGES:
        # Every placeholder of the message is filled: codes and parameters agree with the catalogue.
        assert set(re.findall(r"\{(\w+)\}", template[lang])) <= set(problem.params), (problem.code, lang)
        assert problem.format(lang).startswith(f"{problem.file}:{problem.line}:{problem.column}: ")


def assert_coherent(checked: CheckedPathway) -> None:
    assert isinstance(checked, CheckedPathway)
    for problem in checked.problems:
        assert_well_formed(problem)
    if checked.valid:
        pathway = checked.pathway
        assert pathway is not None
        stage_ids = set(pathway.stage_ids)
        assert len(stage_ids) == len(pathway.stages)
        assert pathway.start in stage_ids
        for stage in pathway.stages:
            assert stage.exits
            for exit_ in stage.exits:
                assert [exit_.to, exit_.pathway, exit_.outcome].count(None) == 2
                if exit_.to is not None:
                    assert exit_.to in stage_ids, (stage.id, exit_.id, exit_.to)
                if exit_.outcome is not None:
                    assert exit_.outcome in pathway.outcomes
        build_machine(pathway)  # the machine of a valid pathway always builds
    else:
        assert checked.pathway is None


def check_text(text: str, fragments: dict[str, Fragment], known: set[str] | None, name: str = "p.yaml") -> None:
    try:
        doc = parse_text(text, name)
    except LoadError as refused:
        assert_well_formed(refused.problem)
        return
    assert_coherent(check_source(doc, fragments, known))


# --- 1. bytes and text ------------------------------------------------------------------------------


YAML_TOKENS = [
    "[", "]", "{", "}", ": ", ":", "- ", "-", ", ", " ", "  ", "\n", "\n  ", "\t", "&a ", "*a", "&b ", "*b",
    "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!python/object:os.system ", "!x ", "!!set ",
    "<<: ", "---\n", "...\n", "'", '"', "\\", "# c\n", "? ", "|\n", ">-\n", "%YAML 1.1\n", "%TAG !e! tag:x,2000:\n",
    "id", "stages", "exits", "to", "a", "1", "0x1F", "1:30", "0o7", "-1", "1.5", "1e3", ".nan", "-.inf", "~",
    "null", "true", "No", "yes", "2024-01-02", "é", "\u2028", "\x85", "\ufeff", "\x07", "\r", "\r\n", "9" * 30,
    "\ud800", "\U0001f600",
]


@settings(max_examples=300, **SETTINGS)
@given(st.binary(max_size=2_000))
def test_random_bytes_are_either_read_or_refused_with_a_located_problem(raw):
    try:
        parse_bytes(raw, "junk.yaml")
    except LoadError as refused:
        assert_well_formed(refused.problem)


@settings(max_examples=300, **SETTINGS)
@given(st.text(st.characters(exclude_categories=()), max_size=1_000))  # lone surrogates included
def test_random_text_is_either_read_or_refused_with_a_located_problem(text):
    try:
        parse_text(text, "junk.yaml")
    except LoadError as refused:
        assert_well_formed(refused.problem)


@settings(max_examples=500, **SETTINGS)
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join))
def test_random_yaml_syntax_is_either_read_or_refused_with_a_located_problem(text):
    try:
        doc = parse_text(text, "junk.yaml")
    except LoadError as refused:
        assert_well_formed(refused.problem)
        return
    json.dumps(doc.data, allow_nan=False)  # what is read is plain JSON data


# --- 2. documents -----------------------------------------------------------------------------------


KEYS = ["id", "version", "title", "description", "stages", "exits", "to", "outcome", "pathway", "at", "carry",
        "when", "field", "eq", "ne", "gt", "in", "contains", "exists", "all", "any", "not", "include", "next",
        "form", "fields", "type", "options", "value", "label", "it", "fr", "en", "roles", "role", "signoffs",
        "checklist", "documents", "types", "requires", "start", "group", "min_members", "outcomes", "count",
        "distinct_from", "pattern", "minimum", "due_days"]
IDS = ["start", "study", "welcome", "intake", "deed", "form", "case", "mentor", "notary", "withdrawn",
       "study.viable", "case.members", "$next", "idea_motivation"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(IDS + KEYS),
    st.text(alphabet=string.ascii_lowercase + "_.$ é", max_size=12),
)
json_documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=200, **SETTINGS)
@given(json_documents, st.booleans())
def test_random_json_like_documents_never_make_the_checker_raise(document, as_yaml):
    text = yaml.safe_dump(document, allow_unicode=True) if as_yaml else json.dumps(document, ensure_ascii=False)
    check_text(text, SHIPPED_FRAGMENTS, set(SHIPPED_DOCS))


@settings(max_examples=200, **SETTINGS)
@given(st.fixed_dictionaries({
    "id": st.sampled_from(["p", "P", "mini", 3]),
    "version": scalars,
    "title": st.one_of(json_documents, st.just({"it": "T", "fr": "T", "en": "T"})),
    "stages": st.lists(st.one_of(json_documents, st.fixed_dictionaries({
        "id": st.sampled_from(IDS), "title": st.just({"it": "T", "fr": "T", "en": "T"}),
        "exits": st.lists(st.dictionaries(st.sampled_from(["id", "label", "to", "outcome", "pathway", "when",
                                                           "requires", "carry", "at"]),
                                          scalars | json_documents, max_size=5), max_size=3),
    }), st.fixed_dictionaries({"include": st.sampled_from(["intake", "business_plan", "nope", 1])})),
        max_size=4),
}))
def test_random_documents_shaped_like_pathways_never_make_the_checker_raise(document):
    check_text(json.dumps(document), SHIPPED_FRAGMENTS, set(SHIPPED_DOCS))


# --- mutations of the real pathways -----------------------------------------------------------------


def paths_of(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths_of(value, prefix + (key,)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(paths_of(value, prefix + (index,)))
    return out


def get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


def ids_of(node: Any) -> list[str]:
    return sorted({get(node, p) for p in paths_of(node) if p and p[-1] == "id" and isinstance(get(node, p), str)})


MUTATIONS = ["delete", "retype", "rename_id", "duplicate_stage", "drop_stage", "junk", "swap_reference"]


def mutate(document: dict, data: st.DataObject) -> dict:
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(MUTATIONS), label="kind")
        paths = [p for p in paths_of(document) if p]
        stages = document.get("stages") if isinstance(document.get("stages"), list) else None
        if kind in ("delete", "retype") and paths:
            path = data.draw(st.sampled_from(paths), label="path")
            parent = get(document, path[:-1])
            if kind == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(json_documents, label="value")
        elif kind == "rename_id":
            id_paths = [p for p in paths if p[-1] == "id"]
            if id_paths:
                path = data.draw(st.sampled_from(id_paths), label="id path")
                choices = ids_of(document) + IDS
                get(document, path[:-1])["id"] = data.draw(
                    st.sampled_from(choices) | st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), label="id")
        elif kind == "duplicate_stage" and stages:
            index = data.draw(st.integers(0, len(stages) - 1), label="stage")
            stages.insert(data.draw(st.integers(0, len(stages)), label="at"), copy.deepcopy(stages[index]))
        elif kind == "drop_stage" and stages:
            del stages[data.draw(st.integers(0, len(stages) - 1), label="stage")]
        elif kind == "junk":
            containers = [p for p in [()] + paths if isinstance(get(document, p), (dict, list))]
            target = get(document, data.draw(st.sampled_from(containers), label="container"))
            junk = data.draw(json_documents, label="junk")
            if isinstance(target, dict):
                target[data.draw(st.sampled_from(KEYS) | st.text(max_size=5), label="key")] = junk
            else:
                target.insert(data.draw(st.integers(0, len(target)), label="at"), junk)
        elif kind == "swap_reference":
            # Point a reference (to, outcome, pathway, at, field, role, include) at another known name.
            refs = [p for p in paths if p[-1] in ("to", "outcome", "pathway", "at", "field", "role", "include", "next")]
            if refs:
                path = data.draw(st.sampled_from(refs), label="ref")
                get(document, path[:-1])[path[-1]] = data.draw(st.sampled_from(ids_of(document) + IDS), label="name")
    return document


@settings(max_examples=50, **SETTINGS)
@given(st.sampled_from(BASES), st.data())
def test_mutations_of_the_real_pathways_never_make_the_checker_raise(base, data):
    name, document, fragments, known = base
    mutated = mutate(document, data)
    as_yaml = data.draw(st.booleans(), label="as yaml")
    text = (yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False) if as_yaml
            else json.dumps(mutated, ensure_ascii=False, indent=1))
    check_text(text, fragments, known, f"{name}.yaml")


@settings(max_examples=50, **SETTINGS)
@given(st.sampled_from(sorted(SHIPPED_FRAGMENTS)), st.data())
def test_mutations_of_a_shared_fragment_never_make_the_including_pathways_raise(fragment_id, data):
    original = SHIPPED_FRAGMENTS[fragment_id]
    mutated = mutate(original.doc.data, data)
    text = yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False)
    try:
        doc = parse_text(text, f"shared/{fragment_id}.yaml")
    except LoadError as refused:
        assert_well_formed(refused.problem)
        return
    problems = schema_problems(doc, "fragment.schema.json")
    for problem in problems:
        assert_well_formed(problem)
    fragments = {**SHIPPED_FRAGMENTS, fragment_id: Fragment(fragment_id, doc, problems)}
    including = [n for n, d in SHIPPED_DOCS.items() if any(
        isinstance(s, dict) and s.get("include") == fragment_id for s in d["stages"])]
    assume(including)
    pathway_id = data.draw(st.sampled_from(including), label="pathway")
    assert_coherent(check_source(SHIPPED_SOURCES[pathway_id], fragments, set(SHIPPED_DOCS)))


def test_the_unmutated_bases_are_valid():
    for name, document, fragments, known in BASES:
        checked = check_source(parse_text(json.dumps(document), f"{name}.json"), fragments, known)
        assert checked.valid, [p.format() for p in checked.errors]
        assert_coherent(checked)


# --- 3. what is read is what was written -------------------------------------------------------------


def _plain_float(value: float) -> bool:
    # YAML 1.1 (PyYAML's resolver) reads '1e-05' as text: exponents without a dot are left out here.
    return "e" not in repr(value) and "E" not in repr(value)


round_trip_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False).filter(_plain_float),
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")) | st.sampled_from("\t\n"), max_size=12),
    st.sampled_from(["yes", "No", "on", "off", "y", "2024-01-02", "1:30", "0o17", "017", "<<", "~", "null", ".nan",
                     "-", "? x", "a: b", "# c", "&a", "*a", "!!str", "'", '"', "\\", " lead", "trail ", "\t"]),
)
round_trip_documents = st.recursive(
    round_trip_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), max_size=8), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, **SETTINGS)
@given(round_trip_documents, round_trip_documents, st.sampled_from(["json", "yaml", "yaml-flow"]))
@example(document=None, shared=["0E0", "1e5", "yes"], style="yaml")  # texts that read as numbers or booleans
def test_a_document_written_as_json_or_yaml_is_read_back_unchanged_with_aliases_expanded(document, shared, style):
    # 'shared' appears twice: YAML output gives it an anchor and an alias, which must read back as a copy.
    whole = {"document": document, "shared": shared, "again": [shared, document]}
    if style == "json":
        text = json.dumps(whole, ensure_ascii=False, indent=1)
    else:
        text = dump_yaml(whole, default_flow_style=(style == "yaml-flow"))
    try:
        doc = parse_text(text, "p.yaml")
    except LoadError as refused:  # only the limits may refuse a well-formed document
        assert refused.problem.code in ("too_deep", "too_many_nodes"), refused.problem.format()
        return
    assert doc.data == whole
    assert json.dumps(doc.data, sort_keys=True) == json.dumps(whole, sort_keys=True)  # no bool/int mix-ups
    for path in doc.locations:
        assert doc.where(path)[1] >= 1
