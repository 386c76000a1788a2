"""dynaflow's settings: one YAML file, one typed section per component, every key overridable.

Sources, highest precedence first:

1. command-line flags (``--set SECTION.KEY=VALUE``, and the named flags a command offers);
2. environment variables ``DYNAFLOW_<SECTION>__<KEY>`` (``DYNAFLOW_KAFKA__BOOTSTRAP_SERVERS``);
3. the config file (``--config PATH``, ``DYNAFLOW_CONFIG``, else ``./dynaflow.yaml`` if present);
4. the defaults declared below.

Each section is a pydantic model (``engine``, ``serve``, ``dynamo``, ``kafka``, ``ingest``); a
field's docstring is its documentation. Unknown keys in the file are errors (typos fail loudly),
except in ``serve``, whose full key set belongs to the wire server. Settings without a sensible
default (Kafka's bootstrap servers) are ``None`` until a command needs them and calls
:meth:`Settings.require`, whose error lists every source and key it tried, in order::

    missing setting kafka.bootstrap_servers; tried, in order:
      - flag --set kafka.bootstrap_servers=...
      - environment variable DYNAFLOW_KAFKA__BOOTSTRAP_SERVERS
      - config file dynaflow.yaml, key kafka.bootstrap_servers (file not found)

Secrets are ``SecretStr`` so they never show in reprs or logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

__all__ = [
    "ConfigError",
    "DynamoSettings",
    "EngineSettings",
    "IngestSettings",
    "KafkaSettings",
    "ServeSettings",
    "Settings",
    "load_settings",
]

DEFAULT_FILE = Path("dynaflow.yaml")
ENV_PREFIX = "DYNAFLOW_"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message says where each value was looked for."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class EngineSettings(_Section):
    """The embedded engine (used when ``dynamo.endpoint_url`` is not set)."""

    data: Path = Path("./data")
    """Data directory of the embedded engine."""
    durability: Literal["fsync", "os"] = "fsync"
    """fsync: an acknowledged write is on disk; os: faster, survives a process crash only."""


class ServeSettings(_Section):
    """The DynamoDB-compatible endpoint (``dynaflow serve`` / ``up``)."""

    model_config = ConfigDict(extra="allow", frozen=True, use_attribute_docstrings=True)

    host: str = "127.0.0.1"
    """Address to bind."""
    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port; 0 picks a free one."""


class DynamoSettings(_Section):
    """Which DynamoDB endpoint the platform talks to."""

    endpoint_url: str | None = None
    """A DynamoDB endpoint (AWS, DynamoDB Local, a dynaflow server); unset: the embedded engine."""
    region: str = "us-east-1"
    """AWS region used for signing."""
    access_key_id: str | None = None
    """Access key id; unset: the AWS default credential chain."""
    secret_access_key: SecretStr | None = None
    """Secret access key matching ``access_key_id``."""
    max_connections: int = Field(default=64, ge=1)
    """HTTP connection pool size of the remote client (bounds requests in flight)."""
    timeout_s: float = Field(default=30.0, gt=0)
    """Per-request connect/read timeout in seconds."""


class KafkaSettings(_Section):
    """The Kafka cluster ingest consumes from."""

    bootstrap_servers: str | None = None
    """Comma-separated host:port list; required by ``dynaflow ingest``."""
    group_id: str = "dynaflow-ingest"
    """Consumer group: processes with the same group share the topics' partitions."""
    client_id: str = "dynaflow"
    """Client id reported to the brokers."""
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """Transport security."""
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] | None = None
    """SASL mechanism when the protocol is SASL_*."""
    sasl_username: str | None = None
    """SASL user name."""
    sasl_password: SecretStr | None = None
    """SASL password."""
    ssl_ca_location: Path | None = None
    """CA certificate file for SSL."""
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    """Where a new consumer group starts on a partition with no committed offset."""
    extra: dict[str, str] = Field(default_factory=dict)
    """Further librdkafka properties, passed through unchanged."""

    def consumer_config(self) -> dict[str, Any]:
        """librdkafka properties common to dynaflow's consumers and producers."""
        if self.bootstrap_servers is None:
            raise ConfigError("kafka.bootstrap_servers is not set")
        conf: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "client.id": self.client_id,
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            conf["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username is not None:
            conf["sasl.username"] = self.sasl_username
        if self.sasl_password is not None:
            conf["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_ca_location is not None:
            conf["ssl.ca.location"] = str(self.ssl_ca_location)
        conf.update(self.extra)
        return conf


class IngestSettings(_Section):
    """Kafka -> table ingestion."""

    batch_size: int = Field(default=5000, ge=1, le=1_000_000)
    """Most records taken from Kafka for one micro-batch."""
    linger_ms: int = Field(default=5, ge=0)
    """How long a micro-batch waits to fill before it is written."""
    concurrency: int = Field(default=32, ge=1)
    """BatchWriteItem calls in flight at once."""
    max_batches_in_flight: int = Field(default=2, ge=1, le=64)
    """Micro-batches written at once (they commit in order; batches sharing an item key are serialized)."""
    max_attempts: int = Field(default=10, ge=1)
    """Attempts per write before its records are dead-lettered."""
    backoff_base_ms: int = Field(default=25, ge=1)
    """First retry delay bound; each attempt doubles it (full jitter: uniform 0..bound)."""
    backoff_max_ms: int = Field(default=5000, ge=1)
    """Largest retry delay bound."""
    throttle_budget_s: float = Field(default=300.0, gt=0)
    """Throttled writes are retried until this much backoff accumulated, then dead-lettered."""
    progress_table: str = "_dynaflow_progress"
    """Table of per-partition write intents (which records a restarted ingester must treat as replays)."""
    dead_letter_table: str | None = "_dynaflow_deadletters"
    """Dead-letter table (created on demand); unset to keep dead letters in a topic only."""
    dead_letter_topic: str | None = None
    """Kafka dead-letter topic; records are produced there with their evidence in headers."""
    rules_table: str = "_dynaflow_rules"
    """Table holding the registered write rules."""
    rules_refresh_s: float = Field(default=10.0, gt=0)
    """How often a running ingester looks for new rule versions."""


_SECTIONS: dict[str, type[_Section]] = {
    "engine": EngineSettings,
    "serve": ServeSettings,
    "dynamo": DynamoSettings,
    "kafka": KafkaSettings,
    "ingest": IngestSettings,
}


class Settings(BaseModel):
    """The whole settings tree, with a record of where values were looked for."""

    model_config = ConfigDict(frozen=True)

    engine: EngineSettings = Field(default_factory=EngineSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    dynamo: DynamoSettings = Field(default_factory=DynamoSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    file: str | None = None
    """The config file read, if any."""
    file_note: str = ""
    """Why no file was read (for error messages)."""

    def require(self, section: str, key: str) -> Any:
        """The value of ``section.key``; a :class:`ConfigError` listing every source if unset."""
        value = getattr(getattr(self, section), key)
        if value is not None:
            return value
        where = f"config file {self.file}" if self.file else f"config file ({self.file_note})"
        raise ConfigError(
            f"missing setting {section}.{key}; tried, in order:\n"
            f"  - flag --set {section}.{key}=...\n"
            f"  - environment variable {env_name(section, key)}\n"
            f"  - {where}, key {section}.{key}"
        )


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}__{key.upper()}"


def _from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for section, model in _SECTIONS.items():
        for key, field in model.model_fields.items():
            raw = env.get(env_name(section, key))
            if raw is None:
                continue
            value: Any = raw
            if field.annotation is not None and "dict" in str(field.annotation):
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    raise ConfigError(f"{env_name(section, key)} must be a JSON object: {exc}") from None
            found.setdefault(section, {})[key] = value
    return found


def _from_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must be a mapping of sections")
    unknown = sorted(set(loaded) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"config file {path}: unknown section(s) {unknown}; known: {sorted(_SECTIONS)}")
    for section, body in loaded.items():
        if not isinstance(body, dict):
            raise ConfigError(f"config file {path}: section {section} must be a mapping")
    return loaded


def _parse_flags(flags: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for dotted, value in flags.items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if section not in _SECTIONS or not key:
            raise ConfigError(f"flag --set {dotted}: expected SECTION.KEY with SECTION in {sorted(_SECTIONS)}")
        if key not in _SECTIONS[section].model_fields and section != "serve":
            raise ConfigError(f"flag --set {dotted}: {section} has no setting {key!r}; "
                              f"known: {sorted(_SECTIONS[section].model_fields)}")
        found.setdefault(section, {})[key] = value
    return found


def parse_set_options(options: list[str]) -> dict[str, str]:
    """``["kafka.group_id=x", ...]`` (the ``--set`` flag) -> ``{"kafka.group_id": "x"}``."""
    parsed: dict[str, str] = {}
    for option in options:
        name, sep, value = option.partition("=")
        if not sep:
            raise ConfigError(f"--set {option}: expected SECTION.KEY=VALUE")
        parsed[name.strip()] = value
    return parsed


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults, the config file, the environment and flags into validated :class:`Settings`."""
    env = os.environ if env is None else env
    file: Path | None = None
    note = ""
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"config file {file} does not exist")
    elif env.get(f"{ENV_PREFIX}CONFIG"):
        file = Path(env[f"{ENV_PREFIX}CONFIG"])
        if not file.is_file():
            raise ConfigError(f"config file {file} (from {ENV_PREFIX}CONFIG) does not exist")
    elif DEFAULT_FILE.is_file():
        file = DEFAULT_FILE
    else:
        note = f"no --config given, {ENV_PREFIX}CONFIG unset, ./{DEFAULT_FILE} not found"

    layers = [(f"config file {file}", _from_file(file)) if file else ("", {}),
              ("environment", _from_env(env)),
              ("flags", _parse_flags(flags or {}))]
    merged: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    origin: dict[tuple[str, str], str] = {}
    for source, layer in layers:
        for section, body in layer.items():
            for key, value in body.items():
                merged[section][key] = value
                origin[(section, key)] = source
    sections: dict[str, Any] = {}
    for section, model in _SECTIONS.items():
        try:
            sections[section] = model.model_validate(merged[section])
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else "?"
                source = origin.get((section, key), "defaults")
                problems.append(f"{section}.{key} (from {source}): {err['msg']}")
            raise ConfigError("invalid settings:\n  - " + "\n  - ".join(problems)) from None
    return Settings(**sections, file=str(file) if file else None, file_note=note)
