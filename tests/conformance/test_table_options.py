"""Table options DynamoDB records and reports: TableClass and WarmThroughput, and UpdateTable's
ReplicaUpdates for the local region. Expected values and messages are AWS's, as recorded by test
suites run against it (ScyllaDB's Alternator tests)."""

from __future__ import annotations

import contextlib

import pytest

from support import assert_dynamo_error
from support.tables import table_name

KEYS = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
IGNORED = "DynamoDB Local ignores TableClass and WarmThroughput"
BAD_CLASS = ("Invalid table-class parameter provided. Please try again with a valid table-class value: "
             "[STANDARD, STANDARD_INFREQUENT_ACCESS].")


@pytest.fixture
def created(dynamodb):
    names: list[str] = []

    def create(**options):
        name = table_name()
        names.append(name)
        return name, dynamodb.create_table(TableName=name, **KEYS, **options)["TableDescription"]

    yield create
    for name in names:
        with contextlib.suppress(Exception):  # refused creations leave nothing to delete
            dynamodb.delete_table(TableName=name)


def described(dynamodb, name):
    return dynamodb.describe_table(TableName=name)["Table"]


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
@pytest.mark.parametrize("table_class", ["STANDARD", "STANDARD_INFREQUENT_ACCESS"])
def test_table_class_given_at_creation_is_reported(dynamodb, created, table_class):
    # Why: a class given to CreateTable shows as TableClassSummary, without an update time.
    name, _ = created(TableClass=table_class)
    assert described(dynamodb, name)["TableClassSummary"] == {"TableClass": table_class}


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
def test_table_class_update_is_reported_with_its_time(dynamodb, created):
    # Why: UpdateTable changes the class and records when; going back keeps the summary.
    name, _ = created()
    assert "TableClassSummary" not in described(dynamodb, name)
    dynamodb.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    summary = described(dynamodb, name)["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS" and "LastUpdateDateTime" in summary
    dynamodb.update_table(TableName=name, TableClass="STANDARD")
    assert described(dynamodb, name)["TableClassSummary"]["TableClass"] == "STANDARD"


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
@pytest.mark.parametrize("table_class", ["standard", "invalid_tableclass_name"])
def test_unknown_table_class_is_rejected(dynamodb, created, table_class):
    # Why: DynamoDB words this check itself instead of answering with an enum constraint.
    assert_dynamo_error(lambda: created(TableClass=table_class), "ValidationException", BAD_CLASS)
    name, _ = created()
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, TableClass="junk"), "ValidationException",
                        BAD_CLASS)


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
def test_every_table_has_the_baseline_warm_throughput(dynamodb, created):
    # Why: DynamoDB reports 12,000 read and 4,000 write units per second for a table that never
    # configured warm throughput.
    name, _ = created()
    assert described(dynamodb, name)["WarmThroughput"] == {"ReadUnitsPerSecond": 12000,
                                                           "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
@pytest.mark.parametrize(("requested", "expected"), [
    ({"ReadUnitsPerSecond": 12240, "WriteUnitsPerSecond": 4080}, (12240, 4080)),
    ({"ReadUnitsPerSecond": 12240}, (12240, 4000)),
    ({"WriteUnitsPerSecond": 4080}, (12000, 4080)),
], ids=["both", "read-only", "write-only"])
def test_warm_throughput_given_at_creation_is_reported(dynamodb, created, requested, expected):
    # Why: CreateTable echoes the warm throughput with a status; a unit not given keeps the baseline.
    name, response = created(WarmThroughput=requested)
    assert response["WarmThroughput"]["Status"] in ("ACTIVE", "UPDATING")
    warm = described(dynamodb, name)["WarmThroughput"]
    assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"], warm["Status"]) == (*expected, "ACTIVE")


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
def test_warm_throughput_can_be_raised_but_never_lowered(dynamodb, created):
    # Why: an UpdateTable with only WarmThroughput is a real update; once raised it cannot decrease.
    name, _ = created()
    dynamodb.update_table(TableName=name, WarmThroughput={"ReadUnitsPerSecond": 12240, "WriteUnitsPerSecond": 4080})
    warm = described(dynamodb, name)["WarmThroughput"]
    assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]) == (12240, 4080)
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, WarmThroughput={
        "ReadUnitsPerSecond": 12120, "WriteUnitsPerSecond": 4040}), "ValidationException",
        "lower than current WarmThroughput")


@pytest.mark.dynamodb_local_differs(reason=IGNORED)
@pytest.mark.parametrize(("units", "too_low"), [((11999, 4000), "ReadUnitsPerSecond"),
                                                ((12000, 3999), "WriteUnitsPerSecond")])
def test_warm_throughput_below_the_baseline_is_rejected(dynamodb, created, units, too_low):
    # Why: the baseline is also the least a table may be configured with; the error names the unit.
    assert_dynamo_error(lambda: created(WarmThroughput={"ReadUnitsPerSecond": units[0],
                                                        "WriteUnitsPerSecond": units[1]}),
                        "ValidationException", too_low, "lower than")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local does not support ReplicaUpdates")
def test_replica_in_the_local_region_is_refused(dynamodb, created):
    # Why: the table itself is the local region's replica; ReplicaUpdates cannot add or remove it.
    name, _ = created()
    region = dynamodb.meta.region_name if hasattr(dynamodb, "meta") else "us-east-1"
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, ReplicaUpdates=[
        {"Create": {"RegionName": region}}]), "ValidationException",
        "Cannot add or delete the local region through ReplicaUpdates")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers UnknownOperationException")
def test_legacy_global_tables_are_none(dynamodb):
    # Why: DynamoDB creates no version 2017.11.29 global tables any more, so there are none to list
    # or describe, and creating one is refused with a pointer to version 2019.11.21.
    assert dynamodb.list_global_tables()["GlobalTables"] == []
    for call in (lambda: dynamodb.describe_global_table(GlobalTableName="legacy_gt"),
                 lambda: dynamodb.describe_global_table_settings(GlobalTableName="legacy_gt"),
                 lambda: dynamodb.update_global_table(GlobalTableName="legacy_gt",
                                                      ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])):
        assert_dynamo_error(call, "GlobalTableNotFoundException", "Global table with name 'legacy_gt' does not exist.")
    assert_dynamo_error(lambda: dynamodb.create_global_table(GlobalTableName="legacy_gt", ReplicationGroup=[
        {"RegionName": "us-east-1"}]), "ValidationException", "version 2017.11.29 is not supported")


def _export(dynamodb, **overrides):
    request = {"TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/whatever", "S3Bucket": "bucket", **overrides}
    return dynamodb.export_table_to_point_in_time(**{k: v for k, v in request.items() if v is not None})


@pytest.mark.parametrize(("overrides", "named"), [
    ({"ExportType": "QWERTY"}, "xportType"), ({"ExportType": ""}, "xportType"), ({"ClientToken": ""}, "lientToken"),
    ({"ExportFormat": ""}, "xportFormat"), ({"ExportFormat": "QWERTY"}, "xportFormat"), ({"S3Prefix": ""}, "3Prefix"),
    ({"S3Bucket": ""}, "3Bucket"), ({"S3Bucket": None}, "3Bucket"), ({"TableArn": None}, "ableArn"),
    ({"TableArn": ""}, "ableArn"), ({"TableArn": "\t"}, "ableArn"), ({"TableArn": "QWERTY"}, "ableArn"),
    ({"S3BucketOwner": ""}, "3BucketOwner"), ({"S3SseAlgorithm": ""}, "3SseAlgorithm"),
    ({"S3SseAlgorithm": "QWERTY"}, "3SseAlgorithm"),
], ids=lambda v: str(v)[:40] if isinstance(v, dict) else None)
@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers UnknownOperationException")
def test_export_request_validation(dynamodb, overrides, named):
    # Why: every malformed export parameter is a ValidationException naming it, found before the
    # table or its backups are looked at (as recorded by test suites run against AWS: ScyllaDB's
    # Alternator tests).
    response = assert_dynamo_error(lambda: _export(dynamodb, **overrides), "ValidationException")
    assert named in response["Error"]["Message"]


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers UnknownOperationException")
def test_export_needs_point_in_time_recovery(dynamodb, created):
    # Why: a past export time is invalid before anything else, a missing table is
    # TableNotFoundException, and an existing table without point-in-time recovery cannot be exported.
    assert_dynamo_error(lambda: _export(dynamodb, ExportTime=-1), "InvalidExportTimeException",
                        "Export Time is invalid")
    assert_dynamo_error(lambda: _export(dynamodb), "TableNotFoundException", "not found")
    _, description = created()
    assert_dynamo_error(lambda: _export(dynamodb, TableArn=description["TableArn"]),
                        "PointInTimeRecoveryUnavailableException")
