"""One `transitions` state machine per pathway revision, built once and shared by every case on it.

The machine persists nothing: the case row is the truth. To move a case, the service builds a light
`StageHolder` from the row, triggers the exit's event on it (the guard asks the engine's requirement check)
and writes the resulting state back to the row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from transitions import EventData, Machine

from .pathway import Pathway


class ExitCheck(Protocol):
    def allows(self, exit_id: str) -> bool: ...


@dataclass
class StageHolder:
    """Stands in for a case while the machine runs: just the state."""

    state: str


def trigger_name(stage_id: str, exit_id: str) -> str:
    return f"{stage_id}__{exit_id}"


def _guard(event_data: EventData) -> bool:
    check: ExitCheck = event_data.kwargs["check"]
    return check.allows(event_data.kwargs["exit_id"])


def build_machine(pathway: Pathway) -> Machine:
    states: list[str] = list(pathway.stage_ids)
    transitions: list[dict[str, Any]] = []
    for stage in pathway.stages:
        for exit_ in stage.exits:
            target = exit_.target_state
            if target not in states:
                states.append(target)
            transitions.append({
                "trigger": trigger_name(stage.id, exit_.id), "source": stage.id, "dest": target,
                "conditions": [_guard],
            })
    return Machine(model=None, states=states, transitions=transitions, initial=pathway.start,
                   send_event=True, auto_transitions=False, ignore_invalid_triggers=False)


def fire(machine: Machine, stage_id: str, exit_id: str, check: ExitCheck) -> str | None:
    """Take an exit: the new state, or None if the guard refused."""
    holder = StageHolder(stage_id)
    event = machine.events[trigger_name(stage_id, exit_id)]
    if not event.trigger(holder, check=check, exit_id=exit_id):
        return None
    return holder.state
