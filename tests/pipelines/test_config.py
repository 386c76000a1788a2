"""Settings: one YAML file, environment and flag overrides, loud errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaflow.config import ConfigError, load_settings, parse_set_options


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dynaflow.yaml"
    path.write_text(text)
    return path


# Why: precedence is flags > environment > file > defaults, per key.
def test_flags_override_environment_override_file(tmp_path: Path) -> None:
    path = write(tmp_path, "kafka:\n  group_id: from-file\n  client_id: file-client\ningest:\n  batch_size: 10\n")
    env = {"DYNAFLOW_KAFKA__GROUP_ID": "from-env", "DYNAFLOW_INGEST__BATCH_SIZE": "20",
           "DYNAFLOW_KAFKA__EXTRA": '{"fetch.min.bytes": "1"}'}
    settings = load_settings(path, env=env, flags={"ingest.batch_size": 30})
    assert settings.kafka.group_id == "from-env"
    assert settings.kafka.client_id == "file-client"
    assert settings.ingest.batch_size == 30
    assert settings.kafka.extra == {"fetch.min.bytes": "1"}
    assert settings.engine.durability == "fsync" and settings.serve.port == 8000


# Why: a missing setting names every source and key that was tried, in order.
def test_missing_setting_lists_every_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    with pytest.raises(ConfigError) as info:
        settings.require("kafka", "bootstrap_servers")
    assert str(info.value).splitlines() == [
        "missing setting kafka.bootstrap_servers; tried, in order:",
        "  - flag --set kafka.bootstrap_servers=...",
        "  - environment variable DYNAFLOW_KAFKA__BOOTSTRAP_SERVERS",
        "  - config file (no --config given, DYNAFLOW_CONFIG unset, ./dynaflow.yaml not found), "
        "key kafka.bootstrap_servers",
    ]


# Why: an invalid value says which setting and which source it came from.
def test_invalid_values_name_their_source(tmp_path: Path) -> None:
    path = write(tmp_path, "engine:\n  durability: sometimes\n")
    with pytest.raises(ConfigError, match=r"engine.durability \(from config file .*dynaflow.yaml\)"):
        load_settings(path, env={})
    with pytest.raises(ConfigError, match=r"ingest.batch_size \(from environment\)"):
        load_settings(env={"DYNAFLOW_INGEST__BATCH_SIZE": "many"})


# Why: typos in the file or in --set fail loudly instead of being ignored.
def test_unknown_sections_and_keys_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown section"):
        load_settings(write(tmp_path, "kafak: {}\n"), env={})
    with pytest.raises(ConfigError, match=r"kafka.bootstrap \(from config file .*\): Extra inputs are not permitted"):
        load_settings(write(tmp_path, "kafka:\n  bootstrap: x\n"), env={})
    with pytest.raises(ConfigError, match="has no setting 'batchsize'"):
        load_settings(env={}, flags={"ingest.batchsize": 1})
    assert parse_set_options(["kafka.group_id=a=b"]) == {"kafka.group_id": "a=b"}
    with pytest.raises(ConfigError, match=r"SECTION\.KEY=VALUE"):
        parse_set_options(["kafka.group_id"])


# Why: secrets never show in reprs, and librdkafka properties are assembled from the section.
def test_secrets_are_hidden_and_kafka_config_is_built(tmp_path: Path) -> None:
    settings = load_settings(env={"DYNAFLOW_KAFKA__SASL_PASSWORD": "hunter2"}, flags={
        "kafka.bootstrap_servers": "b:9092", "kafka.security_protocol": "SASL_SSL",
        "kafka.sasl_mechanism": "PLAIN", "kafka.sasl_username": "u"})
    assert "hunter2" not in repr(settings)
    conf = settings.kafka.consumer_config()
    assert conf["sasl.password"] == "hunter2" and conf["security.protocol"] == "SASL_SSL"
