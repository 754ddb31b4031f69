"""Commands run at the same time (cron overlapping itself, an import while notify runs): each one waits its
turn for the database and finishes, and together they do the work once."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from databank.models import Profile
from engine.models import Event
from tests.conftest import SHIPPED_PATHWAYS
from tests.webui.conftest import open_case
from webui.notifications.models import NotificationCursor, OutboxMessage

OPERA = Path(sys.executable).with_name("opera")
pytestmark = pytest.mark.slow  # each command starts the application (about 5 s)


def run_at_once(db_url: str, tmp_path: Path, *commands: list[str]) -> list[tuple[int, str]]:
    env = {**os.environ, "OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(tmp_path / "instance"),
           "OPERA_PATHWAYS_DIR": str(SHIPPED_PATHWAYS), "OPERA_SECRET_KEY": "cli test"}
    processes = [subprocess.Popen([str(OPERA), *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for command in commands]
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=180)
        results.append((process.returncode, output))
    return results


def test_three_notify_runs_at_once_all_finish_and_queue_each_message_once(db_url, tmp_path, service, people,
                                                                         sessions):
    for _ in range(4):
        open_case(service)
    results = run_at_once(db_url, tmp_path, *[["notify", "--no-send"]] * 3)
    assert [code for code, _ in results] == [0, 0, 0], results
    queued = [int(re.search(r"queued (\d+) from events", output).group(1)) for _, output in results]
    with sessions() as session:
        from_events = session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.event_id.is_not(None)))
        cursor = session.get(NotificationCursor, "events")
        newest = session.scalar(select(func.max(Event.id)))
    assert from_events > 0 and sum(queued) == from_events  # the runs shared the work, nothing twice
    assert cursor.last_event_id == newest


def test_three_imports_and_a_notify_at_once_all_finish(db_url, tmp_path, service, people, sessions):
    rows = "".join(f"Worker {n},worker{n}@example.org,welder\n" for n in range(60))
    source = tmp_path / "people.csv"
    source.write_text("display_name,email,occupations\n" + rows, encoding="utf-8")
    imports = [["databank", "import", str(source), "--kind", "profiles", "--desk", "genova"]] * 3
    results = run_at_once(db_url, tmp_path, *imports, ["notify", "--no-send"])
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert all("60 created" in output for _, output in results[:3]), results
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Profile)) == 180
