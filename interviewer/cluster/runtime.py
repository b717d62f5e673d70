"""``interviewer serve --ray``: connect, deploy the engines, start the store's owner, spread
the interviews.

:class:`Cluster` is what the web app gets instead of its in-process engines and store: an
application context whose engines call the Serve deployments and whose store calls the owner
actor, and a factory of :class:`~interviewer.cluster.sessions.RemoteLive` interviews. Nothing
here changes the pipeline, the interview logic or the scoring.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from interviewer.cluster.deployments import LLMDeployment, STTDeployment, TTSDeployment
from interviewer.cluster.proxies import ServeLLM, ServeSTT, ServeTTS, info
from interviewer.cluster.sessions import InterviewWorker, RemoteLive
from interviewer.cluster.store_owner import StoreProxy, start_owner
from interviewer.config import Settings
from interviewer.context import AppContext, Engines
from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank
from interviewer.interview.spec import InterviewSpec
from interviewer.pipeline.runner import RunnerConfig
from interviewer.web.engines import EngineHub
from interviewer.web.live import LiveInterview

log = logging.getLogger(__name__)

Factory = Callable[[], Any]

#: Serve application names (one per engine, so each scales and is replaced on its own).
APPS = {"stt": "interviewer-stt", "stt_final": "interviewer-stt-final",
        "tts": "interviewer-tts", "llm": "interviewer-llm"}  # fmt: skip


@dataclass(frozen=True)
class ClusterOptions:
    """Replicas and resources per deployment, and what each interview reserves."""

    replicas: Mapping[str, int] = field(
        default_factory=lambda: {"stt": 1, "stt_final": 1, "tts": 1, "llm": 1}
    )
    #: CPUs each replica reserves (a Whisper or llama.cpp replica keeps a core busy)
    replica_cpus: Mapping[str, float] = field(
        default_factory=lambda: {"stt": 1.0, "stt_final": 1.0, "tts": 0.5, "llm": 1.0}
    )
    #: GPUs each replica reserves (0: CPU); set for the STT and LLM on GPU nodes
    replica_gpus: Mapping[str, float] = field(default_factory=dict)
    stt_max_batch: int = 8
    stt_batch_wait_s: float = 0.01
    #: CPUs one interview's actor reserves (its VAD and pipeline threads)
    interview_cpus: float = 0.25
    #: connect the driver through this node address (loopback test clusters)
    node_ip: str | None = None


def load_role(settings: Settings, role: str) -> Any:
    """The real engine for ``role``, as ``interviewer serve`` would load it (runs on a replica)."""
    return Engines(settings).get(role)


def loopback_host(address: str) -> str | None:
    """The host of a ``127.x.x.x:port`` address: a cluster on this machine's loopback, which
    the driver must join on that address (Ray would take the network address otherwise)."""
    host = address.rsplit(":", 1)[0]
    return host if host.startswith("127.") else None


def _same(engine: Any) -> Any:
    return engine


def build_live(
    *,
    emit: Callable[[dict[str, Any]], None],
    send_audio: Callable[[bytes], None],
    parts: Any,
    spec: InterviewSpec,
    user_id: str,
    config: RunnerConfig,
    live_scoring: bool,
) -> LiveInterview:
    """Runs in the interview's actor: the LiveInterview on the cluster's engines and store."""
    import ray

    p: ActorParts = ray.get(parts)
    return LiveInterview(
        spec=spec,
        user_id=user_id,
        hub=EngineHub.ready(p.engines()),
        store=p.store(),  # type: ignore[arg-type]
        bank=p.bank,
        emit=emit,
        send_audio=send_audio,
        config=config,
        live_scoring=live_scoring,
    )


@dataclass
class ActorParts:
    """What every interview's actor needs, put in the object store once."""

    settings: Settings
    bank: Bank
    handles: dict[str, Any]
    infos: dict[str, dict[str, Any]]
    store_actor: Any
    vad_factory: Factory
    instruction_tuned: bool

    def proxies(self) -> dict[str, Any]:
        h, i = self.handles, self.infos
        out: dict[str, Any] = {
            "stt": ServeSTT(h["stt"], i["stt"]["model_id"]),
            "tts": ServeTTS(h["tts"], i["tts"]["model_id"], int(i["tts"]["sample_rate"])),
            "llm": ServeLLM(h["llm"], i["llm"]["model_id"]),
            "stt_final": None,
        }
        if "stt_final" in h:
            out["stt_final"] = ServeSTT(h["stt_final"], i["stt_final"]["model_id"])
        return out

    def engines(self) -> Engines:
        factories: dict[str, Factory] = {
            role: functools.partial(_same, engine) for role, engine in self.proxies().items()
        }
        factories["vad"] = self.vad_factory
        return Engines(self.settings, factories=factories, instruction_tuned=self.instruction_tuned)

    def store(self) -> StoreProxy:
        return StoreProxy(self.store_actor)


class Cluster:
    """The web app's engines, store and interviews on a Ray cluster.

    ``factories`` replaces the real engine loaders (role -> picklable callable; the tests pass
    fakes); the ``vad`` one makes each interview's VAD on its node.
    """

    def __init__(
        self,
        context: AppContext,
        address: str,
        *,
        options: ClusterOptions | None = None,
        factories: Mapping[str, Factory] | None = None,
        instruction_tuned: bool | None = None,
    ) -> None:
        self.settings = context.settings
        self.base = context
        self.address = address
        self.options = options or ClusterOptions()
        factories = dict(factories or {})
        self._factories = {
            role: factories.get(role) or functools.partial(load_role, self.settings, role)
            for role in ("vad", "stt", "stt_final", "tts", "llm")
        }
        self._instruction_tuned = instruction_tuned
        self._actors: list[Any] = []
        self.store: StoreProxy | None = None
        self._store_actor: Any = None
        self._parts: Any = None
        self.handles: dict[str, Any] = {}
        self.infos: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ start, stop
    def start(self) -> Cluster:
        try:
            import ray
            from ray import serve
        except ImportError:
            raise ConfigError("--ray needs Ray: pip install 'interviewer[cluster]'") from None
        try:
            ray.init(
                address=self.address,
                namespace="interviewer",
                log_to_driver=False,
                _node_ip_address=self.options.node_ip or loopback_host(self.address),
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(
                f"--ray {self.address}: cannot connect to the cluster: {exc}"
            ) from exc
        here = ray.get_runtime_context().get_node_id()
        # the file is on this machine's disk: its one owner runs here
        self._store_actor = start_owner(self.base.db, here)
        self.store = StoreProxy(self._store_actor)
        try:
            serve.start(proxy_location="Disabled")  # handles only: nothing listens for HTTP
            self._deploy(serve)
        except Exception as exc:
            self.close()  # no half-deployed engines left on the cluster
            raise ConfigError(f"--ray: deploying the engines failed: {exc}") from exc
        tuned = self._instruction_tuned
        if tuned is None:
            tuned = self.base.engines.instruction_tuned
        self._parts = ray.put(
            ActorParts(
                settings=self.settings,
                bank=self.base.bank,
                handles=self.handles,
                infos=self.infos,
                store_actor=self._store_actor,
                vad_factory=self._factories["vad"],
                instruction_tuned=tuned,
            )
        )
        self._tuned = tuned
        return self

    def _deploy(self, serve: Any) -> None:
        o = self.options
        roles = ["stt", "tts", "llm"]
        if self.settings.stt_final and self.settings.stt_final != self.settings.stt:
            roles.append("stt_final")
        apps = []
        for role in roles:
            cls: Any = {"stt": STTDeployment, "stt_final": STTDeployment,
                   "tts": TTSDeployment, "llm": LLMDeployment}[role]  # fmt: skip
            actor_options = {
                "num_cpus": o.replica_cpus.get(role, 1.0),
                "num_gpus": o.replica_gpus.get(role, 0.0),
            }
            dep = cls.options(
                name=role, num_replicas=o.replicas.get(role, 1), ray_actor_options=actor_options
            )
            if cls is STTDeployment:
                app = dep.bind(self._factories[role], o.stt_max_batch, o.stt_batch_wait_s)
            else:
                app = dep.bind(self._factories[role])
            apps.append(serve.RunTarget(app, name=APPS[role], route_prefix=None))
        # all at once: the replicas load their models side by side
        handles = serve.run_many(apps)
        for role, handle in zip(roles, handles, strict=True):
            self.handles[role] = handle
            self.infos[role] = info(handle)
            log.info("deployment %s: %s", role, self.infos[role])

    def close(self) -> None:
        """Remove the deployments and the actors, close the store (its owner), disconnect."""
        import ray
        from ray import serve

        for actor in list(self._actors):
            self.release(actor)
        for role in APPS if not self.handles else self.handles:
            try:
                # the controller removes them; the server's exit need not wait for it
                serve.delete(APPS[role], _blocking=False)
            except Exception:
                log.exception("could not remove the %s deployment", role)
        if self._store_actor is not None:
            try:
                ray.get(self._store_actor.close.remote(), timeout=60)
            except Exception:
                log.exception("the store's owner did not close the file")
            ray.kill(self._store_actor)
            self._store_actor = None
        ray.shutdown()

    # ------------------------------------------------------------------ what the app uses
    def context(self) -> AppContext:
        """The web app's context: the cluster's engines, the owner's store, the same bank."""
        parts = ActorParts(
            settings=self.settings,
            bank=self.base.bank,
            handles=self.handles,
            infos=self.infos,
            store_actor=self._store_actor,
            vad_factory=self._factories["vad"],
            instruction_tuned=self._tuned,
        )
        return AppContext(
            self.settings,
            bank_dirs=self.base.bank_dirs,
            user_bank=self.base.user_bank_dir,
            db=self.base.db,
            engines=parts.engines(),
            bank=self.base.bank,
            store=self.store,  # type: ignore[arg-type]
        )

    def make_live(self, **kwargs: Any) -> LiveInterview:
        """The web app's interview factory: each interview runs in an actor on some node."""
        return RemoteLive(cluster=self, **kwargs)

    def spawn_interview(
        self, *, spec: InterviewSpec, user_id: str, config: RunnerConfig, live_scoring: bool
    ) -> Any:
        import ray

        worker: Any = ray.remote(InterviewWorker)
        actor = worker.options(
            num_cpus=self.options.interview_cpus,
            scheduling_strategy="SPREAD",
            # pull, push and start at once; the interview itself runs on its own thread
            max_concurrency=4,
            max_restarts=0,
        ).remote(
            build_live,
            {
                "parts": self._parts,
                "spec": spec,
                "user_id": user_id,
                "config": config,
                "live_scoring": live_scoring,
            },
        )
        self._actors.append(actor)
        return actor

    def release(self, actor: Any) -> None:
        import ray

        if actor in self._actors:
            self._actors.remove(actor)
        try:
            ray.kill(actor)
        except Exception:
            log.debug("actor already gone", exc_info=True)
