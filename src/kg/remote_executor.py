"""The query budget against a remote SPARQL store: the interface of `executor.Executor`, no workers.

Why no worker processes: the evaluation happens in the remote server, so there is nothing to wall off
or kill here. A query runs in the request thread; the HTTP request's timeout is what is left of the
budget (the remote's own limits apply too). What stays the same:

- **Admission**: at most `capacity(size, queue)` requests inside at once, `size` of them talking to
  the remote; one more gets `Busy` (503) at once. The budget counts from arrival, the wait included.
- **Safety**: the web layer runs the guard (`sparql.guard`) before a job reaches `run`, and a job
  without its shape is guarded by `sparql.run` here, in this process, before anything is sent.
- **Health**: `alive` asks the remote (cached for a second) whether it holds this build.
"""

from __future__ import annotations

import threading
import time

from .errors import KGError, QueryError, QueryTimeout
from .executor import capacity
from .remote import RemoteStore, remote_build
from .worker import Answer, Busy, Job, _answer, public_message

_HEALTH_SECONDS = 1.0


class RemoteExecutor:
    """Runs jobs against a `RemoteStore`. Thread-safe."""

    def __init__(self, store: RemoteStore, size: int = 2, queue_size: int | None = None) -> None:
        self.store = store
        self.size = max(1, size)
        self.capacity = capacity(size, queue_size)
        self.store_url = store.endpoint.shown
        self.wall = f"remote store {self.store_url}"
        self.problem = ""
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._admitted = 0
        self._checked_at = -_HEALTH_SECONDS
        self._healthy = False

    @property
    def alive(self) -> int:
        """1 when the remote answered lately and holds this build, else 0 (`problem` says why)."""
        with self._lock:
            if time.monotonic() - self._checked_at < _HEALTH_SECONDS:
                return int(self._healthy)
        try:
            held = remote_build(self.store.endpoint)
            healthy = held == self.store.key
            problem = (
                "" if healthy else f"the store at {self.store_url} holds build {held}, not {self.store.key}"
            )
        except KGError as exc:
            healthy, problem = False, exc.message
        with self._lock:
            self._checked_at, self._healthy, self.problem = time.monotonic(), healthy, problem
        return int(healthy)

    def run(self, job: Job, budget: float, arrived: float | None = None) -> Answer:
        """Answer `job` from the remote within `budget` seconds counted from `arrived`."""
        deadline = (time.monotonic() if arrived is None else arrived) + budget
        with self._lock:
            if self._admitted >= self.capacity:
                raise Busy(
                    f"the server is answering {self._admitted} queries already (its limit); retry shortly"
                )
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise QueryTimeout(
                    f"no query slot became free within the {budget:g} s budget; the server is busy"
                )
            try:
                with self.store.deadline(deadline):
                    return _answer(self.store, job)
            finally:
                self._slots.release()
        except QueryError as exc:
            if exc.message.startswith("query failed:"):
                raise QueryError(public_message(exc, job.shape)) from None
            raise
        except KGError:
            raise
        except (OSError, ValueError, TypeError, RuntimeError, SyntaxError) as exc:
            raise QueryError(public_message(exc, job.shape)) from None
        finally:
            with self._lock:
                self._admitted -= 1

    def close(self) -> None:
        """Nothing to stop: connections close with their threads."""
