"""The ingest commands of the CLI: onboard, dlq list, dlq replay, and settings errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dynaflow.cli import app

runner = CliRunner()

RULE = """
name: orders
topics: [orders]
table: Orders
partition_key: {attribute: pk, from: id}
ttl: {attribute: exp, after: 1d}
stream: {enabled: false}
"""


# Why: onboard --check validates only, and a bad rule exits 2 listing every problem.
def test_onboard_check_and_invalid_rule(tmp_path: Path) -> None:
    good = tmp_path / "rule.yaml"
    good.write_text(RULE)
    result = runner.invoke(app, ["onboard", str(good), "--check"])
    assert result.exit_code == 0 and "rule orders is valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: orders\ntopics: [orders]\ntable: Orders\npartition_key: {attribute: pk}\nttl: {}\n")
    result = runner.invoke(app, ["onboard", str(bad)])
    assert result.exit_code == 2
    assert "invalid write rule (2 problems)" in result.output
    assert "partition_key.from: Field required" in result.output and "ttl.after: Field required" in result.output


# Why: onboard provisions and registers through the settings' client; running it again is a no-op.
def test_onboard_then_dlq_list_on_the_embedded_engine(tmp_path: Path) -> None:
    rule = tmp_path / "rule.yaml"
    rule.write_text(RULE)
    data = ["--data", str(tmp_path / "data"), "--set", "engine.durability=os"]
    first = runner.invoke(app, ["onboard", str(rule), *data])
    assert first.exit_code == 0, first.output
    assert "rule orders version 1: table Orders created, TTL enabled" in first.output
    second = runner.invoke(app, ["onboard", str(rule), *data])
    assert "version 1 (unchanged): table Orders exists" in second.output
    listed = runner.invoke(app, ["dlq", "list", *data])
    assert listed.exit_code == 0 and "0 dead letter(s)" in listed.output
    replayed = runner.invoke(app, ["dlq", "replay", *data])
    assert replayed.exit_code == 0 and "replayed 0" in replayed.output


# Why: ingest without Kafka settings fails with the list of sources it tried.
def test_ingest_without_bootstrap_servers_names_the_sources(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "--data", str(tmp_path / "data")], env={"DYNAFLOW_CONFIG": ""})
    assert result.exit_code == 1
    assert "missing setting kafka.bootstrap_servers" in result.output
    assert "DYNAFLOW_KAFKA__BOOTSTRAP_SERVERS" in result.output
