"""GSI query latency, in-process: a 20-item Query on a global secondary index.

Creates a table with a KEYS_ONLY and an ALL GSI, fills 200 index partitions of 20 items each, and
times ``client.query(IndexName=..., KeyConditionExpression="g = :g")`` against random partitions
through the embedded client (the ``dynaflow.connect`` API). Prints p50/p99 per projection, plus a
20-item table Query for comparison.

Run: ``.venv/bin/python bench/gsi_query.py [--queries 20000]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

import dynaflow


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20000)
    parser.add_argument("--partitions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        client = dynaflow.connect(data, durability="os")
        defs = [{"AttributeName": n, "AttributeType": t} for n, t in (("pk", "S"), ("g", "S"), ("n", "N"))]
        client.create_table(
            TableName="bench-gsi", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=defs,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {"IndexName": name, "Projection": {"ProjectionType": projection},
                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}]}
                for name, projection in (("keys", "KEYS_ONLY"), ("all", "ALL"))
            ],
        )
        for p in range(args.partitions):
            for n in range(20):
                client.put_item(TableName="bench-gsi", Item={
                    "pk": {"S": f"user-{p}"}, "n": {"N": str(n)}, "g": {"S": f"group-{p}"},
                    "name": {"S": f"item {p}/{n}"}, "score": {"N": str(n * 7)}, "tags": {"SS": ["a", "b"]}})
        rng = random.Random(1)
        cases = {
            "GSI KEYS_ONLY": ("keys", "g", "group"),
            "GSI ALL": ("all", "g", "group"),
            "table (for comparison)": (None, "pk", "user"),
        }
        print(f"20-item Query, {args.queries} queries each, in-process (embedded client), p50 / p99:")
        for label, (index, attr, prefix) in cases.items():
            samples = []
            extra = {"IndexName": index} if index else {}
            for i in range(args.queries + 1000):
                value = {"S": f"{prefix}-{rng.randrange(args.partitions)}"}
                start = time.perf_counter()
                response = client.query(TableName="bench-gsi", KeyConditionExpression=f"{attr} = :v",
                                        ExpressionAttributeValues={":v": value}, **extra)
                elapsed = time.perf_counter() - start
                assert response["Count"] == 20
                if i >= 1000:  # warm-up
                    samples.append(elapsed * 1e6)
            print(f"  {label:24s} p50 {percentile(samples, 0.5):6.1f} µs   p99 {percentile(samples, 0.99):6.1f} µs"
                  f"   mean {statistics.fmean(samples):6.1f} µs")
        client.close()


if __name__ == "__main__":
    main()
