"""The method registry: one record per method, declared in the method's own module."""

from __future__ import annotations

import pytest

from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.run import get_method
from sdgbridge.errors import SdgBridgeError


def test_methods_are_offered_in_order() -> None:
    assert list(METHODS) == ["unsd", "escap", "sdsn", "opensdg"]


@pytest.mark.parametrize("name", list(METHODS))
def test_each_record_names_its_parameters(name: str) -> None:
    method = METHODS[name]
    assert (method.name, method.params_file) == (name, f"{name}.toml")
    assert method.label and str(method.params()["version"]).startswith(name)


def test_only_sdsn_needs_the_worlds_data() -> None:
    assert [name for name, m in METHODS.items() if m.worldwide] == ["sdsn"]


def test_unknown_method() -> None:
    with pytest.raises(SdgBridgeError, match="^Unknown method 'magic'; choose one of escap, "):
        get_method("magic")
