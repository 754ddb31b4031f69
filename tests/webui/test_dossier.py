"""The case dossier downloads as a PDF whose text says who did what, in the chosen language."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

from pypdf import PdfReader
from sqlalchemy import select, text

from tests.webui.conftest import WORKERS, open_case, version_of  # noqa: F401


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_dossier_is_a_pdf_of_the_case_in_the_chosen_language(service, as_role, people):
    case_id, v = open_case(service, title="Cantiere Sestri")
    operator = people["operator"].actor
    v = service.tick(case_id, operator, v, "interview_held").version
    response = as_role("operator").get(f"/cases/{case_id}/dossier.pdf?lang=it")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="dossier-{case_id}-it.pdf"'
    text = pdf_text(response.data)
    assert "Cantiere Sestri" in text and all(w.display_name in text for w in WORKERS)
    assert "Workers buy-out" not in text and "Primo colloquio" in text
    assert "Giulia Parodi ha spuntato" in text  # the timeline, with the operator's name
    french = pdf_text(as_role("operator").get(f"/cases/{case_id}/dossier.pdf?lang=fr").data)
    assert "Premier entretien" in french
    # The chosen language, not the page's (English here), writes the headings and the dates.
    from babel.dates import get_month_names

    month = datetime.now(timezone.utc).month
    assert "Fasi" in text and "Cronologia" in text and "Timeline" not in text
    assert get_month_names("abbreviated", locale="it")[month] in text and not re.search(r"\d\s?[AP]M\b", text)
    assert "Étapes" in french and "Historique" in french
    assert get_month_names("abbreviated", locale="fr")[month] in french and not re.search(r"\d\s?[AP]M\b", french)


def test_the_dossier_is_refused_to_whoever_may_not_see_the_case(service, as_role):
    case_id, _v = open_case(service)
    assert as_role("other_operator").get(f"/cases/{case_id}/dossier.pdf").status_code == 404
    assert as_role("other_mentor").get(f"/cases/{case_id}/dossier.pdf").status_code == 404
    assert as_role("worker").get(f"/cases/{case_id}/dossier.pdf").status_code == 403
    assert as_role("mentor").get(f"/cases/{case_id}/dossier.pdf").status_code == 200


def test_the_case_page_shows_the_diagram_with_the_current_stage_and_links_the_dossier(service, as_role):
    case_id, _v = open_case(service)
    mentor = as_role("mentor")
    page = mentor.get(f"/cases/{case_id}").text
    import re

    src = re.search(r'<img src="([^"]*diagram\.svg[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "current=first_interview" in src and "compact=1" in src
    svg = mentor.get(src)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "current stage" in svg.text and "First interview" in svg.text
    assert f"/cases/{case_id}/dossier.pdf" in page


def test_the_case_page_shows_each_questionnaire_as_a_chart_with_a_table_and_the_reasons(service, as_role):
    from tests.webui.test_case_page import walk_to

    case_id, _v = walk_to(service, "pathway_choice")  # every worker has submitted the questionnaire
    page = as_role("operator").get(f"/cases/{case_id}").text
    assert "Questionnaire results" in page
    assert page.count('class="bar-chart"') == len(WORKERS)
    assert all(f"{w.display_name} — Entrepreneurial competence assessment" in page for w in WORKERS)
    assert "<desc id=\"scores-0-d\">" in page and "Spotting opportunities" in page
    assert "Scores as a table" in page and "points)" in page
    italian = as_role("mentor").get(f"/cases/{case_id}?lang=it")
    assert italian.status_code == 200 and 'class="bar-chart"' in italian.text


def test_the_dossier_shows_each_workers_progress_with_the_change(service, sessions, as_role):
    from tests.webui.test_case_page import reassessed_case

    case_id, _v = reassessed_case(service, sessions)
    text = pdf_text(as_role("operator").get(f"/cases/{case_id}/dossier.pdf?lang=en").data)
    assert "Progress since the intake" in text
    assert "Entrepreneurial competence assessment (EntreComp) - follow-up" in text
    assert "Into action 2 5 +3" in text  # Anna's area row
    assert "Ideas and opportunities 2 1 -1" in text  # Luca's
    assert "Spotting opportunities 2 4 +2" in text
    assert "2.0 → 4.0 (+2.0)" in text  # the chart is drawn in the PDF, with its numbers
    italian = pdf_text(as_role("operator").get(f"/cases/{case_id}/dossier.pdf?lang=it").data)
    assert "Idee e opportunità 2 4 +2" in italian


def _kept(sessions, case_id):  # noqa: ANN001, ANN202
    from webui.dossier.models import DossierPdf

    with sessions() as session:
        return {row.lang: row.sha256 for row in session.scalars(select(DossierPdf).where(DossierPdf.case_id == case_id))}


def test_a_dossier_is_laid_out_once_per_content_and_again_when_the_case_changes(service, sessions, files, as_role,
                                                                                  people):
    case_id, v = open_case(service, title="Cantiere Sestri")
    operator = as_role("operator")
    first = operator.get(f"/cases/{case_id}/dossier.pdf?lang=it")
    kept = _kept(sessions, case_id)
    assert list(kept) == ["it"] and files.read(kept["it"]) == first.data
    # The same content is served from the store: a stand-in file under the kept row shows it is read back.
    stand_in = files.put(b"%PDF-1.7 kept")
    with sessions.begin() as session:
        session.execute(text("UPDATE dossier_pdfs SET sha256 = :sha WHERE case_id = :case"),
                        {"sha": stand_in, "case": case_id})
    assert operator.get(f"/cases/{case_id}/dossier.pdf?lang=it").data == b"%PDF-1.7 kept"
    # A change of the case changes the document: laid out again, the replaced file leaves the store.
    service.tick(case_id, people["operator"].actor, v, "interview_held")
    again = operator.get(f"/cases/{case_id}/dossier.pdf?lang=it")
    assert again.data != b"%PDF-1.7 kept" and "Giulia Parodi ha spuntato" in pdf_text(again.data)
    assert files.read(_kept(sessions, case_id)["it"]) == again.data and not files.exists(stand_in)


def test_erasing_a_worker_drops_the_dossiers_of_their_cases(service, sessions, files, as_role):
    case_id, _v = open_case(service)
    operator = as_role("operator")
    assert "Anna Rossi" in pdf_text(operator.get(f"/cases/{case_id}/dossier.pdf?lang=en").data)
    assert "Anna Rossi" in pdf_text(operator.get(f"/cases/{case_id}/dossier.pdf?lang=fr").data)
    kept = _kept(sessions, case_id)
    assert sorted(kept) == ["en", "fr"] and all(files.exists(sha) for sha in kept.values())
    assert as_role("admin").post("/me/staff/people/w.anna/erase", data={"confirm": "Anna Rossi"}).status_code == 302
    assert _kept(sessions, case_id) == {} and not any(files.exists(sha) for sha in kept.values())
    assert "Anna Rossi" not in pdf_text(operator.get(f"/cases/{case_id}/dossier.pdf?lang=en").data)
