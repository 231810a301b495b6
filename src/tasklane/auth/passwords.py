"""argon2id hashing off the event loop, a bounded number at a time.

New passwords (sign-up, password change) and sign-in checks have separate slots and threads, so
a flood of sign-ups never makes a sign-in wait. Callers must not hold a database transaction
while awaiting these: a login storm would otherwise pin every pooled connection behind the hash
queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tasklane.config import Settings


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )
        # Semaphores bound the work (a cancelled waiter never hashes); each kind has its own
        # threads, so neither queues behind the other.
        self._hash_slots = asyncio.Semaphore(settings.hash_slots)
        self._hash_threads = ThreadPoolExecutor(settings.hash_slots, "password-hash")
        self._verify_slots = asyncio.Semaphore(settings.verify_slots)
        self._verify_threads = ThreadPoolExecutor(settings.verify_slots, "password-verify")
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy = self._hasher.hash("tasklane-timing-equaliser")

    async def hash_new(self, password: str, *, check: Callable[[str], None]) -> str:
        """Check a new password (sign-up, password change) with `check`, which raises when it
        is refused, then hash it. Both run in one slot and thread: the check is CPU-bound
        Python that holds the interpreter lock, so a flood of sign-ups holds it from at most
        one thread per slot and the event loop keeps serving sign-ins."""
        async with self._hash_slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._hash_threads, self._checked_hash, password, check
            )

    def _checked_hash(self, password: str, check: Callable[[str], None]) -> str:
        check(password)
        return self._hasher.hash(password)

    async def rehash(self, password: str) -> str:
        """Hash a password again with the current parameters, as part of a sign-in."""
        async with self._verify_slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._verify_threads, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._verify_slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._verify_threads, self._verify, password_hash, password
            )

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._hash_threads.shutdown(wait=False)
        self._verify_threads.shutdown(wait=False)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
