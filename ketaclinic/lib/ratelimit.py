"""An in-process fixed-window counter for anonymous requests. Pure: no Django, no database.

Why not the database (issue 10, finding 9): counting every anonymous request with a committed write
put a synchronous write on every public page view, refused ones included, and doubled nurse
write latency under light load. This counter costs a dictionary update under a lock.

Bounds: the count lives in one worker process. With ``W`` worker processes (``ketaclinic serve``
runs one per CPU) a client gets at most ``W x limit`` requests per window, and a restart forgets
the counts. That is enough for its purpose (slowing token guessing on a page whose tokens are 256
random bits, and keeping one client from hogging the page); every durable limit (per link, per
account) counts only requests that found a real object, in the database. Memory is bounded:
at most ``max_keys`` clients per window; past that the window's new clients share one overflow
bucket, so a flood of addresses is limited as one client rather than growing memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

OVERFLOW = "\x00overflow"


class WindowCounter:
    def __init__(
        self,
        *,
        limit: int,
        window_seconds: int,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str) -> bool:
        """Count one request for ``key``; False once the key is past the limit in this window."""
        window = int(self._clock() // self.window_seconds)
        with self._lock:
            if window != self._window:
                self._window = window
                self._counts = {}
            if key not in self._counts and len(self._counts) >= self.max_keys:
                key = OVERFLOW
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= self.limit

    def reset(self) -> None:
        with self._lock:
            self._window = -1
            self._counts = {}

    def __len__(self) -> int:
        return len(self._counts)
