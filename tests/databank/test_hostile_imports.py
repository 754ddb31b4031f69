"""Files made to exhaust the server (huge when unpacked, wide, long, lying about their size) are refused
quickly, in little memory, with a clear localized message; and a row is never cut silently."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from databank.exchange import import_file

from .conftest import GENOVA_OPERATOR

SECONDS = 2.0
MAX_RSS_MB = 200
# The child reads the file under an address-space limit: a reader that tried to hold the unpacked file would
# fail there instead of taking the machine's memory.
CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024, 1024 * 1024 * 1024))
from databank import exchange
content = open(sys.argv[1], "rb").read()
started = time.monotonic()
try:
    header, rows = exchange.read_table("hostile.xlsx", content)
    outcome = {"rows": len(rows), "header": header}
except exchange._Refused as refused:
    outcome = {"code": refused.problem.code, "it": refused.problem.message("it"), "fr": refused.problem.message("fr")}
outcome["seconds"] = time.monotonic() - started
# The peak resident memory of this process's own address space (ru_maxrss would count the parent's too).
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
outcome["rss_mb"] = int(peak.split()[1]) / 1024
print(json.dumps(outcome))
"""


def _workbook(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewritten(content: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook with some of its parts replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>display_name</t></is></c>'
              b'<c r="B1" t="inlineStr"><is><t>email</t></is></c></row>')
ANNA = b'<row r="2"><c r="A2" t="inlineStr"><is><t>Anna Rossi</t></is></c></row>'


def _sheet(body: bytes, dimension: bytes = b"") -> bytes:
    return SHEET_HEAD + dimension + b"<sheetData>" + body + b"</sheetData></worksheet>"


def _hostile(kind: str) -> bytes:
    base = _workbook([["display_name", "email"], ["Anna Rossi", ""]])
    if kind == "wide sheet":  # one cell in the last column: every row read as 16,384 cells wide
        return _rewritten(base, {"xl/worksheets/sheet1.xml": _sheet(
            HEADER_ROW + b'<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>')})
    if kind == "huge shared string":  # 64 MB of one string, a few KB packed
        strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                   b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>' + b"a" * (64 * 2**20) +
                   b"</t></si></sst>")
        return _rewritten(base, {"xl/sharedStrings.xml": strings})
    if kind == "half a million tiny shared strings":
        strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                   b'spreadsheetml/2006/main">' + b"<si><t>a</t></si>" * 500_000 + b"</sst>")
        return _rewritten(base, {"xl/sharedStrings.xml": strings})
    if kind == "10 M empty rows":
        return _rewritten(base, {"xl/worksheets/sheet1.xml": _sheet(HEADER_ROW + b"<row/>" * 10_000_000)})
    if kind == "one row far down":  # the rows in between are read as empty ones
        return _rewritten(base, {"xl/worksheets/sheet1.xml": _sheet(
            HEADER_ROW + b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')})
    raise ValueError(kind)


def _read_in_child(tmp_path: Path, content: bytes) -> dict:
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(content)
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind, code", [
    ("wide sheet", "exchange.too_many_columns"),
    ("huge shared string", "exchange.unpacked_too_large"),
    ("half a million tiny shared strings", "exchange.unpacked_too_large"),
    ("10 M empty rows", "exchange.unpacked_too_large"),
    ("one row far down", "exchange.too_many_rows"),
])
def test_a_hostile_spreadsheet_is_refused_quickly_in_little_memory(tmp_path, kind, code):
    content = _hostile(kind)
    assert len(content) < 1024 * 1024  # small as sent
    outcome = _read_in_child(tmp_path, content)
    assert outcome.get("code") == code, outcome
    assert outcome["it"] and outcome["fr"] and outcome["it"] != outcome["fr"]
    assert outcome["seconds"] < SECONDS, outcome
    assert outcome["rss_mb"] < MAX_RSS_MB, outcome


def test_a_sheet_claiming_to_be_huge_is_read_as_the_rows_it_has(tmp_path):
    content = _rewritten(_workbook([["x"]]), {"xl/worksheets/sheet1.xml": _sheet(
        HEADER_ROW + ANNA, dimension=b'<dimension ref="A1:XFD1048576"/>')})
    outcome = _read_in_child(tmp_path, content)
    assert (outcome.get("rows"), outcome.get("header")) == (1, ["display_name", "email"]), outcome
    assert outcome["seconds"] < SECONDS and outcome["rss_mb"] < MAX_RSS_MB, outcome


def test_a_very_long_cell_is_refused_with_its_row(databank):
    content = ("display_name,summary\nAnna Rossi," + "x" * 40_000 + "\n").encode()
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "long.csv", content, "genova")
    assert not report.committed
    assert [p.code for p in report.file_problems] == ["exchange.cell_too_long"]
    assert "32767" in report.file_problems[0].message("en").replace(",", "")


@pytest.mark.parametrize("filename, content", [
    ("shifted.csv", b"display_name,email\nAnna Rossi,anna@example.org,one more\n"),
    ("shifted.xlsx", None),
])
def test_a_row_with_more_cells_than_the_header_is_an_error_never_cut(databank, filename, content):
    if content is None:
        content = _workbook([["display_name", "email"], ["Anna Rossi", "anna@example.org", "one more"]])
    report = import_file(databank, GENOVA_OPERATOR, "profiles", filename, content, "genova")
    assert not report.ok and not report.committed
    [row] = report.rows
    assert [p.code for p in row.problems] == ["exchange.extra_cells"]
    assert "3" in row.problems[0].message("it") and "2" in row.problems[0].message("it")


def test_trailing_empty_cells_are_not_values(databank):
    content = b"display_name,email\nAnna Rossi,anna@example.org,,\n"
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "trailing.csv", content, "genova")
    assert report.ok and report.committed
