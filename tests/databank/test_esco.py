"""The ESCO taxonomy: import from the official CSV layout, re-import, refusals, and the pickers."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from databank.esco import EscoImportError, demo_directory, import_esco, preferred_labels, suggest
from databank.models import EscoConcept, EscoLabel

from .conftest import ESCO_FIXTURE, SHIPWRIGHT, TIG, TOUR_GUIDE, WELDER, WELDING, WIND_TECHNICIAN


def counts(sessions):  # noqa: ANN001, ANN201
    with sessions() as session:
        return (session.scalar(select(func.count()).select_from(EscoConcept)),
                session.scalar(select(func.count()).select_from(EscoLabel)))


def test_import_reads_every_language_file_and_ignores_the_others(sessions, taxonomy):
    assert sorted((f.kind, f.language) for f in taxonomy.files) == [
        ("occupation", "en"), ("occupation", "fr"), ("occupation", "it"), ("skill", "en"), ("skill", "it")]
    assert taxonomy.new_concepts == 10
    with sessions() as session:
        welder = session.get(EscoConcept, WELDER)
        assert (welder.kind, welder.isco_group, welder.code) == ("occupation", "7212", "7212.1")
        alternatives = session.scalars(select(EscoLabel.label).where(
            EscoLabel.uri == WELDER, EscoLabel.language == "en", EscoLabel.label_type == 1)).all()
        assert sorted(alternatives) == ["ship welder", "welding operator"]


def test_importing_the_same_files_again_changes_nothing(sessions, taxonomy):
    before = counts(sessions)
    again = import_esco(sessions, ESCO_FIXTURE)
    assert again.new_concepts == 0
    assert counts(sessions) == before


def test_a_new_release_replaces_the_labels_of_its_language(sessions, taxonomy, tmp_path):
    shutil.copytree(ESCO_FIXTURE, tmp_path / "esco")
    path = tmp_path / "esco" / "occupations_en.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("shipwright", "boatwright"), encoding="utf-8")
    import_esco(sessions, tmp_path / "esco")
    with sessions() as session:
        assert preferred_labels(session, [SHIPWRIGHT], "en")[SHIPWRIGHT] == ("boatwright", "en")
        assert preferred_labels(session, [SHIPWRIGHT], "it")[SHIPWRIGHT] == ("carpentiere navale", "it")


def test_a_file_that_is_not_esco_is_refused_and_nothing_is_imported(sessions, tmp_path):
    (tmp_path / "occupations_en.csv").write_text("uri,label\nx,y\n", encoding="utf-8")
    with pytest.raises(EscoImportError) as refused:
        import_esco(sessions, tmp_path)
    assert "conceptType" in refused.value.message("en")
    assert counts(sessions) == (0, 0)


def test_one_bad_row_stops_the_whole_import(sessions, tmp_path):
    shutil.copytree(ESCO_FIXTURE, tmp_path / "esco")
    path = tmp_path / "esco" / "skills_it.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("http://data.europa.eu/esco/skill/22222222-bbbb-4bbb-8bbb-000000000003",
                                                            "not-a-uri"), encoding="utf-8")
    with pytest.raises(EscoImportError) as refused:
        import_esco(sessions, tmp_path / "esco")
    assert "skills_it.csv, riga 4" in refused.value.message("it")
    assert counts(sessions) == (0, 0)


def test_a_file_in_another_encoding_is_refused(sessions, tmp_path):
    (tmp_path / "skills_fr.csv").write_bytes("conceptType,conceptUri,preferredLabel,altLabels\n".encode()
                                             + "KnowledgeSkillCompetence,x,soudage à l'arc,\n".encode("latin-1"))
    with pytest.raises(EscoImportError) as refused:
        import_esco(sessions, tmp_path)
    assert "UTF-8" in refused.value.message("en")


def test_a_directory_without_esco_files_is_refused(sessions, tmp_path):
    with pytest.raises(EscoImportError) as refused:
        import_esco(sessions, tmp_path)
    assert "occupations_<language>.csv" in refused.value.message("en")


def test_the_picker_finds_words_by_their_beginning_in_the_users_language(sessions, taxonomy):
    with sessions() as session:
        found = suggest(session, "sald", lang="it")
        # labels that start with the typing first, then shorter ones
        assert [(s.uri, s.label) for s in found] == [
            (WELDER, "saldatore"), (TIG, "saldatura TIG"), (WELDING, "utilizzare apparecchiature per saldatura")]
        assert [s.uri for s in suggest(session, "sald", kind="occupation", lang="it")] == [WELDER]


def test_the_picker_matches_alternative_and_hidden_labels_but_shows_the_preferred_one(sessions, taxonomy):
    with sessions() as session:
        (tig,) = suggest(session, "tig weld", kind="skill", lang="en")
        assert (tig.uri, tig.label, tig.matched) == (TIG, "tungsten inert gas welding", "TIG welding")
        (misspelt,) = suggest(session, "wleder", lang="en")
        assert (misspelt.uri, misspelt.label, misspelt.matched) == (WELDER, "welder", "")


def test_the_picker_falls_back_to_english_when_the_language_is_missing(sessions, taxonomy):
    with sessions() as session:
        (technician,) = suggest(session, "turbine", kind="occupation", lang="fr")
        assert (technician.uri, technician.label, technician.language) == (WIND_TECHNICIAN, "wind turbine technician", "en")
        (guide,) = suggest(session, "guide", kind="occupation", lang="fr")
        assert (guide.uri, guide.label) == (TOUR_GUIDE, "guide touristique")


def test_the_picker_ignores_case_accents_and_punctuation(sessions, taxonomy):
    with sessions() as session:
        assert [s.uri for s in suggest(session, "MAÎTRE d’Ascia", lang="it")] == []
        assert [s.uri for s in suggest(session, "MAESTRO d’Ascia", lang="it")] == [SHIPWRIGHT]
        assert suggest(session, "  ", lang="it") == []


def test_the_demo_subset_loads_in_three_languages(sessions):
    report = import_esco(sessions, demo_directory())
    assert report.languages == ["en", "fr", "it"]
    assert report.new_concepts >= 50
    with sessions() as session:
        assert {s.label for s in suggest(session, "eolic", lang="it")} >= {"tecnico di turbine eoliche"}
