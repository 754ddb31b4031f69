"""Form answers checked against a stage form's JSON Schema, as the engine's localized errors."""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from ..errors import (
    Unmet,
)

_FORMAT_CHECKER = FormatChecker()


def form_errors(schema: dict[str, Any], data: dict[str, Any],
                validator: Draft202012Validator | None = None) -> dict[str, list[Unmet]]:
    errors: dict[str, list[Unmet]] = {}
    validator = validator or Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    for error in validator.iter_errors(data):
        if error.validator == "required":
            missing = [m for m in error.validator_value if m not in data]
            for name in missing:
                errors.setdefault(name, []).append(Unmet("form.required", name))
            continue
        if error.validator == "additionalProperties":
            for name in sorted(set(data) - set(schema["properties"])):
                errors.setdefault(name, []).append(Unmet("form.unknown_field", name))
            continue
        name = str(error.absolute_path[0]) if error.absolute_path else "_"
        code = error.validator
        params: dict[str, Any] = {}
        if code == "type":
            expected = error.validator_value
            params["expected"] = {lang: _type_word(expected, lang) for lang in ("it", "fr", "en")}
        elif code in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"):
            params["limit"] = error.validator_value
        elif code == "format":
            params["format"] = error.validator_value
        elif code in ("enum", "uniqueItems"):
            code = "enum"
        elif code != "pattern":
            code = "invalid"
        errors.setdefault(name, []).append(Unmet("form." + code, name, params))
    return errors


def _type_word(expected: Any, lang: str) -> str:
    from ..i18n import message

    return message("type." + (expected if isinstance(expected, str) else expected[0]), lang)
