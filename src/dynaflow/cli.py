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
def up(data: DataOption = Path("./data")) -> None:
    """Run dynaflow on DATA: for now, the embedded engine demo."""
    from dynaflow.demo import run_demo

    run_demo(data)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
