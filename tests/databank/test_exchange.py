"""CSV and XLSX import (all or nothing, a report per row) and export, round trips and refusals."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from databank import ProfileQuery, ResourceQuery
from databank.exchange import export_profiles, export_resources, import_file
from databank.models import Profile, Resource
from engine import NotAllowed

from .conftest import ADMIN, GENOVA_OPERATOR, NICE_OPERATOR, TIG, WELDER, seed

HEADER = "display_name,email,occupations,skills,region,province,supply_chains,availability,available_from,years_experience\n"
ROWS = ("Anna Rossi,anna@example.org,saldatore,Saldatura TIG [esperto]; lettura disegni,Liguria,Genova,"
        "Nautica e cantieristica,Disponibile subito,,20\n"
        "Luca Bianchi,luca@example.org,carpentiere navale,riparare scafi [4],IT-42,IT-SP,"
        "nautical_shipbuilding,from_date,15/01/2027,12\n")


def count(sessions, model=Profile):  # noqa: ANN001, ANN201
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_workforce_is_imported_at_once_from_csv(databank, sessions):
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "lavoratori.csv", (HEADER + ROWS).encode(), "genova")
    assert report.ok and report.committed and (report.created, report.updated) == (2, 0)
    assert report.summary("it") == "2 create, 0 aggiornate."
    assert [r.row for r in report.rows] == [2, 3]
    anna = databank.get_profile(GENOVA_OPERATOR, report.rows[0].id, "en")
    assert [o["uri"] for o in anna["occupations"]] == [WELDER]
    assert [(s["uri"], s["level"]) for s in anna["skills"]] == [(TIG, 4), (None, None)]
    assert (anna["province"], anna["desk_id"]) == ("IT-GE", "genova")


def test_one_bad_row_means_nothing_is_imported_and_every_problem_is_reported(databank, sessions):
    bad = ROWS + "Sara Verdi,sara-at-example,,,Lombardia,,,,,-3\n,,,,,,,,,\nPaolo,paolo@example.org,,,,,formaggio,,,\n"
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "lavoratori.csv", (HEADER + bad).encode(), "genova")
    assert not report.ok and not report.committed
    assert count(sessions) == 0
    assert report.summary("en") == "2 row(s) have errors: nothing was imported."
    lines = report.messages("en")
    assert "Row 4, column email: 'sara-at-example' is not an e-mail address." in lines
    assert any(line.startswith("Row 4, column region: 'Lombardia' is not a region") for line in lines)
    assert "Row 4, column years_experience: '-3' looks like a spreadsheet formula; formulas are refused (write the value itself)." not in lines
    assert any(line.startswith("Row 6, column supply_chains: 'formaggio' is not one of") for line in lines)
    assert [r.row for r in report.rows if r.problems] == [4, 6]


def test_a_dry_run_checks_everything_and_writes_nothing(databank, sessions):
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", (HEADER + ROWS).encode(), "genova", dry_run=True)
    assert report.ok and not report.committed and report.created == 2
    assert report.summary("fr") == "Vérifié : 2 seraient créées et 0 mises à jour. Rien n'a été écrit."
    assert count(sessions) == 0


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3+cmd"])
def test_formulas_in_csv_are_refused(databank, sessions, cell):
    content = HEADER + f"Anna,anna@example.org,saldatore,\"{cell.replace(chr(34), chr(34) * 2)}\",,,,,,\n"
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", content.encode(), "genova")
    assert not report.ok and count(sessions) == 0
    assert any("formula" in line for line in report.messages("en"))


def test_phone_numbers_and_negative_numbers_are_not_formulas(databank, sessions):
    content = "display_name,phone,latitude,longitude\nAnna,+39 010 555 0101,-33.9,18.4\n"
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", content.encode(), "genova")
    assert report.ok, report.messages("en")


def test_wrong_columns_are_refused_as_a_whole(databank, sessions):
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", b"nome,cognome\nAnna,Rossi\n", "genova")
    assert report.file_problems and report.rows == []
    assert report.messages("it")[0].startswith("Colonne sconosciute: nome, cognome. Le colonne sono: id, display_name")
    missing = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", b"email\nanna@example.org\n", "genova")
    assert missing.messages("en") == ["Missing columns: display_name."]
    twice = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", b"display_name,Display Name\nA,B\n", "genova")
    assert twice.messages("en") == ["Columns given twice: display_name."]


def test_a_file_not_in_utf8_is_refused_with_advice(databank, sessions):
    content = (HEADER + "Niccolò Bàrbera,n@example.org,,,,,,,,\n").encode("latin-1")
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", content, "genova")
    assert report.messages("en")[0].startswith("The file is not UTF-8 text (unreadable byte at position")
    assert "CSV UTF-8" in report.messages("en")[0] and count(sessions) == 0


def test_utf16_and_semicolons_from_office_suites_are_read(databank, sessions):
    content = "display_name;municipality\r\nNiccolò Bàrbera;Gênes\r\n".encode("utf-16")
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", content, "genova")
    assert report.ok, report.messages("en")
    assert databank.get_profile(GENOVA_OPERATOR, report.rows[0].id)["display_name"] == "Niccolò Bàrbera"


def test_files_that_are_not_tables_are_refused(databank, sessions):
    for name, content, start in (("x.pdf", b"%PDF-1.4", "'x.pdf' is neither a CSV nor an XLSX file."),
                                 ("x.xlsx", b"not a zip", "The spreadsheet cannot be read"),
                                 ("x.csv", b"PK\x03\x04rest", "The file is not text"),
                                 ("x.csv", b"", "The file has no rows to import."),
                                 ("x.csv", b"display_name\n\n", "The file has no rows to import.")):
        report = import_file(databank, GENOVA_OPERATOR, "profiles", name, content, "genova")
        assert report.messages("en")[0].startswith(start), (name, report.messages("en"))


def xlsx(rows, formula_at=None):  # noqa: ANN001, ANN201
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if formula_at:
        sheet[formula_at] = "=1+1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_imports_like_csv_and_refuses_formula_cells(databank, sessions):
    rows = [["title", "category", "surface_m2", "offers", "province"],
            ["Capannone", "Capannone / magazzino", 1200.0, "affitto; vendita", "Savona"]]
    report = import_file(databank, GENOVA_OPERATOR, "resources", "risorse.xlsx", xlsx(rows), "genova")
    assert report.ok, report.messages("en")
    resource = databank.get_resource(GENOVA_OPERATOR, report.rows[0].id)
    assert (resource["category"], resource["surface_m2"], resource["offers"]) == ("shed", 1200, ["sale", "rent"])
    refused = import_file(databank, GENOVA_OPERATOR, "resources", "risorse.xlsx", xlsx(rows, formula_at="C2"), "genova")
    assert refused.messages("en") == ["The cell C2 holds a formula; formulas are refused (paste the values instead)."]
    assert count(sessions, Resource) == 1


def test_only_operators_of_the_desk_import_for_it(databank):
    with pytest.raises(NotAllowed):
        import_file(databank, NICE_OPERATOR, "profiles", "x.csv", (HEADER + ROWS).encode(), "genova")


def test_export_then_import_gives_the_same_profiles(databank, sessions):
    seed(databank)
    with sessions() as session:
        exported = export_profiles(session, GENOVA_OPERATOR, ProfileQuery(desks=("genova",)), "csv", "it")
    assert exported.startswith("\ufeff".encode())
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "export.csv", exported, "genova")
    assert report.ok, report.messages("en")
    assert (report.created, report.updated) == (0, 3)
    # the same file without ids makes copies, equal field by field
    table = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    without_ids = [row[1:] for row in table]
    text = io.StringIO()
    csv.writer(text).writerows(without_ids)
    copies = import_file(databank, GENOVA_OPERATOR, "profiles", "copie.csv", text.getvalue().encode(), "genova")
    assert copies.ok and copies.created == 3
    for original_row, copy in zip(report.rows, copies.rows):
        original = databank.get_profile(GENOVA_OPERATOR, original_row.id)
        copied = databank.get_profile(GENOVA_OPERATOR, copy.id)
        for key in ("id", "version", "updated_at"):
            original.pop(key), copied.pop(key)
        assert copied == original


def test_export_then_import_gives_the_same_resources_in_xlsx(databank, sessions):
    ids = seed(databank)
    with sessions() as session:
        exported = export_resources(session, GENOVA_OPERATOR, ResourceQuery(desks=("genova",)), "xlsx", "fr")
    report = import_file(databank, GENOVA_OPERATOR, "resources", "export.xlsx", exported, "genova")
    assert report.ok, report.messages("en")
    assert sorted(r.id for r in report.rows) == sorted([ids["shed"], ids["cnc"], ids["area"]])
    assert databank.get_resource(GENOVA_OPERATOR, ids["shed"])["version"] == 2


def test_other_desks_export_profiles_without_the_personal_columns(databank, sessions):
    seed(databank)
    with sessions() as session:
        exported = export_profiles(session, NICE_OPERATOR, ProfileQuery(desks=("genova",)), "csv").decode("utf-8-sig")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert "Anna Rossi" not in exported and "anna.rossi@example.org" not in exported
    assert "Luca Bianchi" in exported  # he consented
    assert all(r["occupations"] for r in rows.values())


def test_exported_text_that_looks_like_a_formula_stays_text(databank, sessions):
    databank.create_resource(ADMIN, {"desk_id": "genova", "category": "other", "title": "=cmd|' /C calc'!A0",
                                     "description": "@risky"})
    with sessions() as session:
        as_csv = export_resources(session, ADMIN, ResourceQuery(), "csv").decode("utf-8-sig")
        as_xlsx = export_resources(session, ADMIN, ResourceQuery(), "xlsx")
    assert "'=cmd|' /C calc'!A0" in as_csv and "'@risky" in as_csv
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx)).worksheets[0]
    assert sheet["B2"].value == "=cmd|' /C calc'!A0" and sheet["B2"].data_type == "s"
