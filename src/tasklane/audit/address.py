from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tasklane.security import client_address


def _address(request: Request) -> str:
    return client_address(request)


ClientAddress = Annotated[str, Depends(_address)]
"""The caller's address (tasklane.security.client_address), for the audit log."""
