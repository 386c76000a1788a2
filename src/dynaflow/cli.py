"""The `dynaflow` command line.

Each verb is a thin shell over a library entry point, so everything the CLI does is also
reachable from Python and tested there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="dynaflow",
    help="A self-hostable DynamoDB-style data platform.",
    no_args_is_help=True,
    add_completion=False,
)

DataOption = Annotated[
    Path, typer.Option("--data", envvar="DYNAFLOW_DATA", help="Data directory of the embedded engine.")
]


@app.command()
def demo(data: DataOption = Path("./data")) -> None:
    """Create a table in the embedded engine, write a few items and query them back."""
    from dynaflow.demo import run_demo

    run_demo(data)


@app.command()
def up(
    data: DataOption = Path("./data"),
    host: Annotated[str | None, typer.Option("--host", envvar="DYNAFLOW_SERVE__HOST")] = None,
    port: Annotated[int | None, typer.Option("--port", envvar="DYNAFLOW_SERVE__PORT")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", envvar="DYNAFLOW_CONFIG", help="Settings file (default ./dynaflow.yaml if present).")] = None,
) -> None:
    """Run dynaflow on DATA: the DynamoDB-compatible endpoint on loopback, durable by default.

    Point any SDK at it: ``aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000``.
    Registered ingest rules are resumed alongside when Kafka is configured (``kafka.*`` settings).
    """
    ingesting = _resume_ingest(data)
    try:
        serve(data=data, host=host, port=port, config=config)
    finally:
        if ingesting is not None:
            ingesting.stop()


@app.command()
def serve(
    data: Annotated[Path | None, typer.Option(
        "--data", envvar="DYNAFLOW_DATA", help="Data directory of the embedded engine [default: ./data].")] = None,
    host: Annotated[str | None, typer.Option("--host", envvar="DYNAFLOW_SERVE__HOST",
                                             help="Address to bind [default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option("--port", envvar="DYNAFLOW_SERVE__PORT",
                                             help="TCP port, 0 picks a free one [default: 8000].")] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", envvar="DYNAFLOW_SERVE__TLS_CERT",
                                                  help="PEM certificate chain: serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", envvar="DYNAFLOW_SERVE__TLS_KEY",
                                                 help="PEM private key of --tls-cert.")] = None,
    keys_file: Annotated[Path | None, typer.Option(
        "--keys-file", envvar="DYNAFLOW_SERVE__KEYS_FILE",
        help="Access keys and policies (mode 600). Without it any credentials are accepted.")] = None,
    allow_non_loopback_without_auth: Annotated[bool | None, typer.Option(
        "--allow-non-loopback-without-auth", envvar="DYNAFLOW_SERVE__ALLOW_NON_LOOPBACK_WITHOUT_AUTH",
        help="Bind a non-loopback address with no keys file (anyone who connects can read and write).",
    )] = None,
    durability: Annotated[str | None, typer.Option(
        "--durability", envvar="DYNAFLOW_SERVE__DURABILITY",
        help="fsync: acknowledged writes are on disk; os: faster, for tests and benchmarks "
             "[default: fsync].")] = None,
    access_log: Annotated[bool | None, typer.Option(
        "--access-log/--no-access-log", envvar="DYNAFLOW_SERVE__ACCESS_LOG",
        help="One JSON line per request on stderr [default: on].")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", envvar="DYNAFLOW_CONFIG", help="Settings file (default ./dynaflow.yaml if present).")] = None,
) -> None:
    """Serve DATA over the DynamoDB JSON protocol: boto3, the AWS CLI and SDKs work unchanged.

    Every option can also come from the config file (``serve.*``, ``engine.data``,
    ``engine.durability``); a flag or environment variable wins over the file.
    """
    from dynaflow.wire.server import ServeError, ServeSettings, announce, run

    if durability not in (None, "fsync", "os"):
        raise typer.BadParameter("must be 'fsync' or 'os'", param_hint="--durability")
    given = {
        "engine.data": data, "engine.durability": durability, "serve.host": host, "serve.port": port,
        "serve.tls_cert": tls_cert, "serve.tls_key": tls_key, "serve.keys_file": keys_file,
        "serve.allow_non_loopback_without_auth": allow_non_loopback_without_auth,
        "serve.access_log": access_log,
    }
    resolved = _settings(config, None, **{k: (str(v) if isinstance(v, Path) else v) for k, v in given.items()})
    section = resolved.serve

    def option(name: str, default: Any) -> Any:
        value = getattr(section, name, None)
        return default if value is None else value

    def path(name: str) -> Path | None:
        value = option(name, None)
        return None if value is None else Path(value)

    keys = path("keys_file")
    settings = ServeSettings(
        data=Path(resolved.engine.data), host=section.host, port=section.port,
        tls_cert=path("tls_cert"), tls_key=path("tls_key"), keys_file=keys,
        allow_non_loopback_without_auth=bool(option("allow_non_loopback_without_auth", False)),
        durability=resolved.engine.durability, access_log=bool(option("access_log", True)),
    )
    auth = f"keys from {keys}" if keys else "any credentials accepted"
    try:
        run(settings, ready=lambda url: announce(url, settings, auth))
    except ServeError as exc:
        typer.echo(f"dynaflow serve: {exc}", err=True)
        raise typer.Exit(2) from None


# ---------------------------------------------------------------- ingest: onboard, ingest, dlq

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", envvar="DYNAFLOW_CONFIG", help="Settings file (default ./dynaflow.yaml if present).")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override any setting: SECTION.KEY=VALUE (repeatable), e.g. kafka.group_id=g1.")]
DataFlag = Annotated[Path | None, typer.Option(
    "--data", envvar="DYNAFLOW_DATA", help="Data directory of the embedded engine (engine.data).")]
EndpointFlag = Annotated[str | None, typer.Option(
    "--endpoint-url", help="Talk to this DynamoDB endpoint instead of the embedded engine (dynamo.endpoint_url).")]
dlq_app = typer.Typer(help="Dead letters: records that could not be written.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


def _settings(config: Path | None, sets: list[str] | None, **named: object) -> Any:
    from dynaflow.config import ConfigError, load_settings, parse_set_options

    try:
        flags: dict[str, object] = dict(parse_set_options(sets or []))
        flags.update({key: value for key, value in named.items() if value is not None})
        return load_settings(config, flags=flags)
    except ConfigError as exc:
        typer.echo(f"dynaflow: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def onboard(
    rule_file: Annotated[Path, typer.Argument(help="The write rule (YAML).")],
    check: Annotated[bool, typer.Option("--check", help="Only validate the rule.")] = False,
    config: ConfigOption = None, set_: SetOption = None, data: DataFlag = None, endpoint_url: EndpointFlag = None,
) -> None:
    """Validate a write rule, create its table (keys, TTL, billing, stream) if absent, register it."""
    import asyncio

    from dynaflow.pipelines.onboarding import OnboardError
    from dynaflow.pipelines.rules import RuleError, load_rule
    from dynaflow.pipelines.service import onboard_rule

    try:
        rule = load_rule(rule_file.read_text(), str(rule_file))
    except (OSError, RuleError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if check:
        typer.echo(f"{rule_file}: rule {rule.name} is valid")
        return
    settings = _settings(config, set_, **{"engine.data": data, "dynamo.endpoint_url": endpoint_url})
    try:
        result = asyncio.run(onboard_rule(settings, rule))
    except OnboardError as exc:
        typer.echo(f"dynaflow onboard: {exc}", err=True)
        raise typer.Exit(1) from None
    table = "created" if result.table_created else "exists"
    version = f"version {result.rule.version}" + ("" if result.new_version else " (unchanged)")
    typer.echo(f"rule {result.rule.name} {version}: table {rule.table} {table}"
               + (", TTL enabled" if result.ttl_enabled else ""))
    for note in result.notes:
        typer.echo(f"note: {note}")


@app.command()
def ingest(
    config: ConfigOption = None, set_: SetOption = None, data: DataFlag = None, endpoint_url: EndpointFlag = None,
    bootstrap_servers: Annotated[str | None, typer.Option(
        "--bootstrap-servers", help="Kafka bootstrap servers (kafka.bootstrap_servers).")] = None,
    group_id: Annotated[str | None, typer.Option("--group-id", help="Consumer group (kafka.group_id).")] = None,
) -> None:
    """Run the ingesters of every registered rule until SIGINT/SIGTERM (more processes scale out)."""
    import asyncio
    import signal

    from dynaflow.pipelines.service import run_ingest

    settings = _settings(config, set_, **{"engine.data": data, "dynamo.endpoint_url": endpoint_url,
                                          "kafka.bootstrap_servers": bootstrap_servers, "kafka.group_id": group_id})

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        stats = await run_ingest(settings, stop=stop)
        typer.echo(f"dynaflow ingest: stopped after {stats.records} records ({stats.written} written, "
                   f"{stats.dead_lettered} dead-lettered)", err=True)

    from dynaflow.config import ConfigError

    try:
        asyncio.run(go())
    except (ConfigError, RuntimeError) as exc:
        typer.echo(f"dynaflow ingest: {exc}", err=True)
        raise typer.Exit(1) from None


@dlq_app.command("list")
def dlq_list(
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's dead letters.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    config: ConfigOption = None, set_: SetOption = None, data: DataFlag = None, endpoint_url: EndpointFlag = None,
) -> None:
    """Show dead letters: position, error, attempts and the start of the original value."""
    import asyncio

    import orjson

    from dynaflow.pipelines.service import describe
    from dynaflow.pipelines.service import dlq_list as list_letters

    settings = _settings(config, set_, **{"engine.data": data, "dynamo.endpoint_url": endpoint_url})
    letters = asyncio.run(list_letters(settings, rule, limit=limit))
    for letter in letters:
        summary = describe(letter)
        if as_json:
            typer.echo(orjson.dumps(summary).decode())
        else:
            typer.echo(f"{summary['rule']} v{summary['rule_version']} {summary['position']} "
                       f"{summary['error_type']} (attempts {summary['attempts']}): {summary['error_message']}")
    if not as_json:
        typer.echo(f"{len(letters)} dead letter(s)", err=True)


@dlq_app.command("replay")
def dlq_replay(
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's dead letters.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many.")] = None,
    config: ConfigOption = None, set_: SetOption = None, data: DataFlag = None, endpoint_url: EndpointFlag = None,
) -> None:
    """Re-drive dead letters through the latest rule version into the table; remove those written."""
    import asyncio

    from dynaflow.pipelines.service import dlq_replay as replay

    settings = _settings(config, set_, **{"engine.data": data, "dynamo.endpoint_url": endpoint_url})
    result = asyncio.run(replay(settings, rule, limit=limit))
    typer.echo(f"replayed {result.replayed} ({result.superseded} already superseded by newer records), "
               f"{result.failed} still failing")
    if result.failed:
        raise typer.Exit(1)


def _resume_ingest(data: Path) -> Any:
    """Start the registered ingest rules in the background when Kafka is configured (``up``)."""
    import asyncio

    from dynaflow.config import ConfigError, load_settings
    from dynaflow.pipelines.service import IngestThread, has_rules

    try:
        settings = load_settings(flags={"engine.data": str(data)})
    except ConfigError as exc:
        typer.echo(f"dynaflow up: {exc}", err=True)
        raise typer.Exit(2) from None
    if settings.kafka.bootstrap_servers is None:
        return None
    if not asyncio.run(has_rules(settings)):
        return None
    typer.echo("dynaflow up: resuming registered ingest rules", err=True)
    return IngestThread(settings).start()


parity_app = typer.Typer(help="Row-level parity between a table and its copy.", no_args_is_help=True)
app.add_typer(parity_app, name="parity")
RefArgument = "http(s)://HOST:PORT/TABLE, aws://REGION/TABLE or dir:PATH/TABLE"


@parity_app.command("check")
def parity_check(
    source: Annotated[str, typer.Argument(help=f"The reference table: {RefArgument}.")],
    target: Annotated[str, typer.Argument(help="Its copy, same forms. Credentials: DYNAFLOW_SOURCE__ACCESS_KEY_ID, "
                                               "DYNAFLOW_SOURCE__SECRET_ACCESS_KEY, DYNAFLOW_TARGET__... .")],
    segments: Annotated[int, typer.Option("--segments", help="Parallel Scan segments per table.")] = 8,
    sample: Annotated[int, typer.Option("--sample", help="Differing keys listed per kind.")] = 20,
    threshold: Annotated[float, typer.Option("--threshold", help="Alert past this % of differing rows.")] = 0.0001,
    repair: Annotated[bool, typer.Option("--repair", help="Re-copy differing rows from the source past it.")] = False,
    replica: Annotated[bool, typer.Option("--replica", help="TARGET is kept by `dynaflow replicate`: repairs keep "
                                          "its sequence numbers and write tombstones.")] = False,
    every: Annotated[float | None, typer.Option("--every", help="Check again every N seconds until stopped.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report per check.")] = False,
) -> None:
    """Compare SOURCE and TARGET row by row; exit status 1 when they differ past --threshold."""
    import asyncio

    from dynaflow.parity.command import parity_check as run
    from dynaflow.parity.refs import RefError

    try:
        status = asyncio.run(run(source, target, segments=segments, sample=sample, threshold_percent=threshold,
                                 repair=repair, replica=replica, every=every, as_json=as_json))
    except RefError as exc:
        raise typer.BadParameter(str(exc)) from None
    raise typer.Exit(status)


@app.command()
def replicate(
    source: Annotated[str, typer.Argument(help=f"The table whose stream is read: {RefArgument}.")],
    target: Annotated[str, typer.Argument(help="The replica table (it must exist with the same key schema).")],
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Pipeline name (lease table "
                                                 "dynaflow_cdc_<name>); default SOURCE_TABLE-to-TARGET_TABLE.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Where the lease table lives (a reference whose "
                                              "table part is ignored); default: the target's endpoint.")] = None,
    snapshot: Annotated[bool, typer.Option("--snapshot", help="Copy existing rows too (new pipelines).")] = False,
    mode: Annotated[str, typer.Option("--mode", help="single: one PutItem per change; transact: 100 per "
                                      "TransactWriteItems.")] = "single",
    lease_duration: Annotated[float, typer.Option("--lease-duration", help="Seconds before a silent worker's "
                                                  "shards are taken over.")] = 10.0,
    poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between reads of an idle "
                                                 "shard (AWS allows 5 reads/s per shard).")] = 0.2,
    status_every: Annotated[float, typer.Option("--status-every", help="Log applied count and lag every N s.")] = 0,
) -> None:
    """Replicate SOURCE to TARGET through SOURCE's stream until interrupted; run it N times for N workers."""
    import asyncio

    from dynaflow.cdc.command import replicate_command
    from dynaflow.parity.refs import RefError

    if mode not in ("single", "transact"):
        raise typer.BadParameter("must be 'single' or 'transact'", param_hint="--mode")
    try:
        asyncio.run(replicate_command(source, target, pipeline=pipeline, state=state, snapshot=snapshot,
                                      mode="transact" if mode == "transact" else "single",
                                      lease_duration=lease_duration, poll_interval=poll_interval,
                                      status_every=status_every))
    except RefError as exc:
        raise typer.BadParameter(str(exc)) from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
