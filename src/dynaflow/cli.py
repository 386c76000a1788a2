"""The `dynaflow` command line.

Each verb is a thin shell over a library entry point, so everything the CLI does is also
reachable from Python and tested there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    host: Annotated[str, typer.Option("--host", envvar="DYNAFLOW_SERVE__HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", envvar="DYNAFLOW_SERVE__PORT")] = 8000,
) -> None:
    """Run dynaflow on DATA: the DynamoDB-compatible endpoint on loopback, durable by default.

    Point any SDK at it: ``aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000``.
    """
    serve(data=data, host=host, port=port)


@app.command()
def serve(
    data: DataOption = Path("./data"),
    host: Annotated[str, typer.Option("--host", envvar="DYNAFLOW_SERVE__HOST",
                                      help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", envvar="DYNAFLOW_SERVE__PORT",
                                      help="TCP port (0 picks a free one).")] = 8000,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", envvar="DYNAFLOW_SERVE__TLS_CERT",
                                                  help="PEM certificate chain: serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", envvar="DYNAFLOW_SERVE__TLS_KEY",
                                                 help="PEM private key of --tls-cert.")] = None,
    keys_file: Annotated[Path | None, typer.Option(
        "--keys-file", envvar="DYNAFLOW_SERVE__KEYS_FILE",
        help="Access keys and policies (mode 600). Without it any credentials are accepted.")] = None,
    allow_non_loopback_without_auth: Annotated[bool, typer.Option(
        "--allow-non-loopback-without-auth", envvar="DYNAFLOW_SERVE__ALLOW_NON_LOOPBACK_WITHOUT_AUTH",
        help="Bind a non-loopback address with no keys file (anyone who connects can read and write).",
    )] = False,
    durability: Annotated[str, typer.Option(
        "--durability", envvar="DYNAFLOW_SERVE__DURABILITY",
        help="fsync: acknowledged writes are on disk; os: faster, for tests and benchmarks.")] = "fsync",
    access_log: Annotated[bool, typer.Option(
        "--access-log/--no-access-log", envvar="DYNAFLOW_SERVE__ACCESS_LOG",
        help="One JSON line per request on stderr.")] = True,
) -> None:
    """Serve DATA over the DynamoDB JSON protocol: boto3, the AWS CLI and SDKs work unchanged."""
    from dynaflow.wire.server import ServeError, ServeSettings, announce, run

    if durability not in ("fsync", "os"):
        raise typer.BadParameter("must be 'fsync' or 'os'", param_hint="--durability")
    settings = ServeSettings(
        data=data, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key, keys_file=keys_file,
        allow_non_loopback_without_auth=allow_non_loopback_without_auth,
        durability="fsync" if durability == "fsync" else "os", access_log=access_log,
    )
    auth = f"keys from {keys_file}" if keys_file else "any credentials accepted"
    try:
        run(settings, ready=lambda url: announce(url, settings, auth))
    except ServeError as exc:
        typer.echo(f"dynaflow serve: {exc}", err=True)
        raise typer.Exit(2) from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
