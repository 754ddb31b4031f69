"""Refusals of the databank: values with a code, parameters and a localized message (like the engine's,
and subclasses of them, so a caller that handles `EngineError` handles these too)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import EngineError, NotAllowed
from engine.i18n import DEFAULT_LANGUAGE, localize

from .i18n import message


def localized_params(params: dict[str, Any], lang: str) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, dict) and value and set(value) <= {"it", "fr", "en"}:
            return localize(value, lang)
        if isinstance(value, (list, tuple)):
            return [one(v) for v in value]
        return value

    return {k: one(v) for k, v in params.items()}


class Explained:
    """A code and its parameters, read as a sentence in the reader's language."""

    code: str
    params: dict[str, Any]

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return message(self.code, lang, **localized_params(self.params, lang))


@dataclass(frozen=True)
class Problem(Explained):
    """What is wrong with one value: the field it is in, a code and its parameters."""

    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message(lang)}


class DatabankError(EngineError):
    code = "databank.error"

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return message(self.code, lang, **localized_params(self.params, lang))


class EntryNotFound(DatabankError):
    code = "databank.profile_not_found"


class StaleEntry(DatabankError):
    """The actor edited a version of the entry that is no longer the current one."""

    code = "databank.stale"

    def __init__(self, expected: int, actual: int):
        super().__init__("databank.stale", expected=expected, actual=actual)


class EntryInvalid(DatabankError):
    """Values that do not make a valid profile or resource; `problems` says which and why."""

    code = "databank.entry_invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("databank.entry_invalid")

    def field_errors(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for p in self.problems:
            errors.setdefault(p.field, []).append(p.message(lang))
        return errors

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        details = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.field_errors(lang).items())
        return message("databank.entry_invalid", lang, details=details)


class DatabankNotAllowed(NotAllowed):
    """Same as the engine's refusal, with the databank's reasons."""

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        reason = message(self.reason_code, lang, **localized_params(self.reason_params, lang))
        return message("not_allowed", lang, reason=reason)
