"""Errors are values: a code, parameters and a localized message — never a bare string."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .i18n import DEFAULT_LANGUAGE, message


@dataclass(frozen=True)
class Unmet:
    """One reason why something cannot be done yet (an unmet requirement, a false condition...)."""

    code: str
    requirement: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        params = {k: _localized_param(v, lang) for k, v in self.params.items()}
        return message(self.code, lang, **params)

    def as_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {"code": self.code, "requirement": self.requirement, "message": self.message(lang)}


def _localized_param(value: Any, lang: str) -> Any:
    from .i18n import localize

    if isinstance(value, dict) and set(value) <= {"it", "fr", "en"}:
        return localize(value, lang)
    if isinstance(value, list):
        return [_localized_param(v, lang) for v in value]
    return value


class EngineError(Exception):
    """Base of every refusal the engine gives. `code` is stable; `message(lang)` is for people."""

    code = "engine_error"

    def __init__(self, code: str | None = None, **params: Any):
        self.code = code or self.code
        self.params = params
        super().__init__(self.code)

    def __str__(self) -> str:
        # Written when asked, not when raised: an operation makes some refusals ready before it knows
        # whether it will need them (engine/cases/requirements.py `tick`).
        return self.message(DEFAULT_LANGUAGE)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        params = {k: _localized_param(v, lang) for k, v in self.params.items()}
        return message(self.code, lang, **params)


class NotFound(EngineError):
    code = "case_not_found"


class ConflictError(EngineError):
    """The actor acted on a version of the case that is no longer the current one."""

    code = "conflict"

    def __init__(self, expected: int, actual: int, changes: list[dict[str, Any]] | None = None):
        self.changes = changes or []
        super().__init__("conflict", expected=expected, actual=actual)


class NotAllowed(EngineError):
    code = "not_allowed"

    def __init__(self, reason_code: str, **params: Any):
        self.reason_code = reason_code
        self.reason_params = params
        super().__init__("not_allowed", reason_code=reason_code)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        params = {k: _localized_param(v, lang) for k, v in self.reason_params.items()}
        return message("not_allowed", lang, reason=message(self.reason_code, lang, **params))


class InvalidOperation(EngineError):
    """The operation makes no sense in the case's current state (closed, on hold, unknown id...)."""

    code = "invalid_operation"


class RequirementsNotMet(EngineError):
    """An exit was asked for while some of its requirements or its condition do not hold."""

    code = "exit_not_allowed"

    def __init__(self, exit_id: str, unmet: list[Unmet]):
        self.exit_id = exit_id
        self.unmet = unmet
        super().__init__("exit_not_allowed")

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        head = message("exit_not_allowed", lang)
        return " ".join([head] + [u.message(lang) for u in self.unmet])


class FormInvalid(EngineError):
    """Form data that does not satisfy the stage's form; `field_errors` maps field name to Unmet list."""

    code = "form_invalid"

    def __init__(self, field_errors: dict[str, list[Unmet]]):
        self.field_errors = field_errors
        super().__init__("form_invalid")

    def messages(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, list[str]]:
        return {name: [u.message(lang) for u in errs] for name, errs in self.field_errors.items()}

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        details = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.messages(lang).items())
        return message("form_invalid", lang) + (f" ({details})" if details else "")


class DocumentRefused(EngineError):
    code = "document_type"
