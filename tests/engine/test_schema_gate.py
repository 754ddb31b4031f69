"""The fast schema check only ever says 'valid' when the full validator agrees."""
from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.loader import read_file
from engine.validation import fast_validator, validator

from ..conftest import SHIPPED_PATHWAYS

DOCUMENT = read_file(SHIPPED_PATHWAYS / "wbo.yaml").data
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8)


def places(node, path=()):  # noqa: ANN001, ANN201
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from places(value, path + (index,))


PLACES = [p for p in places(DOCUMENT) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PLACES), json_values)
def test_the_fast_check_never_accepts_what_the_full_validator_refuses(place, value):
    doc = copy.deepcopy(DOCUMENT)
    target = doc
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = value
    fast = fast_validator("pathway.schema.json")
    assert fast is not None
    try:
        fast(doc)
    except Exception:  # noqa: BLE001 - refused: the full validator will explain
        return
    assert list(validator("pathway.schema.json").iter_errors(doc)) == []
