"""Share what FastAPI derives from our routes between the apps of one test process.

Every test builds its own app, and FastAPI prepares a router's routes lazily, on the first
request that reaches it: for each route it reads the signatures of the endpoint and its
dependencies (evaluating their string annotations) and builds a pydantic TypeAdapter per
parameter, body and response field, about 300 per app (five per route for the documented
problem responses alone). That was about 40% of a typical test's time (100 ms of the 250 ms it
takes to set up a board). Both are pure functions of what they are built from, and their results
are immutable, so each is computed once per process here, as a production process (one app)
does anyway. Requests, validation errors and the OpenAPI document are the same either way.

What cannot be keyed (an unhashable field default, a callable that is not weak-referenceable)
is built as before.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

from fastapi._compat import v2
from fastapi.dependencies import utils

_adapters: dict[object, Any] = {}
_signatures: weakref.WeakKeyDictionary[Callable[..., Any], inspect.Signature] = (
    weakref.WeakKeyDictionary()
)


def _key(value: object) -> object:
    """A hashable key, equal only for equal values of the same types (so 0, False and 0.0
    differ). Raises TypeError for what cannot be keyed."""
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_key(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((_key(k), _key(v)) for k, v in value.items()))
    hash(value)
    return (type(value), value)


def install() -> None:
    """Patch FastAPI (this process only). On a FastAPI without these internals, do nothing."""
    if not hasattr(v2, "asdict") or not hasattr(utils, "get_typed_signature"):
        return
    build_adapter = v2.ModelField.__post_init__
    typed_signature = utils.get_typed_signature

    def post_init(field: v2.ModelField) -> None:
        # What FastAPI builds the field's TypeAdapter from (see ModelField.__post_init__).
        described = v2.asdict(field.field_info)
        try:
            key = _key(
                (
                    described["annotation"],
                    described["metadata"],
                    described["attributes"],
                    field.config,
                )
            )
        except TypeError:
            build_adapter(field)
            return
        adapter = _adapters.get(key)
        if adapter is None:
            build_adapter(field)
            _adapters[key] = field._type_adapter
        else:
            field._type_adapter = adapter

    def get_typed_signature(call: Callable[..., Any]) -> inspect.Signature:
        # Weak keys: the few dependencies made per app (closures) go with their app.
        try:
            found = _signatures.get(call)
        except TypeError:
            return typed_signature(call)
        if found is None:
            found = _signatures[call] = typed_signature(call)
        return found

    v2.ModelField.__post_init__ = post_init  # type: ignore[method-assign]
    utils.get_typed_signature = get_typed_signature
