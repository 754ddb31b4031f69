"""A new event's data is encoded once: the text its hash covers is the text its row stores, and the hash is
the one `opera check` recomputes from the stored row (engine/events.py `row_hash`)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from engine.audit import chain_hash
from engine.events import event_payload, event_row, row_hash

AT = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
DATA = [
    {},
    {"b": 1, "a": [3, 1, {"z": None, "y": 1.5}], "è": "città «ß» \u2028 \"q\" \\ /"},
    {"nested": {"k2": True, "k1": False}, "empty": [], "n": -7},
]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("stage_id", ["s1", None])
def test_the_hash_is_the_one_check_recomputes_from_the_stored_row(data, stage_id):  # noqa: ANN001
    row = event_row(case_id=42, seq=7, type="form_submitted", actor_id="op1", actor_roles=["operator", "mentor"],
                    at=AT, stage_id=stage_id, data=data, prev_hash="ab" * 32)
    assert row["hash"] == chain_hash("ab" * 32, event_payload(42, 7, "form_submitted", "op1", ["mentor", "operator"],
                                                             stage_id, data))
    # What the database gives back (the JSON text decoded) hashes the same.
    stored = SimpleNamespace(**{**row, "data": json.loads(row["data"]), "actor_roles": json.loads(row["actor_roles"])})
    assert stored.data == data and stored.actor_roles == ["mentor", "operator"]
    assert row_hash(stored, "ab" * 32) == row["hash"]


def test_data_json_cannot_hold_is_refused_as_the_column_would():
    with pytest.raises(TypeError):
        event_row(case_id=1, seq=1, type="x", actor_id="a", actor_roles=[], at=AT, stage_id=None,
                  data={"when": AT}, prev_hash="")
