"""Stamps.com conversation tokens (Authenticators), pooled per endpoint and username.

Each SWSIM answer hands on the Authenticator for the next call. A call takes a token from the
pool and gives back the one its answer carries, so concurrent calls for one account each
follow their own chain instead of invalidating each other's.
"""

from __future__ import annotations

import threading


class TokenPool:
    """A small thread-safe stack of tokens per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], list[str]] = {}

    def take(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            stack = self._tokens.get(key)
            return stack.pop() if stack else None

    def give(self, key: tuple[str, str], token: str | None) -> None:
        if not token:
            return
        with self._lock:
            stack = self._tokens.setdefault(key, [])
            if token not in stack:
                stack.append(token)
                # A burst of concurrent calls leaves spare chains; a few are plenty.
                del stack[:-8]

    def forget(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def count(self, key: tuple[str, str]) -> int:
        with self._lock:
            return len(self._tokens.get(key, ()))
