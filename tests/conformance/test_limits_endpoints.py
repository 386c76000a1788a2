"""DescribeLimits and DescribeEndpoints."""

from __future__ import annotations

import pytest


def test_describe_limits_reports_the_default_quotas(dynamodb):
    # Why: capacity planners read AWS's default account and table maximums from DescribeLimits.
    response = dynamodb.describe_limits()
    response.pop("ResponseMetadata", None)
    assert response == {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                        "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers UnknownOperationException")
def test_describe_endpoints_lists_one_endpoint_cached_for_a_day(dynamodb):
    # Why: SDKs with endpoint discovery call DescribeEndpoints and cache the answer for 1440 minutes.
    endpoints = dynamodb.describe_endpoints()["Endpoints"]
    assert len(endpoints) == 1
    assert endpoints[0]["CachePeriodInMinutes"] == 1440
    assert isinstance(endpoints[0]["Address"], str) and endpoints[0]["Address"]
