"""The store's one owner on a cluster: a Ray actor holding the :class:`~interviewer.store.Store`.

Interviews run on every node, but the DuckDB file is on the machine where ``interviewer serve
--ray`` was started, and only the actor opens it, so the file has one writer whatever the number
of nodes. The actor is pinned to that machine's node; the web app and the interviews reach it
through :class:`StoreProxy`, which has the Store's methods. Other processes on that machine (the
CLI) still share the file through the store's cross-process lock (docs/store.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from interviewer.store import Store, StoreError

#: One store operation, at most (the store itself waits up to 30 s for the file's lock).
CALL_TIMEOUT_S = 60.0
#: Store methods that are not the proxies' to call: the owner opens and closes the file.
_REFUSED = frozenset({"open", "close"})


class StoreOwner:
    """The actor's class: opens the store once and runs the proxies' calls on it."""

    def __init__(self, db: str | None) -> None:
        self.store = Store.open(Path(db) if db else None)

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name.startswith("_") or name in _REFUSED or not callable(getattr(Store, name, None)):
            raise StoreError(f"the store has no operation {name!r}")
        return getattr(self.store, name)(*args, **kwargs)

    def info(self) -> dict[str, Any]:
        import ray

        return {
            "path": str(self.store.path),
            "pid": os.getpid(),
            "node": ray.get_runtime_context().get_node_id(),
        }

    def close(self) -> None:
        self.store.close()


def start_owner(db: Path | None, node_id: str, name: str | None = None) -> Any:
    """The owner actor on ``node_id`` (the machine whose disk holds the file)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actor_cls = ray.remote(StoreOwner)
    options: dict[str, Any] = {
        "num_cpus": 0,
        # the Store is thread-safe: reads on cursors, writes through its one writer thread
        "max_concurrency": 16,
        "scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
    }
    if name:
        options["name"] = name
    return actor_cls.options(**options).remote(str(db) if db else None)


class StoreProxy:
    """The Store's methods, run by the owner actor; picklable, so interviews on any node use it.

    Errors are the store's own (a missing session is a :class:`StoreError` here too).
    """

    def __init__(self, actor: Any) -> None:
        import ray

        self._actor = actor
        about = ray.get(actor.info.remote(), timeout=CALL_TIMEOUT_S)
        self.path = Path(about["path"])
        self.owner_pid: int = about["pid"]
        self.owner_node: str = about["node"]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (StoreProxy, (self._actor,))

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        import ray

        from interviewer.cluster.proxies import unwrap

        try:
            return ray.get(self._actor.call.remote(name, args, kwargs), timeout=CALL_TIMEOUT_S)
        except Exception as exc:
            cause = unwrap(exc)
            if cause is exc:
                raise StoreError(f"the store's owner did not answer ({name}): {exc}") from exc
            raise cause from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, args, kwargs)

        method.__name__ = name
        return method

    def close(self) -> None:
        """Nothing to close here: the owner closes the file when the cluster app stops."""
