"""What one running Tasklane process holds: settings, database, hashers, limiters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from tasklane.auth.passwords import Passwords
from tasklane.auth.throttle import LoginThrottle
from tasklane.config import Settings
from tasklane.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    passwords: Passwords
    login_throttle: LoginThrottle

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(settings),
            passwords=Passwords(settings),
            login_throttle=LoginThrottle(settings),
        )

    async def close(self) -> None:
        await self.db.dispose()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
