"""Progress over a pathway: a worker's follow-up assessment compared with their intake, per competence and
per area of EntreComp ("before / after").

A follow-up assessment is compared with the assessment its file names in `compares_to` (its intake), as
declared by the revision the follow-up was answered on (or, for answers given on a revision that named
none, by the newest revision of the follow-up). Competences are
matched by their dimension ids, each side read on the revision its answers were pinned to: only the ids
present in both revisions, with a score on both sides, are compared; the others are listed as not compared.
An area's score on each side is the mean of its compared competences, so both sides count the same ones.

A case continued on another pathway (the pathway choice, a switch, a referral) starts a new case: the
worker's answers are looked for in the case and in the chain of cases before it (`previous_case_id`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .assessment import Assessment
from .assessment_library import AssessmentLibrary
from .models import AssessmentResponse, Case
from .pathway import Text

@dataclass(frozen=True)
class Change:
    """One competence (or area): its score at intake, at follow-up, and the difference (1-5 scale)."""

    id: str
    title: Text
    before: float
    after: float
    area: str | None = None

    @property
    def change(self) -> float:
        return round(self.after - self.before, 2)


@dataclass(frozen=True)
class Answered:
    """Which submitted answers a side of the comparison comes from."""

    assessment_id: str
    revision_id: int
    case_id: int
    submitted_at: datetime
    title: Text


@dataclass(frozen=True)
class Progress:
    person_id: str
    before: Answered
    after: Answered
    competences: tuple[Change, ...]
    areas: tuple[Change, ...]
    not_compared: tuple[str, ...] = ()  # dimension ids scored on one side only


def compare(baseline: Assessment, before_scores: Mapping[str, Any], followup: Assessment,
            after_scores: Mapping[str, Any]) -> tuple[tuple[Change, ...], tuple[Change, ...], tuple[str, ...]]:
    """Competences and areas compared (in the follow-up's order), and the dimensions that could not be."""
    competences: list[Change] = []
    not_compared: list[str] = []
    for dimension in followup.dimensions:
        before, after = before_scores.get(dimension.id), after_scores.get(dimension.id)
        if baseline.dimension(dimension.id) is None or not _score(before) or not _score(after):
            not_compared.append(dimension.id)
            continue
        competences.append(Change(dimension.id, dimension.title, float(before), float(after), dimension.area))
    not_compared += [d.id for d in baseline.dimensions if followup.dimension(d.id) is None]
    areas: list[Change] = []
    for area in dict.fromkeys(c.area for c in competences if c.area):
        members = [c for c in competences if c.area == area]
        title = followup.areas.get(area) or baseline.areas.get(area) or area
        areas.append(Change(area, title, _mean(c.before for c in members), _mean(c.after for c in members), area))
    return tuple(competences), tuple(areas), tuple(not_compared)


def case_chain(session: Session, case_id: int) -> list[int]:
    """The case and the cases it continues, newest first."""
    chain: list[int] = []
    current: int | None = case_id
    while current is not None and current not in chain:
        chain.append(current)
        row = session.get(Case, current)  # the session's own when the page has read it already
        current = row.previous_case_id if row is not None else None
    return chain


def baseline_of(session: Session, assessments: AssessmentLibrary, assessment_id: str,
                revision_id: int) -> str | None:
    """The assessment answers on this revision are compared with: its `compares_to`, else the newest
    revision's (answers given before the file named its baseline still count)."""
    declared = assessments.revision(revision_id, session).compares_to
    if declared is not None:
        return declared
    newest = assessments.current_revision_id(assessment_id, session)
    return assessments.revision(newest, session).compares_to if newest != revision_id else None


def case_progress(session: Session, assessments: AssessmentLibrary, case_id: int) -> list[Progress]:
    """For each worker of the case with a submitted re-assessment (an assessment that `compares_to`
    another) and the assessment it is compared with: their progress (workers in the case's order; a
    worker with only one of the two is left out)."""
    case = session.get(Case, case_id)
    if case is None:
        return []
    workers = [m.person_id for m in case.members if m.kind == "worker"]
    rows = list(session.scalars(select(AssessmentResponse).where(
        AssessmentResponse.case_id.in_(case_chain(session, case_id)),
        AssessmentResponse.person_id.in_(workers),
        AssessmentResponse.submitted_at.is_not(None)).order_by(AssessmentResponse.submitted_at,
                                                               AssessmentResponse.id)))
    baselines: dict[tuple[str, int], str | None] = {}
    out = []
    for person in workers:
        mine = [r for r in rows if r.person_id == person and r.result]
        for followup_id in dict.fromkeys(r.assessment_id for r in mine):
            # The latest follow-up against the first intake: answers carried to a new case are copies.
            after = next(r for r in reversed(mine) if r.assessment_id == followup_id)
            key = (followup_id, after.revision_id)
            if key not in baselines:
                baselines[key] = baseline_of(session, assessments, followup_id, after.revision_id)
            baseline_id = baselines[key]
            before = next((r for r in mine if r.assessment_id == baseline_id and r.submitted_at <= after.submitted_at),
                          None) if baseline_id else None
            if before is None:
                continue
            baseline_spec = assessments.revision(before.revision_id, session)
            followup_spec = assessments.revision(after.revision_id, session)
            competences, areas, not_compared = compare(baseline_spec, before.result.get("scores", {}),
                                                       followup_spec, after.result.get("scores", {}))
            if not competences:
                continue
            out.append(Progress(
                person,
                Answered(baseline_id, before.revision_id, before.case_id, before.submitted_at, baseline_spec.title),
                Answered(followup_id, after.revision_id, after.case_id, after.submitted_at, followup_spec.title),
                competences, areas, not_compared))
    return out


def _score(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return round(sum(values) / len(values), 2)
