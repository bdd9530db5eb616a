"""What one server process holds for its whole life: config, the store, the query workers, the cache.

Built once by `create_app` and kept in `app.extensions["kg"]`; views reach it through `state()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ..build import Snapshot
from ..executor import QueryRunner
from ..store import Store
from .cache import ResponseCache


@dataclass
class State:
    config: dict[str, Any]
    snapshot: Snapshot
    store: Store
    executor: QueryRunner
    cache: ResponseCache
    memo: dict[Any, Any] = field(default_factory=dict)  # derived, immutable answers (service description...)

    @property
    def key(self) -> str:
        return self.snapshot.key


def state() -> State:
    return current_app.extensions["kg"]
