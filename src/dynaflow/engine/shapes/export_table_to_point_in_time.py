"""ExportTableToPointInTime input.

``S3Prefix`` is declared with a minimum length of 1 although the published model gives none:
DynamoDB refuses an empty prefix with the constraint error of that length.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.types import Enum, String, Timestamp, optional, required, struct

INPUT: Final = struct(
    "ExportTableToPointInTimeInput",
    required("TableArn", String(min=1, max=1024)),
    optional("ExportTime", Timestamp()),
    optional("ClientToken", String(pattern=r"^[^\$]+$")),
    required("S3Bucket", String(max=255, pattern=r"^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$")),
    optional("S3BucketOwner", String(pattern=r"[0-9]{12}")),
    optional("S3Prefix", String(min=1, max=1024)),
    optional("S3SseAlgorithm", Enum(("AES256", "KMS"))),
    optional("S3SseKmsKeyId", String(min=1, max=2048)),
    optional("ExportFormat", Enum(("DYNAMODB_JSON", "ION"))),
    optional("ExportType", Enum(("FULL_EXPORT", "INCREMENTAL_EXPORT"))),
    optional("IncrementalExportSpecification", struct(
        "IncrementalExportSpecification",
        optional("ExportFromTime", Timestamp()),
        optional("ExportToTime", Timestamp()),
        optional("ExportViewType", Enum(("NEW_IMAGE", "NEW_AND_OLD_IMAGES"))),
    )),
)
