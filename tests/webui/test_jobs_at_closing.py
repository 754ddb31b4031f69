"""Jobs recorded when a case reaches its outcome: asked on the case page's exit, counted by monitoring on its
page and in its exports; bad numbers are refused with a sentence and nothing is recorded."""
from __future__ import annotations

import csv
import io
import random
import re

from tests.webui.conftest import PEOPLE, WORKERS, open_case, version_of
from webui.demo import INTAKE, Builder, DemoClock

STARTUP_TO_LAST_STAGE = INTAKE + ["idea_clear", "model_ready", "market_ok", "plan_approved", "financing_complete",
                                  "registered_it"]


def at_the_outcome(service) -> int:  # noqa: ANN001
    """A one-person start-up at its last stage, everything done for "Business up and running" but the exit."""
    from engine.models import utcnow

    case_id, v = open_case(service, pathway="startup", members=[WORKERS[0]])
    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(1))
    operator, mentor = PEOPLE["operator"].actor, PEOPLE["mentor"].actor
    for exit_id in STARTUP_TO_LAST_STAGE:
        v = builder.complete(case_id, v, exit_id, operator, mentor, {})
    stage = builder.state(case_id).stage.id
    builder.prepare(case_id, v, "company_running", operator, mentor, {stage: {"still_active": True}})
    return case_id


def jobs_shown(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-jobs="(\w+)">(\d+)<', page)}


def test_closing_with_an_outcome_records_the_jobs_and_monitoring_counts_them(service, as_role):
    operator = as_role("operator")
    assert jobs_shown(operator.get("/monitoring/").text) == {"created": 0, "kept": 0}
    first, second = at_the_outcome(service), at_the_outcome(service)
    page = operator.get(f"/cases/{first}").text
    assert 'name="jobs_created"' in page and 'name="jobs_kept"' in page
    response = operator.post(f"/cases/{first}/advance", data={
        "version": version_of(page), "exit": "company_running", "jobs_created": "4", "jobs_kept": "1",
        "confirmed": "1"})  # the exit closes the case: confirmed
    assert response.status_code == 302
    page = operator.get(f"/cases/{second}").text
    operator.post(f"/cases/{second}/advance", data={
        "version": version_of(page), "exit": "company_running", "jobs_created": "3", "jobs_kept": "",
        "confirmed": "1"})
    assert "Closed" in operator.get(f"/cases/{second}").text
    assert jobs_shown(operator.get("/monitoring/").text) == {"created": 7, "kept": 1}
    rows = {(r[0], r[2]): r[4] for r in csv.reader(io.StringIO(
        operator.get("/monitoring/export.csv").data.decode("utf-8-sig")))}
    assert rows[("jobs", "created")] == "7" and rows[("jobs", "kept")] == "<5"  # small counts suppressed
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(as_role("admin").get("/monitoring/export.xlsx").data))
    values = {(row[0], row[2]): row[4] for row in book["jobs"].iter_rows(min_row=2, values_only=True)}
    assert values[("jobs", "created")] == 7


def test_a_bad_number_of_jobs_is_refused_with_a_sentence_and_the_case_stays(service, as_role):
    case_id = at_the_outcome(service)
    operator = as_role("operator")
    operator.post("/language", data={"language": "it"})
    page = operator.get(f"/cases/{case_id}").text
    for typed in ("-2", "tre", "1.5"):
        response = operator.post(f"/cases/{case_id}/advance", data={
            "version": version_of(page), "exit": "company_running", "jobs_created": typed, "jobs_kept": "2"})
        assert response.status_code == 422
        assert "numeri interi" in response.text  # the engine's sentence, in Italian
        assert f'value="{typed}"' in response.text and 'value="2"' in response.text  # what was typed stays
    assert jobs_shown(operator.get("/monitoring/").text) == {"created": 0, "kept": 0}
    assert 'name="jobs_created"' in operator.get(f"/cases/{case_id}").text  # still at its last stage

