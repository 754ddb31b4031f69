"""The dossier of a case gathers its stages, who met each requirement, assessments and the timeline."""
from __future__ import annotations

from engine.dossier import case_dossier

from .test_cases import MENTOR, OPERATOR, WORKERS, finish_welcome, open_group


def test_the_dossier_says_who_did_what_in_each_stage(service, sessions, library, assessments):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True, "investment": 1500.5}).version
    service.sign_off(case_id, MENTOR, v, "review", comment="Piano solido")
    names = {"op1": "Giulia Parodi", "men1": "Marco Neri"}
    with sessions() as session:
        dossier = case_dossier(session, library, assessments, case_id, "it", lambda p: names.get(p, p))
    assert dossier.pathway == "Mini percorso" and dossier.version == "1" and dossier.status == "attiva"
    assert dossier.workers == [w.display_name for w in WORKERS] and dossier.mentors == ["Marco Neri"]
    assert [s.id for s in dossier.stages] == ["welcome", "study"]
    welcome, study = dossier.stages
    assert welcome.left is not None and not welcome.current and study.current
    consent = next(r for r in welcome.requirements if r.kind == "checklist" and r.label == "Consenso")
    assert [(what, who) for what, who, _ in consent.entries] == [(w.display_name, w.display_name) for w in WORKERS]
    form = next(r for r in study.requirements if r.kind == "form")
    assert ("Fattibile: sì", "Giulia Parodi") in [(what, who) for what, who, _ in form.entries]
    review = next(r for r in study.requirements if r.kind == "signoff")
    assert [(what, who) for what, who, _ in review.entries] == [("Piano solido", "Marco Neri")]
    assert dossier.timeline[-1].text == "Marco Neri ha dato il benestare 'Revisione'."
