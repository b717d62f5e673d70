"""The ``interviewer serve`` command: the web app on this machine's engines and store.

Imports of FastAPI/uvicorn stay inside the function so the CLI starts fast.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from interviewer.cli.common import DbOpt, app_context, err, out
from interviewer.errors import ConfigError


def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on. Anything but loopback needs a token."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            help="Access token (at least 16 characters). Generated when --host is not loopback.",
            envvar="INTERVIEWER_WEB_TOKEN",
        ),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
    max_interviews: Annotated[
        int, typer.Option("--max-interviews", min=1, max=64, help="Interviews at once.")
    ] = 4,
    preload: Annotated[
        bool, typer.Option("--preload/--lazy", help="Load the models now, not at first need.")
    ] = False,
    live_scoring: Annotated[
        bool,
        typer.Option(
            "--live-scoring/--no-live-scoring",
            help="Score answers with the LLM during the interview (the report waits for it; "
            "slow on a small CPU). Off: scored by the rules when the report is opened; "
            "`interviewer score ID` adds the LLM later.",
        ),
    ] = True,
    db: DbOpt = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS|auto",
            help="Run the engines and the interviews on a Ray cluster (its address, or auto). "
            "Needs interviewer[cluster]; see docs/scaling.md.",
        ),
    ] = None,
    replicas: Annotated[
        int, typer.Option("--replicas", min=1, max=64, help="With --ray: replicas per engine.")
    ] = 1,
    rotate_secret: Annotated[
        bool,
        typer.Option(
            "--rotate-secret",
            help="New cookie secret: every browser becomes a new owner (old cookies stop "
            "opening reports; the CLI still lists the sessions).",
        ),
    ] = False,
    screening: Annotated[
        bool,
        typer.Option(
            "--screening",
            help="Company screening mode as well: logins, templates, invitation links, the "
            "reviewers' dashboard (docs/screening.md). `interviewer admin create-user` makes "
            "the first admin.",
        ),
    ] = False,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="TLS certificate (PEM): serve https.")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="The TLS certificate's private key (PEM).")
    ] = None,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="A reverse proxy in front does TLS and sets X-Forwarded-Proto/-For "
            "(docs/screening.md); they are believed from --forwarded-allow-ips only.",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option("--forwarded-allow-ips", help="The proxy's addresses (comma-separated)."),
    ] = "127.0.0.1",
    public_host: Annotated[
        list[str] | None,
        typer.Option(
            "--public-host",
            help="A host name the proxy forwards (its Host header), e.g. hr.example.com; "
            "repeatable.",
        ),
    ] = None,
) -> None:
    """Run the local web app: setup form, voice interview in the browser, history, reports."""
    import contextlib
    import threading
    import webbrowser

    import uvicorn

    from interviewer.web.app import create_app
    from interviewer.web.engines import EngineHub
    from interviewer.web.live import LiveInterview
    from interviewer.web.screening.serving import ProxiedPolicy, tls_refusal
    from interviewer.web.security import AccessPolicy, is_loopback, load_secret, secret_path_for

    if token is not None and len(token) < 16:
        raise ConfigError("--token: use at least 16 characters (or leave it out to get one)")
    refusal = tls_refusal(
        host,
        screening=screening,
        tls_cert=tls_cert,
        tls_key=tls_key,
        behind_proxy=behind_proxy,
    )
    if refusal is not None:
        raise ConfigError(refusal)
    if screening and ray_address:
        # the screening tables are written through the local Store's transactions, which the
        # cluster's store-owner proxy does not carry yet
        raise ConfigError(
            "--screening with --ray is not supported yet: run the screening server as one "
            "process (interviewer serve --screening), or the cluster without --screening"
        )
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(24)
    policy: AccessPolicy = (
        ProxiedPolicy(
            host=host, token=token, public_hosts=frozenset(h.lower() for h in public_host)
        )
        if public_host
        else AccessPolicy(host=host, token=token)
    )
    context = app_context(ctx, db)
    cluster = None
    try:
        context.bank  # noqa: B018 -- a bad bank file fails now, not at the first interview
        if ray_address:
            from interviewer.cluster.runtime import Cluster, ClusterOptions

            err.print(f"[dim]connecting to the Ray cluster {ray_address}, deploying the engines[/]")
            roles = ("stt", "stt_final", "tts", "llm")
            options = ClusterOptions(replicas=dict.fromkeys(roles, replicas))
            cluster = Cluster(context, ray_address, options=options).start()
            context = cluster.context()  # the engines are deployments, the store has one owner
        context.store  # noqa: B018 -- a bad --db fails now
        hub = EngineHub(context.engines)
        if preload:
            err.print("[dim]loading models ...[/]")
            hub.get()
        screen = None
        if screening:
            from interviewer.screening import Screening

            screen = Screening(context.store, context.bank)
        make_live = cluster.make_live if cluster is not None else LiveInterview
        app = create_app(
            context,
            hub=hub,
            policy=policy,
            max_live=max_interviews,
            live_scoring=live_scoring,
            secret=load_secret(secret_path_for(context.store.path), rotate=rotate_secret),
            screening=screen,
            make_live=make_live,
        )
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            ws_max_size=1 << 20,
            lifespan="on",
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            # only behind a proxy are X-Forwarded-* believed (https scheme, the client address)
            proxy_headers=behind_proxy,
            forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
        )
        server = uvicorn.Server(config)

        def announce() -> None:
            # the real port is known only once the socket is bound (--port 0)
            while not server.started and not server.should_exit:
                threading.Event().wait(0.05)
            if not server.started:
                return
            bound = port
            for s in getattr(server, "servers", []):
                for sock in getattr(s, "sockets", []):
                    bound = sock.getsockname()[1]
            shown = host if ":" not in host else f"[{host}]"
            if host in ("0.0.0.0", "::"):
                shown = "127.0.0.1"  # the wildcard is not an address a browser can open
            scheme = "https" if tls_cert else "http"
            url = f"{scheme}://{shown}:{bound}/" + (f"?token={token}" if token else "")
            out.print(f"interviewer web app: {url}", highlight=False, soft_wrap=True)
            if screening:
                out.print(
                    f"screening: {scheme}://{shown}:{bound}/screening/login (admins, reviewers)",
                    highlight=False,
                    soft_wrap=True,
                )
            if not policy.loopback and not (tls_cert or behind_proxy):
                out.print(
                    "[yellow]listening beyond this machine: anyone with the token can use it; "
                    "traffic is not encrypted (put it behind TLS for a network)[/]"
                )
            out.print("[dim]Ctrl-C stops the server; interviews in progress are saved.[/]")
            if not no_browser:
                webbrowser.open(url)

        threading.Thread(target=announce, name="announce", daemon=True).start()
        purging = None
        if screen is not None:
            from interviewer.web.screening.serving import start_daily_purge

            purging = start_daily_purge(screen)
        # uvicorn shuts down gracefully, then re-raises the signal; for a server, Ctrl-C (or
        # SIGTERM) is the normal way to stop, not an interruption
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        if purging is not None:
            purging.set()
        out.print("[dim]server stopped[/]")
    finally:
        context.close()
        if cluster is not None:
            cluster.close()
