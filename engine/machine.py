"""One `transitions` state machine per pathway revision, built once and shared by every case on it.

The machine persists nothing: the case row is the truth. To move a case, the service triggers the exit's
event on a light `StageHolder` made from the row (the guard asks the engine's requirement check) and writes
the resulting state back to the row.

The machine's transitions carry no callbacks, only that guard: taking an exit is asking the guard, then
going to the transition's destination. `PathwayMachine` reads that table from its own transitions once, when
it is built, so that an operation asks it in a lookup (`fire`) instead of through the library's event
processing on every step; a transition the table does not cover goes through the library as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Protocol

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


class PathwayMachine(Machine):
    """The machine of one revision, with `destinations`: for each (stage, exit) whose event has exactly one
    transition from that stage, guarded by `_guard` alone and with no callback, the state it leads to."""

    destinations: Mapping[tuple[str, str], str]

    def __init__(self, *args: Any, exits: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.destinations = MappingProxyType(self._plain_destinations(exits))

    def _plain_destinations(self, exits: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        machine_callbacks = (self.prepare_event, self.finalize_event, self.before_state_change,
                             self.after_state_change, self.on_exception, getattr(self, "on_final", None))
        if any(machine_callbacks):
            return {}
        plain: dict[tuple[str, str], str] = {}
        for stage_id, exit_id in exits:
            event = self.events.get(trigger_name(stage_id, exit_id))
            found = event.transitions.get(stage_id, []) if event is not None else []
            if len(found) != 1:
                continue
            transition = found[0]
            conditions = transition.conditions
            source, dest = self.get_state(stage_id), self.get_state(transition.dest)
            if (len(conditions) != 1 or conditions[0].func is not _guard or conditions[0].target is not True
                    or transition.prepare or transition.before or transition.after
                    or source.on_exit or dest.on_enter or getattr(dest, "final", False)):
                continue
            plain[stage_id, exit_id] = transition.dest
        return plain


def build_machine(pathway: Pathway) -> PathwayMachine:
    states: list[str] = list(pathway.stage_ids)
    transitions: list[dict[str, Any]] = []
    exits: list[tuple[str, str]] = []
    for stage in pathway.stages:
        for exit_ in stage.exits:
            target = exit_.target_state
            if target not in states:
                states.append(target)
            transitions.append({
                "trigger": trigger_name(stage.id, exit_.id), "source": stage.id, "dest": target,
                "conditions": [_guard],
            })
            exits.append((stage.id, exit_.id))
    return PathwayMachine(model=None, states=states, transitions=transitions, initial=pathway.start,
                          send_event=True, auto_transitions=False, ignore_invalid_triggers=False, exits=exits)


def fire(machine: Machine, stage_id: str, exit_id: str, check: ExitCheck) -> str | None:
    """Take an exit: the new state, or None if the guard refused."""
    dest = getattr(machine, "destinations", {}).get((stage_id, exit_id))
    if dest is not None:
        return dest if check.allows(exit_id) else None
    return fire_through_events(machine, stage_id, exit_id, check)


def fire_through_events(machine: Machine, stage_id: str, exit_id: str, check: ExitCheck) -> str | None:
    """`fire` through the library's own event processing (what `destinations` stands for)."""
    holder = StageHolder(stage_id)
    event = machine.events[trigger_name(stage_id, exit_id)]
    if not event.trigger(holder, check=check, exit_id=exit_id):
        return None
    return holder.state
