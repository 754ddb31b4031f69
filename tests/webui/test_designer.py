"""The designer workbench: the library, diagrams, the editor, drafts and conflicts, diffs, simulation and
migration, and who may do what."""
from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from engine import audit
from engine.models import Case, PathwayRevision
from tests.conftest import SHIPPED_PATHWAYS
from tests.webui.conftest import SHIPPED_ASSESSMENTS, TEST_PASSWORD_METHOD, WORKERS, open_case
from webui import create_app
from webui.designer.diagram import render_pathway_svg, stage_panel
from webui.designer.models import PathwayDraft, PathwaySave

NEW_STAGE = """      - id: to_legal_check
        label: {it: Verifica legale, fr: Vérification juridique, en: Legal check}
        to: legal_check
  - id: legal_check
    title: {it: Verifica legale, fr: Vérification juridique, en: Legal check}
    documents:
      - id: statute
        label: {it: Statuto, fr: Statuts, en: Statute}
        types: [pdf]
        max_mb: 5
    signoffs:
      - id: lawyer_ok
        label: {it: Parere legale, fr: Avis juridique, en: Legal opinion}
        role: mentor
    exits:
      - id: checked
        label: {it: Verificato, fr: Vérifié, en: Checked}
        outcome: company_created
"""


@pytest.fixture
def pathways_dir(tmp_path: Path) -> Path:
    """A copy of the shipped pathways: saving writes the file, never into the repository."""
    target = tmp_path / "pathways"
    shutil.copytree(SHIPPED_PATHWAYS, target)
    return target


@pytest.fixture
def app(db_url, instance_path, sessions, shipped_pathways, shipped_assessments, pathways_dir):  # noqa: ANN001, ANN201
    application = create_app({
        "TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test secret key, long enough to sign",
        "INSTANCE_PATH": str(instance_path), "PATHWAYS_DIR": str(pathways_dir),
        "ASSESSMENTS_DIR": str(SHIPPED_ASSESSMENTS),
        "AUTO_UPGRADE": False, "SYNC_PATHWAYS": False, "PASSWORD_METHOD": TEST_PASSWORD_METHOD,
    })
    library = application.extensions["opera"].library
    for checked in shipped_pathways:
        library.register(checked.pathway, checked.source.text, str(pathways_dir / Path(checked.file).name))
    for checked in shipped_assessments:
        application.extensions["opera"].assessments.register(checked.assessment, checked.source.text, checked.file)
    yield application
    application.extensions["opera"].engine.dispose()


def active_id(app, pathway_id: str) -> int:  # noqa: ANN001
    return app.extensions["opera"].library.active_revision_id(pathway_id)


def source_of(app, revision_id: int) -> str:  # noqa: ANN001
    with app.extensions["opera"].sessions() as session:
        return session.get(PathwayRevision, revision_id).source_text


def with_stage(text: str) -> str:
    """The startup file with one more stage at the end, reached by a new exit of the last stage."""
    return text.rstrip("\n") + "\n" + NEW_STAGE


def save(browser, text: str, base: int | None, file_name: str = "startup.yaml", **extra):  # noqa: ANN001, ANN003, ANN201
    return browser.post("/designer/edit", {"text": text, "file_name": file_name, "base": base or "",
                                           "action": "save", **extra})


# --- who may do what --------------------------------------------------------------------------------

def test_designer_sees_every_pathway_with_its_revisions_and_cases(as_role, service, app):  # noqa: ANN001
    open_case(service, "startup", members=WORKERS[:1])
    page = as_role("designer").get("/designer/")
    assert page.status_code == 200
    for pid in ("startup", "wbo", "spinoff", "community_coop"):
        assert f'id="pathway-{pid}"' in page.text
    startup = page.text.split('id="pathway-startup"')[1].split("</section>")[0]
    assert re.search(r'<td class="num">1</td>', startup), "the running case is counted on its revision"
    assert "Edit" in startup


def test_operator_reads_the_library_but_cannot_edit(as_role, app):  # noqa: ANN001
    operator = as_role("operator")
    page = operator.get("/designer/")
    assert page.status_code == 200
    assert "/designer/edit/" not in page.text
    assert operator.get("/designer/edit/startup").status_code == 403
    assert operator.post("/designer/edit", {"text": "id: x", "file_name": "startup.yaml",
                                             "action": "save"}).status_code == 403


@pytest.mark.parametrize("role", ["mentor", "worker"])
def test_mentors_and_workers_have_no_designer_pages(as_role, role):  # noqa: ANN001
    assert as_role(role).get("/designer/").status_code == 403


def test_anonymous_visitor_is_sent_to_login(browser):  # noqa: ANN001
    response = browser.get("/designer/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_may_edit(as_role, app):  # noqa: ANN001
    assert as_role("admin").get("/designer/edit/startup").status_code == 200


# --- diagram ----------------------------------------------------------------------------------------

def test_revision_page_shows_the_diagram_in_the_chosen_language(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    rid = active_id(app, "wbo")
    page = designer.get(f"/designer/revisions/{rid}")
    assert page.status_code == 200
    assert "<svg" in page.text and 'data-stage="feasibility"' in page.text or "pd-stage" in page.text
    svg = designer.get(f"/designer/revisions/{rid}/diagram.svg?lang=fr")
    assert svg.mimetype == "image/svg+xml"
    assert "Étude de faisabilité" in svg.text
    # the questionnaire a stage asks for is named by its title, on the diagram and in the side panel
    assert "Bilan des compétences entrepreneuriales (EntreComp) - accueil" in svg.text
    assert "entrecomp-intake" not in svg.text
    designer.post("/language", data={"language": "it"})
    page = designer.get(f"/designer/revisions/{rid}").text
    assert "Valutazione delle competenze imprenditoriali (EntreComp) - accoglienza" in page
    assert ": entrecomp-intake" not in page


def test_diagram_draws_each_exit_and_outcome_and_highlights_the_current_stage(app, shipped_pathways):  # noqa: ANN001
    with app.app_context():  # the diagram's words come from the web UI's catalogue
        wbo = next(c.pathway for c in shipped_pathways if c.pathway_id == "wbo")
        svg = render_pathway_svg(wbo, "it", current=wbo.stages[3].id, compact=True)
        for stage in wbo.stages:
            assert f'data-stage="{stage.id}"' in svg
            for exit_ in stage.exits:
                assert f'data-exit="{exit_.id}"' in svg
        assert svg.count("pd-current") == 1
        assert "percorso startup" in svg, "an exit to another pathway names it"
        others = {c.pathway_id: c.pathway for c in shipped_pathways}
        titled = render_pathway_svg(wbo, "it", others=others)
        startup = others["startup"]
        at = next(e.at for s in wbo.stages for e in s.exits if e.pathway == "startup" and e.at)
        targets = [e["target"] for stage in stage_panel(wbo, "it", others) for e in stage["exits"]]
        assert f"→ percorso {startup.title['it']} (a {startup.stage(at).title['it']})" in targets
        assert "percorso startup" not in titled, "with the other revisions at hand, titles instead of ids"
        # who signs off is named by the role's title, not its id
        lines = [line for stage in stage_panel(wbo, "fr", others) for line in stage["requirements"]]
        financing = wbo.roles["financing_body"]["fr"]
        assert f"✍ Confirmation de deux financeurs (2 × {financing})" in lines
        assert "✍ Plan validé par le mentor (un mentor)" in lines
        assert not [line for line in lines if "financing_body" in line or "× mentor" in line]


def test_a_twenty_stage_pathway_is_drawn_without_overlapping_boxes(app, shipped_pathways):  # noqa: ANN001
    from engine.pathway import build_pathway

    stages = [{"id": f"s{i}", "title": {"en": f"Stage {i}"},
               "exits": [{"id": "next", "label": {"en": "Next"}, "to": f"s{i + 1}"},
                         {"id": "back", "label": {"en": "Back"}, "to": "s0"}]} for i in range(19)]
    stages.append({"id": "s19", "title": {"en": "Last"},
                   "exits": [{"id": "done", "label": {"en": "Done"}, "outcome": "employed"}]})
    pathway = build_pathway({"id": "long", "version": 1, "title": {"en": "Long"}, "stages": stages})
    with app.app_context():
        svg = render_pathway_svg(pathway, "en")
    boxes = [(float(y), float(h)) for y, h in re.findall(
        r'<rect x="\d+" y="([\d.]+)" width="\d+" height="([\d.]+)" rx="8"', svg)]
    assert len(boxes) == 20
    assert all(boxes[i][0] + boxes[i][1] < boxes[i + 1][0] for i in range(19))
    lanes = {re.search(r"H([\d.]+) V", d).group(1) for d in re.findall(r'class="pd-wire"[^>]* d="(M[^"]+)"', svg)}
    assert len(lanes) >= 2, "crossing runs go in separate lanes"


# --- editing ----------------------------------------------------------------------------------------

def test_checking_shows_each_problem_on_its_line_with_and_without_javascript(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    text = source_of(app, active_id(app, "startup")).replace("  - include: intake", "  - include: intakee", 1)
    line = text.splitlines().index("  - include: intakee") + 1
    page = designer.post("/designer/edit", {"text": text, "file_name": "startup.yaml", "action": "check"})
    assert page.status_code == 422
    assert f'data-line="{line}"' in page.text
    token = designer.token()
    result = designer.client.post("/designer/check", json={"text": text, "file_name": "startup.yaml"},
                                  headers={"X-CSRFToken": token})
    assert result.status_code == 200
    assert result.json["valid"] is False
    assert result.json["problems"][0]["line"] == line


def test_check_without_the_csrf_token_is_refused(as_role):  # noqa: ANN001
    designer = as_role("designer")
    assert designer.client.post("/designer/check", json={"text": "", "file_name": "x.yaml"}).status_code == 400


def test_saving_creates_a_new_active_revision_and_leaves_running_cases_on_theirs(as_role, app, service,
                                                                                 pathways_dir):  # noqa: ANN001
    case_id, _version = open_case(service, "startup", members=WORKERS[:1])
    designer = as_role("designer")
    old = active_id(app, "startup")
    file_before = (pathways_dir / "startup.yaml").read_bytes()
    text = with_stage(source_of(app, old))
    response = save(designer, text, old, version="99")
    assert response.status_code == 302, response.text
    new = active_id(app, "startup")
    assert new != old
    assert f"/designer/revisions/{new}" in response.headers["Location"]
    # The revision lives in the database; the file in the directory is only changed by an export.
    assert (pathways_dir / "startup.yaml").read_bytes() == file_before
    assert "legal_check" in source_of(app, new)
    page = designer.get(f"/designer/revisions/{new}")
    assert 'id="not-exported"' in page.text and "opera pathways export startup" in page.text
    app.extensions["opera"].library.export(["startup"], pathways_dir)
    assert 'id="not-exported"' not in designer.get(f"/designer/revisions/{new}").text
    with app.extensions["opera"].sessions() as session:
        assert session.get(Case, case_id).revision_id == old
        revision = session.get(PathwayRevision, new)
        assert (revision.version, revision.created_by) == ("99", "des")
        saves = list(session.scalars(select(PathwaySave)))
        assert [(s.author, s.revision_id, s.base_revision_id) for s in saves] == [("des", new, old)]


def test_saving_the_same_version_with_other_content_asks_for_a_new_version(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    old = active_id(app, "startup")
    page = save(designer, with_stage(source_of(app, old)), old)
    assert page.status_code == 409
    assert 'name="version"' in page.text
    assert active_id(app, "startup") == old


def test_an_invalid_file_is_kept_as_a_draft_and_never_becomes_active(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    old = active_id(app, "startup")
    broken = with_stage(source_of(app, old)).replace("role: mentor", "role: mentorr")
    page = save(designer, broken, old, version="100")
    assert page.status_code == 422
    assert "mentorr" in page.text, "the text stays in the editor"
    assert active_id(app, "startup") == old
    with app.extensions["opera"].sessions() as session:
        draft = session.scalars(select(PathwayDraft)).one()
        assert (draft.reason, draft.author, draft.pathway_id) == ("invalid", "des", "startup")
        assert draft.problems and draft.problems[0]["line"] > 1
    assert designer.get(f"/designer/edit/startup?draft={draft.id}").status_code == 200


def test_the_second_of_two_designers_saving_at_once_gets_a_conflict_and_keeps_their_text(as_role, app):  # noqa: ANN001
    first, second = as_role("designer"), as_role("admin")
    old = active_id(app, "startup")
    text = source_of(app, old)
    assert save(first, with_stage(text), old, version="101").status_code == 302
    mine = text.replace("version: ", "# the second designer's change\nversion: ", 1)
    page = second.post("/designer/edit", {"text": mine, "file_name": "startup.yaml", "base": old,
                                          "action": "save", "version": "102"})
    assert page.status_code == 409
    assert "the second designer&#39;s change" in page.text or "the second designer's change" in page.text
    theirs = active_id(app, "startup")
    assert 'class="diff-del"' in page.text, "the other designer's lines are shown"
    assert f'name="base" value="{theirs}"' in page.text
    with app.extensions["opera"].sessions() as session:
        draft = session.scalars(select(PathwayDraft).where(PathwayDraft.reason == "conflict")).one()
        assert "second designer" in draft.text and draft.author == "adm"
    active_text = source_of(app, theirs)
    assert "id: legal_check" in active_text and "second designer" not in active_text
    again = second.post("/designer/edit", {"text": mine, "file_name": "startup.yaml", "base": theirs,
                                           "action": "save", "version": "102"})
    assert again.status_code == 302, "after reading the differences, saving again is a deliberate choice"
    with app.extensions["opera"].sessions() as session:
        log = [(e.type, e.actor_id, e.data) for e in audit.entries(session.connection(), "pathway", "startup")]
    assert [(t, who) for t, who, _d in log] == [("pathway_saved", "des"), ("pathway_draft_kept", "adm"),
                                                ("pathway_saved", "adm")]
    assert log[0][2]["revision"] == theirs and log[0][2]["base_revision"] == old and log[1][2]["reason"] == "conflict"


def test_a_new_pathway_starts_as_a_copy_of_another(as_role, app, pathways_dir):  # noqa: ANN001
    designer = as_role("designer")
    page = designer.post("/designer/new", {"source": "startup", "new_id": "micro_start"})
    assert page.status_code == 200
    text = re.search(r'<textarea id="editor-text"[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    import html

    text = html.unescape(text)
    assert re.search(r"^id: micro_start$", text, re.M) and re.search(r"^version: 1$", text, re.M)
    response = save(designer, text, None, file_name="micro_start.yaml")
    assert response.status_code == 302, response.text
    assert not (pathways_dir / "micro_start.yaml").exists()  # in the database until exported
    assert active_id(app, "micro_start")
    assert app.extensions["opera"].library.export(["micro_start"])[0][0] == pathways_dir / "micro_start.yaml"
    assert (pathways_dir / "micro_start.yaml").read_text(encoding="utf-8") == text


def test_upload_opens_the_file_in_the_editor_checked_and_download_gives_it_back(as_role, app):  # noqa: ANN001
    import io

    designer = as_role("designer")
    rid = active_id(app, "startup")
    download = designer.get(f"/designer/revisions/{rid}/download")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.text == source_of(app, rid)
    page = designer.post("/designer/upload", {"file": (io.BytesIO(download.data), "startup.yaml")},
                         content_type="multipart/form-data")
    assert page.status_code == 200
    assert "No problem found." in page.text


def test_diff_lists_the_changes_in_words_and_as_text(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    old = active_id(app, "startup")
    save(designer, with_stage(source_of(app, old)), old, version="7")
    new = active_id(app, "startup")
    page = designer.get(f"/designer/diff?old={old}&new={new}")
    assert page.status_code == 200
    assert "legal_check" in page.text
    assert 'class="diff-add"' in page.text


# --- simulation -------------------------------------------------------------------------------------

def test_simulation_replays_the_steps_kept_in_the_page_and_touches_no_real_case(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    rid = active_id(app, "startup")
    pathway = app.extensions["opera"].library.revision(rid).pathway
    first = pathway.stages[0]
    page = designer.get(f"/designer/revisions/{rid}/simulate")
    assert page.status_code == 200
    item = first.checklist[0].id
    page = designer.post(f"/designer/revisions/{rid}/simulate",
                         {"steps": "[]", "action": "tick", "as": "operator", "item": item})
    assert page.status_code == 200
    steps = json.loads(re.search(r'name="steps" value="([^"]*)"', page.text).group(1).replace("&#34;", '"'))
    assert steps == [{"as": "operator", "tick": item}]
    assert "step-done" in page.text
    refused = designer.post(f"/designer/revisions/{rid}/simulate",
                            {"steps": json.dumps(steps), "action": "advance", "as": "operator",
                             "item": first.exits[0].id})
    assert "step-refused" in refused.text
    # In words, in the reader's language: who did what, with labels; why it was refused — never JSON.
    import html as html_lib

    steps_list = html_lib.unescape(re.search(r'<ol id="sim-steps">(.*?)</ol>', refused.text, re.S).group(1))
    assert f"Operator: ticks “{first.checklist[0].label['en']}”" in steps_list
    assert f"Operator: takes the exit “{first.exits[0].label['en']}”" in steps_list
    assert "refused</strong>: This exit cannot be taken yet." in steps_list
    assert '{"as"' not in steps_list and "exit_not_allowed" not in steps_list
    with app.extensions["opera"].sessions() as session:
        assert session.scalars(select(Case)).first() is None
    scenario = designer.post(f"/designer/revisions/{rid}/simulate/scenario", {"steps": json.dumps(steps)})
    document = yaml.safe_load(scenario.text)
    assert document["pathway"] == "startup" and document["steps"][0] == {"as": "operator", "tick": item}


def test_a_simulated_form_is_read_as_the_case_page_reads_it(app):  # noqa: ANN001
    from werkzeug.datastructures import MultiDict

    from webui.designer.simulation import step_from_form

    pathway = app.extensions["opera"].library.revision(active_id(app, "community_coop")).pathway
    stage = next(s for s in pathway.stages if s.form is not None
                 and {"number", "integer", "boolean"} <= {f.type for f in s.form.fields})
    number, integer, boolean = (next(f.id for f in stage.form.fields if f.type == t)
                                for t in ("number", "integer", "boolean"))
    posted = MultiDict({"action": "submit", "as": "operator", "stage": stage.id, f"field.{number}": "1.500,5",
                        f"field.{integer}": "2,5", f"field.{boolean}": "true"})
    with app.test_request_context():
        step = step_from_form(pathway, posted, "it")
    # Numbers as written in Italian; a decimal for an integer kept as typed, for the engine to refuse.
    assert step == {"as": "operator", "submit": {number: 1500.5, integer: "2,5", boolean: True}}


def test_running_the_pathways_scenarios_shows_their_results(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    rid = active_id(app, "spinoff")
    page = designer.post(f"/designer/revisions/{rid}/scenarios")
    assert page.status_code == 200
    assert page.text.count("badge-ok") >= 5 and "badge-missing" not in page.text


# --- migration --------------------------------------------------------------------------------------

def test_migration_previews_then_moves_picked_cases_and_refuses_unsafe_ones(as_role, app, service):  # noqa: ANN001
    case_id, _ = open_case(service, "startup", members=WORKERS[:1])
    designer = as_role("designer")
    old = active_id(app, "startup")
    text = source_of(app, old)
    first_stage = app.extensions["opera"].library.revision(old).pathway.stages[0].title["en"]  # titles, not ids
    save(designer, with_stage(text), old, version="8")
    new = active_id(app, "startup")
    page = designer.get("/designer/migrate/startup")
    assert f'id="mig-case-{case_id}"' in page.text
    preview = designer.post("/designer/migrate/startup", {"target": new, "case": case_id, "action": "preview"})
    assert f"{first_stage} → {first_stage}" in preview.text
    with app.extensions["opera"].sessions() as session:
        assert session.get(Case, case_id).revision_id == old
    applied = designer.post("/designer/migrate/startup", {"target": new, "case": case_id, "action": "apply"})
    assert "Migrated." in applied.text
    with app.extensions["opera"].sessions() as session:
        assert session.get(Case, case_id).revision_id == new
    back = designer.post("/designer/migrate/startup", {"target": old, "case": case_id, "action": "apply"})
    assert "Migrated." in back.text, "going back to the older revision is a migration too"


def test_operators_cannot_migrate(as_role, app):  # noqa: ANN001
    assert as_role("operator").get("/designer/migrate/startup").status_code == 403


# --- the access matrix of this area -----------------------------------------------------------------

DESIGNER_ROUTES = [
    ("/designer/", "GET", "read"),
    ("/designer/revisions/<int:revision_id>", "GET", "read"),
    ("/designer/revisions/<int:revision_id>/diagram.svg", "GET", "diagram"),
    ("/designer/revisions/<int:revision_id>/download", "GET", "read"),
    ("/designer/diff", "GET", "read"),
    ("/designer/edit/<pathway_id>", "GET", "edit"),
    ("/designer/edit", "POST", "edit"),
    ("/designer/check", "POST", "edit"),
    ("/designer/new", "POST", "edit"),
    ("/designer/upload", "POST", "edit"),
    ("/designer/revisions/<int:revision_id>/simulate", "GET", "edit"),
    ("/designer/revisions/<int:revision_id>/simulate", "POST", "edit"),
    ("/designer/revisions/<int:revision_id>/simulate/scenario", "POST", "edit"),
    ("/designer/revisions/<int:revision_id>/scenarios", "POST", "edit"),
    ("/designer/migrate/<pathway_id>", "GET", "edit"),
    ("/designer/migrate/<pathway_id>", "POST", "edit"),
]
MAY = {"read": {"designer", "admin", "operator"}, "edit": {"designer", "admin"},
       "diagram": {"designer", "admin", "operator", "mentor"}}  # mentors see it on their cases' pages


def test_the_designer_matrix_covers_every_route_of_the_area(app):  # noqa: ANN001
    declared = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("designer.")
                and rule.endpoint != "designer.static" for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == {(rule, method) for rule, method, _area in DESIGNER_ROUTES}


@pytest.mark.parametrize("role", ["admin", "operator", "mentor", "designer", "worker"])
def test_every_designer_route_refuses_the_roles_without_access(as_role, app, role):  # noqa: ANN001
    browser = as_role(role)
    rid = active_id(app, "startup")
    for rule, method, area in DESIGNER_ROUTES:
        url = (rule.replace("<int:revision_id>", str(rid)).replace("<pathway_id>", "startup")
               + ("?old=%d&new=%d" % (rid, rid) if rule.endswith("/diff") else ""))
        response = browser.get(url) if method == "GET" else browser.post(url, {})
        if role in MAY[area]:
            assert response.status_code not in (401, 403), (rule, method)
        else:
            assert response.status_code == 403, (rule, method)


def test_an_exit_to_a_missing_stage_of_another_pathway_is_a_located_problem(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    text = source_of(app, active_id(app, "wbo"))
    assert "at: idea_motivation" in text
    broken = text.replace("at: idea_motivation", "at: idea_motivatio", 1)
    line = broken.splitlines().index(next(ln for ln in broken.splitlines() if "at: idea_motivatio" in ln)) + 1
    result = designer.client.post("/designer/check", json={"text": broken, "file_name": "wbo.yaml"},
                                  headers={"X-CSRFToken": designer.token()})
    assert result.json["valid"] is False
    assert [p["line"] for p in result.json["problems"]] == [line]
    assert result.json["problems"][0]["message"] == (
        "the pathway 'startup' has no stage 'idea_motivatio' (closest: idea_motivation)")


def test_one_click_steps_tick_upload_sign_and_advance_as_someone_allowed_to(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    rid = active_id(app, "startup")
    first = app.extensions["opera"].library.revision(rid).pathway.stages[0]
    steps = "[]"
    for item in first.checklist:
        page = designer.post(f"/designer/revisions/{rid}/simulate", {"steps": steps, "quick": f"tick:{item.id}"})
        steps = re.search(r'name="steps" value="([^"]*)"', page.text).group(1).replace("&#34;", '"')
    assert [s["tick"] for s in json.loads(steps)] == [i.id for i in first.checklist]
    assert page.text.count("step-done") == len(first.checklist)
    bogus = designer.post(f"/designer/revisions/{rid}/simulate", {"steps": steps, "quick": "sign:nothing"})
    assert len(json.loads(re.search(r'name="steps" value="([^"]*)"', bogus.text).group(1)
                          .replace("&#34;", '"'))) == len(first.checklist), "an unknown item adds no step"


def test_two_saves_from_the_same_state_cannot_both_be_recorded(app):  # noqa: ANN001
    """The database keeps the race honest: both designers passed the check, only one save gets in."""
    from sqlalchemy.exc import IntegrityError

    sessions = app.extensions["opera"].sessions
    rid = active_id(app, "startup")
    with sessions.begin() as session:
        session.add(PathwaySave(pathway_id="startup", revision_id=rid, parent_save_id=0, author="des"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(PathwaySave(pathway_id="startup", revision_id=rid, parent_save_id=0, author="adm"))


def test_a_problem_in_a_shared_stage_names_the_shared_file_and_the_count_is_a_sentence(as_role, app, pathways_dir):  # noqa: ANN001
    (pathways_dir / "shared" / "signing.yaml").write_text(textwrap.dedent("""\
        fragment: signing
        title: {it: Firma, fr: Signature, en: Signing}
        stages:
          - id: signing
            title: {it: Firma, fr: Signature, en: Signing}
            signoffs:
              - {id: deed, label: {it: Atto, fr: Acte, en: Deed}, role: notary}
            exits:
              - {id: signed, label: {it: Firmato, fr: Signé, en: Signed}, to: $next}
        """), encoding="utf-8")
    text = textwrap.dedent("""\
        id: signed_off
        version: 1
        title: {it: Firmato, fr: Signé, en: Signed}
        stages:
          - include: signing
          - id: done
            title: {it: Fine, fr: Fin, en: End}
            exits:
              - {id: end, label: {it: Fine, fr: Fin, en: End}, outcome: withdrawn}
        """)
    designer = as_role("designer")
    result = designer.client.post("/designer/check", json={"text": text, "file_name": "signed_off.yaml"},
                                  headers={"X-CSRFToken": designer.token()})
    problem = result.json["problems"][0]
    assert (problem["code"], problem["elsewhere"], problem["line"]) == ("unknown_role", "shared/signing.yaml", 7)
    assert result.json["summary"] == "1 problem found."
    page = designer.post("/designer/edit", {"text": text, "file_name": "signed_off.yaml", "action": "check"})
    assert "in shared/signing.yaml" in page.text and 'data-line="7"' not in page.text


def test_checking_a_new_pathway_warns_that_no_intake_rule_recommends_it(as_role, app):  # noqa: ANN001
    designer = as_role("designer")
    startup = source_of(app, active_id(app, "startup"))
    copy = re.sub(r"^id: startup$", "id: micro_start", startup, count=1, flags=re.M)

    def check(text: str, file_name: str):  # noqa: ANN202
        return designer.client.post("/designer/check", json={"text": text, "file_name": file_name},
                                    headers={"X-CSRFToken": designer.token()}).json

    result = check(copy, "micro_start.yaml")
    assert result["valid"] is True
    warning = next(p for p in result["problems"] if p["code"] == "never_recommended")
    assert warning["severity"] == "warning" and "entrecomp-intake.yaml" in warning["message"]
    assert not [p for p in check(startup, "startup.yaml")["problems"] if p["code"] == "never_recommended"]
