"""The safe reader of definition files: hostile input never crashes, hangs or eats memory, and every refusal
is a located `Problem` (FILE:LINE:COL) with a clear message."""
from __future__ import annotations

import random
import time
import tracemalloc
from pathlib import Path

import pytest

from engine.loader import (
    MAX_DEPTH, MAX_FILE_BYTES, MAX_INTEGER, MAX_NODES, LoadError, Problem, SourceDocument, parse_bytes,
    parse_text, read_file,
)

HANG_GUARD_SECONDS = 5.0  # not a benchmark: only catches a parser that runs away


def refusal(source: str | bytes, name: str = "p.yaml") -> Problem:
    """Parse hostile input and return the problem it was refused with (failing if it was accepted)."""
    started = time.monotonic()
    with pytest.raises(LoadError) as refused:
        if isinstance(source, bytes):
            parse_bytes(source, name)
        else:
            parse_text(source, name)
    elapsed = time.monotonic() - started
    assert elapsed < HANG_GUARD_SECONDS, f"took {elapsed:.1f}s"
    problem = refused.value.problem
    assert isinstance(problem, Problem)
    assert problem.file == name and problem.line >= 1 and problem.column >= 1
    assert problem.severity == "error"
    assert str(refused.value) == problem.format()
    return problem


def billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    names = [chr(ord("a") + i) for i in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [" + ", ".join(["lol"] * fan_out) + "]"]
    for previous, name in zip(names, names[1:]):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


# --- alias bombs, recursion, depth ------------------------------------------------------------------


def test_a_billion_laughs_alias_bomb_is_refused_quickly_without_eating_memory():
    text = billion_laughs()
    assert len(text) < 400  # 9 ** 9 = 387 million strings once expanded
    problem = refusal(text)  # timed: the hang guard
    assert problem.code == "too_many_nodes"
    assert problem.params == {"max": MAX_NODES}
    tracemalloc.start()  # measured apart: tracing memory slows parsing down a lot
    try:
        with pytest.raises(LoadError):
            parse_text(text, "p.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024
    assert problem.line <= text.count("\n")
    assert "more than 200000 elements (aliases included)" in problem.format()


def test_a_bomb_of_mappings_is_refused_like_a_bomb_of_lists():
    lines = ["a: &a {x: 1, y: 2, z: 3, w: 4, v: 5, u: 6, t: 7, s: 8, r: 9}"]
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} {{" + ", ".join(f"k{i}: *{previous}" for i in range(9)) + "}")
    assert refusal("\n".join(lines) + "\n").code == "too_many_nodes"


def test_a_few_aliases_within_the_limit_are_read_as_copies():
    doc = parse_text("label: &l {it: Sì, fr: Oui, en: Yes}\nagain: *l\n", "p.yaml")
    assert doc.data == {"label": {"it": "Sì", "fr": "Oui", "en": "Yes"},
                        "again": {"it": "Sì", "fr": "Oui", "en": "Yes"}}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "&a {x: *a}\n", "- &a\n  - *a\n"])
def test_a_recursive_alias_is_refused_as_too_deep_instead_of_recursing_forever(text):
    problem = refusal(text)
    assert problem.code == "too_deep"
    assert problem.params == {"max": MAX_DEPTH}
    assert problem.line == text.count("\n", 0, text.index("*a")) + 1  # located at the alias


def test_ten_thousand_levels_of_flow_lists_are_refused_where_the_limit_is_crossed():
    problem = refusal("[" * 10_000 + "]" * 10_000)
    assert problem.code == "too_deep"
    assert (problem.line, problem.column) == (1, MAX_DEPTH + 1)


def test_ten_thousand_unclosed_flow_brackets_are_refused_as_too_deep_not_as_a_crash():
    problem = refusal("key: " + "[" * 10_000)
    assert problem.code == "too_deep"
    # The top-level mapping is the first level: the 64th bracket (column 5 + 64) is one too many.
    assert (problem.line, problem.column) == (1, 5 + MAX_DEPTH)


def test_ten_thousand_levels_of_flow_mappings_are_refused():
    problem = refusal("{a: " * 10_000 + "1" + "}" * 10_000)
    assert problem.code == "too_deep"
    assert (problem.line, problem.column) == (1, 4 * MAX_DEPTH + 1)


def test_ten_thousand_levels_of_block_lists_are_refused():
    problem = refusal("- " * 10_000 + "x\n")
    assert problem.code == "too_deep"
    assert (problem.line, problem.column) == (1, 2 * MAX_DEPTH + 1)


def test_deeply_indented_block_mappings_are_refused_at_the_first_line_too_deep():
    # 1,400 indented levels is as deep as block style gets under the size limit.
    text = "".join(" " * i + "k:\n" for i in range(1_400)) + " " * 1_400 + "v\n"
    problem = refusal(text)
    assert problem.code == "too_deep"
    assert (problem.line, problem.column) == (MAX_DEPTH + 1, MAX_DEPTH + 1)
    assert problem.format() == f"p.yaml:65:65: nested more than {MAX_DEPTH} levels deep"


def test_nesting_exactly_at_the_limit_is_accepted():
    doc = parse_text("[" * MAX_DEPTH + "]" * MAX_DEPTH, "p.yaml")
    depth, node = 0, doc.data
    while isinstance(node, list):
        depth += 1
        node = node[0] if node else None
    assert depth == MAX_DEPTH


# --- size -------------------------------------------------------------------------------------------


def test_bytes_over_the_size_limit_are_refused_before_parsing():
    problem = refusal(b"a: " + b"x" * MAX_FILE_BYTES)
    assert problem.code == "too_big"
    assert (problem.line, problem.column) == (1, 1)
    assert problem.params == {"size": MAX_FILE_BYTES + 3, "max": MAX_FILE_BYTES}
    assert "too big" in problem.format()


def test_a_file_of_exactly_the_size_limit_is_read():
    raw = b"#" + b"x" * (MAX_FILE_BYTES - 2) + b"\n"
    assert len(raw) == MAX_FILE_BYTES
    assert parse_bytes(raw, "p.yaml").data is None


def test_text_over_the_limit_is_measured_in_bytes_not_characters():
    text = "a: " + "é" * (MAX_FILE_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    assert len(text) < MAX_FILE_BYTES
    problem = refusal(text)
    assert problem.code == "too_big"
    assert problem.params["size"] == len(text.encode("utf-8")) > MAX_FILE_BYTES


def test_read_file_refuses_a_big_file_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.seek(50 * MAX_FILE_BYTES)  # sparse: 50 MB that cost nothing on disk
        fh.write(b"\n")
    started = time.monotonic()
    with pytest.raises(LoadError) as refused:
        read_file(path)
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    problem = refused.value.problem
    assert problem.code == "too_big" and problem.file == str(path)
    assert problem.params["size"] == 50 * MAX_FILE_BYTES + 1


def test_read_file_uses_the_display_name_in_problems(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"id: x\nid: y\n")
    with pytest.raises(LoadError) as refused:
        read_file(path, "pathways/bad.yaml")
    assert refused.value.problem.format() == "pathways/bad.yaml:2:1: the key 'id' appears twice"


def test_a_missing_file_or_a_directory_is_unreadable_not_a_crash(tmp_path):
    for path in (tmp_path / "absent.yaml", tmp_path):
        with pytest.raises(LoadError) as refused:
            read_file(path)
        assert refused.value.problem.code == "unreadable"
        assert refused.value.problem.file == str(path)


# --- binary junk and encodings ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_are_refused_as_binary_or_not_utf8(seed):
    raw = random.Random(seed).randbytes(512)
    problem = refusal(raw)
    assert problem.code in ("binary", "encoding")


def test_a_png_image_is_refused_as_binary_at_its_first_nul_byte():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    problem = refusal(png, "logo.png")
    assert problem.code == "binary"
    assert (problem.line, problem.column) == (3, 1)
    assert problem.format() == "logo.png:3:1: this is not a text file (it contains NUL bytes)"


def test_a_nul_byte_in_text_is_located():
    assert (refusal(b"id: mini\ntitle: ab\x00c\n").line, refusal(b"id: mini\ntitle: ab\x00c\n").column) == (2, 10)
    problem = refusal("id: mini\ntitle: ab\x00c\n")
    assert problem.code == "binary" and (problem.line, problem.column) == (2, 10)


def test_latin1_text_is_refused_with_the_line_column_and_byte_of_the_first_bad_character():
    raw = "id: caffe\ntitle:\n  it: Caffè del porto\n".encode("latin-1")
    problem = refusal(raw)
    assert problem.code == "encoding"
    assert (problem.line, problem.column) == (3, 11)
    assert problem.params == {"byte": "0xe8"}
    assert problem.format() == "p.yaml:3:11: the file is not UTF-8 text (byte 0xe8); save it as UTF-8"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_refused_with_advice_to_save_as_utf8(codec):
    text = "id: mini\n"
    raw = text.encode(codec) if codec == "utf-16" else ("\ufeff" + text).encode(codec)
    problem = refusal(raw)
    assert problem.code == "encoding_utf16"
    assert (problem.line, problem.column) == (1, 1)
    assert "save it as UTF-8" in problem.format()


def test_utf16_without_a_bom_is_refused_as_binary():
    assert refusal("id: mini\n".encode("utf-16-le")).code == "binary"


def test_a_utf8_bom_is_accepted_and_does_not_shift_columns():
    doc = parse_bytes(b"\xef\xbb\xbfid: mini\ntitle: {en: Mini}\n", "p.yaml")
    assert doc.data == {"id": "mini", "title": {"en": "Mini"}}
    assert doc.where(("title",)) == ("p.yaml", 2, 1)
    problem = refusal(b"\xef\xbb\xbfid: a\nid: b\n")
    assert (problem.code, problem.line, problem.column) == ("duplicate_key", 2, 1)


def test_a_control_character_is_a_syntax_error_at_its_own_line_and_column():
    problem = refusal("id: mini\ntitle:\n  en: bell\x07\n")
    assert problem.code == "syntax"
    assert (problem.line, problem.column) == (3, 11)
    assert "#x0007" in problem.message()


def test_a_lone_surrogate_in_text_is_a_located_syntax_error_not_a_crash():
    problem = refusal("id: mini\ntitle: {en: a\ud800b}\n")
    assert (problem.code, problem.line, problem.column) == ("syntax", 2, 14)
    assert "#xd800" in problem.message()


# --- tags -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, shown", [
    ("a: !!python/object:os.system {}\n", "!!python/object:os.system"),
    ("a: !!python/object/apply:os.system [echo hacked]\n", "!!python/object/apply:os.system"),
    ("a: !!python/object/new:subprocess.Popen {args: [ls]}\n", "!!python/object/new:subprocess.Popen"),
    ("a: !!python/name:os.system\n", "!!python/name:os.system"),
    ("a: !!python/tuple [1, 2]\n", "!!python/tuple"),
    ("a: !!binary aGVsbG8=\n", "!!binary"),
    ("a: !!set {x, y}\n", "!!set"),
    ("a: !!omap [x: 1]\n", "!!omap"),
    ("a: !custom thing\n", "!custom"),
    ("a: !custom {x: 1}\n", "!custom"),
    ("a: !!str {x: 1}\n", "!!str"),
    ("%TAG !py! tag:yaml.org,2002:python/\n---\na: !py!object:os.system {}\n", "!!python/object:os.system"),
])
def test_yaml_tags_on_scalars_and_collections_are_refused_not_executed(text, shown):
    problem = refusal(text)
    assert problem.code == "tag"
    assert problem.column == 4
    assert problem.message() == f"the YAML tag {shown} is not allowed"


def test_a_python_tag_is_located_deep_inside_the_document():
    text = "id: mini\nstages:\n  - id: a\n    exits:\n      - id: go\n        to: !!python/name:os.getcwd\n"
    problem = refusal(text)
    assert (problem.code, problem.line, problem.column) == ("tag", 6, 13)


def test_standard_tags_that_fit_their_value_are_read():
    doc = parse_text("a: !!str 123\nb: !!int '7'\nc: !!float 2\nd: !!null ''\n", "p.yaml")
    assert doc.data == {"a": "123", "b": 7, "c": 2.0, "d": None}


@pytest.mark.parametrize("text, shown", [
    ("a: !!int abc\n", "!!int"), ("a: !!float x\n", "!!float"), ("a: !!bool maybe\n", "!!bool"),
    ("!!int abc : 1\n", "!!int"),
])
def test_a_standard_tag_on_a_value_that_does_not_fit_is_a_located_error_not_a_crash(text, shown):
    problem = refusal(text)
    assert problem.code == "syntax"
    assert f"is not a valid {shown}" in problem.message()


@pytest.mark.parametrize("literal", ["123456789012345678901234567890", "9" * 5_000, "-9007199254740992",
                                     "!!int 0x" + "f" * 5_000])
def test_integers_too_big_for_json_are_refused_instead_of_crashing_later(literal):
    problem = refusal(f"id: x\nversion: {literal}\n")
    assert problem.code == "out_of_range"
    assert (problem.line, problem.column) == (2, 10)
    assert str(MAX_INTEGER) in problem.message()


def test_numbers_are_read_as_in_json_not_as_yaml_1_1():
    data = parse_text("a: 1:30\nb: 017\nc: 1e-05\nd: 0x1F\ne: -2.5\n", "p.yaml").data
    assert data == {"a": "1:30", "b": 17, "c": 1e-05, "d": "0x1F", "e": -2.5}


def test_the_largest_exact_integer_is_accepted():
    assert parse_text(f"a: {MAX_INTEGER}\nb: -{MAX_INTEGER}\n", "p.yaml").data == {"a": MAX_INTEGER, "b": -MAX_INTEGER}


# --- keys -------------------------------------------------------------------------------------------


def test_a_duplicate_key_is_refused_at_its_second_occurrence():
    problem = refusal("id: mini\nversion: 1\nid: other\n")
    assert (problem.code, problem.line, problem.column) == ("duplicate_key", 3, 1)
    assert problem.params == {"key": "id"}
    assert problem.format() == "p.yaml:3:1: the key 'id' appears twice"


def test_a_nested_duplicate_key_is_located_at_its_own_column():
    text = "stages:\n  - id: a\n    title: {en: A}\n    exits: []\n    title: {en: B}\n"
    problem = refusal(text)
    assert (problem.code, problem.line, problem.column) == ("duplicate_key", 5, 5)


def test_keys_that_read_the_same_once_converted_to_text_are_duplicates():
    assert refusal("1: a\n'1': b\n").code == "duplicate_key"
    assert refusal("true: a\n'true': b\n").code == "duplicate_key"


def test_non_text_keys_become_text_as_written():
    doc = parse_text("1: a\ntrue: b\nnull: c\n2.5: d\n", "p.yaml")
    assert doc.data == {"1": "a", "true": "b", "null": "c", "2.5": "d"}


def test_a_merge_key_is_refused_with_advice():
    text = "base: &b {x: 1}\nstage:\n  <<: *b\n  y: 2\n"
    problem = refusal(text)
    assert (problem.code, problem.line, problem.column) == ("merge_key", 3, 3)
    assert "'<<'" in problem.message()


def test_a_list_or_mapping_as_key_is_refused():
    assert refusal("? [a, b]\n: 1\n").code == "complex_key"
    assert refusal("a: &k [1]\n*k : 2\n").code == "complex_key"


# --- scalars: YAML 1.2 booleans, dates, numbers -----------------------------------------------------


def test_no_yes_on_off_stay_strings_and_only_true_false_are_booleans():
    doc = parse_text("a: No\nb: yes\nc: on\nd: off\ne: Y\nf: n\ng: true\nh: False\ni: TRUE\n", "p.yaml")
    assert doc.data == {"a": "No", "b": "yes", "c": "on", "d": "off", "e": "Y", "f": "n",
                        "g": True, "h": False, "i": True}


def test_options_labelled_no_and_oui_stay_text_in_a_real_options_list():
    doc = parse_text("options:\n  - {value: yes, label: {it: Sì, fr: Oui, en: Yes}}\n"
                     "  - {value: no, label: {it: No, fr: Non, en: No}}\n", "p.yaml")
    assert [o["value"] for o in doc.data["options"]] == ["yes", "no"]
    assert doc.data["options"][1]["label"] == {"it": "No", "fr": "Non", "en": "No"}


def test_dates_and_timestamps_stay_strings():
    doc = parse_text("a: 2024-01-02\nb: 2024-01-02T10:30:00Z\nc: [2025-12-31]\n", "p.yaml")
    assert doc.data == {"a": "2024-01-02", "b": "2024-01-02T10:30:00Z", "c": ["2025-12-31"]}


@pytest.mark.parametrize("text, line, column", [
    ("a: .nan\n", 1, 4), ("a: .NaN\n", 1, 4), ("a: .inf\n", 1, 4), ("a: -.Inf\n", 1, 4),
    ("a:\n  - 1\n  - +.inf\n", 3, 5), ("a: 1.0e+999\n", 1, 4), (".nan: 1\n", 1, 1),
])
def test_nan_and_infinity_are_refused_where_they_are_written(text, line, column):
    problem = refusal(text)
    assert (problem.code, problem.line, problem.column) == ("not_a_number", line, column)
    assert problem.message() == "not a finite number"


def test_ordinary_numbers_and_json_are_read():
    assert parse_text('{"a": [1, 2.5, -3, null, true, "x"]}', "p.json").data == {"a": [1, 2.5, -3, None, True, "x"]}


# --- documents --------------------------------------------------------------------------------------


def test_several_documents_in_one_file_are_refused_at_the_second_one():
    problem = refusal("id: a\n---\nid: b\n")
    assert (problem.code, problem.line, problem.column) == ("several_documents", 2, 1)
    assert "'---'" in problem.message()


def test_one_document_with_explicit_start_and_end_markers_is_fine():
    assert parse_text("---\nid: a\n...\n", "p.yaml").data == {"id": "a"}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_file_reads_as_nothing(text):
    doc = parse_text(text, "p.yaml")
    assert doc.data is None
    assert doc.where(())[1] >= 1
    assert parse_bytes(text.encode(), "p.yaml").data is None


def test_an_empty_file_is_reported_as_not_a_mapping_at_its_start():
    from engine.validation import check_source

    checked = check_source(parse_text("", "p.yaml"), {})
    assert [p.format() for p in checked.problems] == [
        "p.yaml:1:1: the file must be a mapping of keys (id, version, title, stages...)"]


@pytest.mark.parametrize("text, line, column", [
    ("a: [1, 2\nb: 3\n", 2, 2),
    ("a:\n\t- b\n", 2, 1),
    ("a: *nowhere\n", 1, 4),
    ("a: 'unterminated\n", 2, 1),
    ("%YAML 2.0\n---\na: 1\n", 1, 1),
])
def test_syntax_errors_are_located(text, line, column):
    problem = refusal(text)
    assert (problem.code, problem.line, problem.column) == ("syntax", line, column)
    assert problem.message().startswith("YAML syntax error: ")


# --- locations and formatting -----------------------------------------------------------------------


PATHWAY = """id: mini
version: 1
stages:
  - id: welcome
    exits:
      - id: go
        to: study
"""


def test_every_key_and_item_is_located_and_unknown_paths_fall_back_to_the_closest_ancestor():
    doc = parse_text(PATHWAY, "pathways/mini.yaml")
    assert doc.where(("id",)) == ("pathways/mini.yaml", 1, 1)
    assert doc.where(("stages", 0)) == ("pathways/mini.yaml", 4, 5)
    assert doc.where(("stages", 0, "exits", 0, "to")) == ("pathways/mini.yaml", 7, 9)
    assert doc.where(("stages", 0, "exits", 0, "when", "field")) == ("pathways/mini.yaml", 6, 9)
    assert doc.where(("stages", 5, "id")) == ("pathways/mini.yaml", 3, 1)


def test_a_problem_formats_as_file_line_column_message_and_path():
    doc = parse_text(PATHWAY, "pathways/mini.yaml")
    problem = doc.problem("unknown_stage", ("stages", 0, "exits", 0, "to"), stage="study", suggestion="-")
    assert problem.format() == (
        "pathways/mini.yaml:7:9: there is no stage 'study' (closest: -) (at stages[0].exits[0].to)")


def test_a_problem_formats_in_italian_and_french():
    doc = parse_text(PATHWAY, "pathways/mini.yaml")
    problem = doc.problem("unknown_stage", ("stages", 0, "exits", 0, "to"), stage="studio", suggestion="-")
    assert problem.format("it") == (
        "pathways/mini.yaml:7:9: non esiste la fase 'studio' (la più simile: -) (in stages[0].exits[0].to)")
    assert problem.format("fr") == (
        "pathways/mini.yaml:7:9: il n'y a pas d'étape « studio » (la plus proche : -) (à stages[0].exits[0].to)")


def test_a_loader_refusal_formats_in_italian_and_french():
    problem = refusal("id: a\nid: b\n")
    assert problem.format("it") == "p.yaml:2:1: la chiave 'id' compare due volte"
    assert problem.format("fr") == "p.yaml:2:1: la clé « id » apparaît deux fois"


def test_a_warning_says_so_in_its_formatted_line():
    doc = parse_text(PATHWAY, "pathways/mini.yaml")
    warning = doc.problem("missing_translation", ("stages", 0), "warning", languages="fr")
    assert warning.format() == "pathways/mini.yaml:4:5: warning: translation missing in: fr (at stages[0])"
    assert warning.as_dict()["severity"] == "warning"
    assert warning.as_dict()["path"] == "stages[0]"


def test_a_source_document_without_locations_points_at_the_start():
    doc = SourceDocument("x.yaml", "", None, {})
    assert doc.problem("not_a_mapping").format().startswith("x.yaml:1:1: ")


def test_the_shipped_pathways_read_quickly(tmp_path):
    root = Path(__file__).resolve().parents[2] / "pathways"
    files = sorted(root.glob("*.yaml")) + sorted((root / "shared").glob("*.yaml"))
    assert files
    for path in files:
        started = time.monotonic()
        doc = read_file(path)
        assert time.monotonic() - started < HANG_GUARD_SECONDS
        assert isinstance(doc.data, dict)
