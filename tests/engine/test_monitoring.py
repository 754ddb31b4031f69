"""Programme monitoring figures, checked against a hand-computed fixture, on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine import Actor, Member
from engine.models import Desk
from engine.monitoring import Scope, case_ids, dashboard

from .test_cases import MENTOR, OPERATOR, finish_welcome, open_group

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NICE_OPERATOR = Actor.of("op-nice", ["operator"], ["nice"])


def build(service, clock):  # noqa: ANN001, ANN201
    """Five cases at Genova, one at Nice; welcome takes 2, 4, 6 and 8 days; two cases closed; the two
    opened on day 10 are due on day 20 (welcome: 10 days), the two in study on days 36 and 38."""
    ids = []
    for days in (2, 4, 6, 8):
        clock[0] = T0
        case_id, v = open_group(service, members=[Member(f"w{days}")])
        clock[0] = T0 + timedelta(days=days)
        v = finish_welcome(service, case_id, v, members=[Member(f"w{days}")])
        ids.append((case_id, v))
    clock[0] = T0 + timedelta(days=10)
    service.withdraw(ids[0][0], OPERATOR, ids[0][1], "found a job")
    service.close(ids[1][0], OPERATOR, ids[1][1], "employed", "hired", jobs_kept=1)
    open_group(service, members=[Member("w-late")])  # still at welcome, due in 10 days
    service.open_case(NICE_OPERATOR, pathway_id="solo", desk_id="nice", members=[Member("w-nice")],
                      supply_chains=["sustainable_tourism"])
    return [i for i, _ in ids]


def test_the_dashboard_counts_what_happened(service, sessions):
    clock = [T0]
    service.clock = lambda: clock[0]
    ids = build(service, clock)
    with sessions() as session:
        board = dashboard(session.connection(), Scope(), now=T0 + timedelta(days=30))
        genova = dashboard(session.connection(), Scope(country="IT"), now=T0 + timedelta(days=30))
    assert board.totals == {"opened": 6, "active": 4, "on_hold": 0, "closed": 2, "overdue": 2}
    assert board.by_pathway["mini"] == {"opened": 5, "active": 3, "on_hold": 0, "closed": 2}
    assert board.outcomes == {"withdrawn": 1, "employed": 1}
    assert board.jobs == {"created": 0, "kept": 1}
    assert board.funnel["mini"] == {"welcome": 5, "study": 4}
    welcome = board.stage_times[("mini", "welcome")]
    assert (welcome.visits, welcome.median_days, welcome.p90_days) == (4, 5.0, 8.0)
    assert board.supply_chains == {"nautical_shipbuilding": 5, "sustainable_tourism": 1}
    assert genova.totals["opened"] == 5 and "solo" not in genova.by_pathway
    with sessions() as session:
        connection = session.connection()
        assert case_ids(connection, Scope(), "outcome", "employed") == [ids[1]]
        assert case_ids(connection, Scope(), "stage", "mini/study") == ids
        assert len(case_ids(connection, Scope(desks=("nice",)), "opened")) == 1


def test_the_period_selects_cases_by_their_opening(service, sessions):
    clock = [T0]
    service.clock = lambda: clock[0]
    build(service, clock)
    with sessions() as session:
        later = dashboard(session.connection(), Scope(opened_from=T0 + timedelta(days=5)))
    assert later.totals["opened"] == 2  # the two cases opened on day 10


def test_jobs_must_be_whole_non_negative_numbers(service):
    import pytest

    from engine import InvalidOperation

    case_id, v = open_group(service)
    with pytest.raises(InvalidOperation) as refused:
        service.close(case_id, OPERATOR, v, "company_created", "done", jobs_created=-2)
    assert refused.value.code == "jobs_invalid"
