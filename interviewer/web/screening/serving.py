"""How ``interviewer serve --screening`` may listen: TLS off loopback, or a proxy in front.

Candidates' answers and reviewers' passwords cross the network in screening mode, so a server
reachable beyond this machine must encrypt: either uvicorn serves TLS itself (``--tls-cert`` and
``--tls-key``) or it runs behind a reverse proxy that terminates TLS (``--behind-proxy``; see
docs/screening.md for the headers the proxy must set). Behind a proxy, uvicorn believes the
``X-Forwarded-Proto`` and ``X-Forwarded-For`` headers only from ``--forwarded-allow-ips``, and
the Host check accepts the proxy's public name (``--public-host``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from interviewer.web.security import AccessPolicy, hostname, is_loopback

if TYPE_CHECKING:
    from interviewer.screening import Screening

log = logging.getLogger(__name__)

#: the server's own retention purge: a minute after it starts, then once a day
PURGE_FIRST_S = 60.0
PURGE_EVERY_S = 24 * 3600.0


def tls_refusal(
    host: str,
    *,
    screening: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    behind_proxy: bool,
) -> str | None:
    """Why the server must not start with these options (None: it may)."""
    if (tls_cert is None) != (tls_key is None):
        return "--tls-cert and --tls-key go together: give both files, or neither"
    for flag, path in (("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if path is not None and not path.is_file():
            return f"{flag} {path}: no such file"
    if tls_cert is not None and behind_proxy:
        return "--behind-proxy means the proxy does TLS: leave out --tls-cert/--tls-key"
    if not screening or is_loopback(host):
        return None
    if tls_cert is None and not behind_proxy:
        return (
            f"--screening on {host} would send passwords and candidates' answers unencrypted: "
            "give --tls-cert and --tls-key, or run it on 127.0.0.1 behind a TLS reverse proxy "
            "with --behind-proxy (docs/screening.md shows the proxy's settings)"
        )
    return None


@dataclass(frozen=True)
class ProxiedPolicy(AccessPolicy):
    """The access policy behind a reverse proxy: the Host check (the defence against DNS
    rebinding on loopback) also accepts the public names the proxy forwards."""

    public_hosts: frozenset[str] = field(default_factory=frozenset)

    def host_ok(self, host_header: str | None) -> bool:
        if host_header and hostname(host_header) in self.public_hosts:
            return True
        return super().host_ok(host_header)


def start_daily_purge(
    screening: Screening, *, first_s: float = PURGE_FIRST_S, every_s: float = PURGE_EVERY_S
) -> threading.Event:
    """Run the retention purge (the same as ``interviewer admin purge``, audited) on a daemon
    thread while the server is up; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        wait = first_s
        while not stop.wait(wait):
            wait = every_s
            try:
                report = screening.purge()
                if report.sessions:
                    log.warning("retention purge: %d interview(s) removed", len(report.sessions))
            except Exception:
                # a failed purge is retried tomorrow; it must not stop the server
                log.exception("the retention purge failed")

    threading.Thread(target=run, name="screening-purge", daemon=True).start()
    return stop
