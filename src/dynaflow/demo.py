"""A short tour of the embedded engine: create a table, write items, query them back."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

import dynaflow

TABLE = "demo-orders"


def run_demo(data: Path) -> None:
    console = Console()
    with dynaflow.connect(data) as client:
        if TABLE not in client.list_tables()["TableNames"]:
            client.create_table(
                TableName=TABLE,
                KeySchema=[
                    {"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "order", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "customer", "AttributeType": "S"},
                    {"AttributeName": "order", "AttributeType": "N"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        writes = [
            {"PutRequest": {"Item": {
                "customer": {"S": "alice"}, "order": {"N": str(n)},
                "total": {"N": f"{n * 12.5:.2f}"}, "status": {"S": "shipped" if n % 2 else "open"},
            }}}
            for n in range(1, 11)
        ]
        client.batch_write_item(RequestItems={TABLE: writes})
        client.update_item(
            TableName=TABLE,
            Key={"customer": {"S": "alice"}, "order": {"N": "3"}},
            UpdateExpression="SET #s = :s ADD revisions :one",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "returned"}, ":one": {"N": "1"}},
        )
        result = client.query(
            TableName=TABLE,
            KeyConditionExpression="customer = :c AND #o BETWEEN :lo AND :hi",
            FilterExpression="#s <> :open",
            ExpressionAttributeNames={"#o": "order", "#s": "status"},
            ExpressionAttributeValues={
                ":c": {"S": "alice"}, ":lo": {"N": "2"}, ":hi": {"N": "8"}, ":open": {"S": "open"},
            },
        )
        view = RichTable(title=f"{TABLE}: alice's orders 2..8 that are not open ({data})")
        for column in ("order", "total", "status"):
            view.add_column(column)
        for item in result["Items"]:
            view.add_row(item["order"]["N"], item["total"]["N"], item["status"]["S"])
        console.print(view)
        described = client.describe_table(TableName=TABLE)["Table"]
        console.print(f"{described['ItemCount']} items, {described['TableSizeBytes']} bytes in {TABLE}")
