"""The matched route of a request, as its full path template."""

from __future__ import annotations

from starlette.types import Scope


def route_template(scope: Scope, route: object) -> str | None:
    """The route's path template (`/api/v1/tasks/{task_ref}`); None when nothing matched."""
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    # An included router's route knows only its own part of the path; the rest is the prefix.
    try:
        own = path.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return path
    full = str(scope["path"])
    return full[: len(full) - len(own)] + path if full.endswith(own) else path
