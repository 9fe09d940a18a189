"""The API's parameter types name exactly what the library knows."""

from __future__ import annotations

from typing import get_args

from sdgbridge.assessment.methods import METHODS
from sdgbridge.knowledge.store import KINDS
from sdgbridge.web.deps import DocumentKind, MethodName


def test_method_names_are_the_assessment_methods() -> None:
    assert sorted(get_args(MethodName)) == sorted(METHODS)


def test_document_kinds_are_the_stores() -> None:
    assert get_args(DocumentKind) == KINDS
