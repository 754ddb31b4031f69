"""What every page reads of the logged-in account, and the case page's reads of the case, in few statements."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from .conftest import open_case


@contextmanager
def statements(app):  # noqa: ANN001, ANN201
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        seen.append(" ".join(statement.split()).lower())

    engine = app.extensions["opera"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_account_its_desks_roles_and_last_look_at_my_work_are_one_statement(app, as_role):
    operator = as_role("operator")
    with statements(app) as seen:
        page = operator.get("/desks/genova")
    assert page.status_code == 200
    of_account = [s for s in seen if "desk_memberships" in s or "work_seen" in s or "where users.id =" in s
                  or s.startswith("select user_roles")]
    assert len(of_account) == 1, of_account
    assert all(table in of_account[0] for table in ("from users", "desk_memberships", "user_roles", "work_seen"))


def test_the_case_page_reads_the_case_with_its_members(app, service, as_role):
    case_id, _v = open_case(service)
    operator = as_role("operator")
    with statements(app) as seen:
        page = operator.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "Anna Rossi" in page.text
    assert not [s for s in seen if s.startswith("select case_members.")], "the members come with the case"
    # Neither the revision's hash again (read once per application) nor a ranking of answers there are none of.
    with statements(app) as seen:
        assert operator.get(f"/cases/{case_id}").status_code == 200
    assert not [s for s in seen if "pathway_revisions.content_hash" in s
                or s.startswith("select assessment_responses.result from")]
