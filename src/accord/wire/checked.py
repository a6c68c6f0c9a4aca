"""Building a wire model from values its sender has checked already, without validating them.

pydantic's ``model_construct`` costs as much as validating, so the hot paths that assemble a
model from checked values (every envelope, SAOP's request of every turn) fill the instance in
directly, exactly as ``model_construct`` would. Receivers validate what a transport brings.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["filled"]

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__
_new = object.__new__  # what ``model.__new__`` finds, without the look-up through the MRO
_slot = BaseModel.__dict__
_set_fields_set = _slot["__pydantic_fields_set__"].__set__
_set_extra = _slot["__pydantic_extra__"].__set__
_set_private = _slot["__pydantic_private__"].__set__


def filled(model: type[M], fields: dict[str, Any], fields_set: Set[str]) -> M:
    """An instance of ``model`` holding ``fields`` as they are (every field, no extras, no
    private attributes); ``fields_set`` is what pydantic reports as explicitly set."""
    instance: M = _new(model)
    _set(instance, "__dict__", fields)
    _set_fields_set(instance, set(fields_set))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance
