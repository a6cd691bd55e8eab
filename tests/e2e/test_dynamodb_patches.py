"""The local runtime's change to the emulated DynamoDB keeps what a Query answers."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from leadflow_cli.local.runtime import REGION, LocalRuntime


def test_a_query_on_the_tables_key_answers_its_partition_in_order_page_by_page(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    runtime = runtime_factory(consume_queues=False)
    table = runtime.table_names["StateTable"]
    db = boto3.client("dynamodb", region_name=REGION)
    for pk in ("CONTACT#1", "CONTACT#2", "CONTACT#3"):
        for sk in ("JOURNEY#a", "JOURNEY#b", "JOURNEY#c", "SIGNALS"):
            db.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}})
    asked = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :j)",
        "ExpressionAttributeValues": {":pk": {"S": "CONTACT#2"}, ":j": {"S": "JOURNEY#"}},
        "ScanIndexForward": False,
        "Limit": 2,
    }

    first = db.query(**asked)
    rest = db.query(**asked, ExclusiveStartKey=first["LastEvaluatedKey"])
    elsewhere = {":pk": {"S": "CONTACT#9"}, ":j": {"S": "JOURNEY#"}}
    missing = db.query(**{**asked, "ExpressionAttributeValues": elsewhere})

    assert [(i["pk"]["S"], i["sk"]["S"]) for i in first["Items"] + rest["Items"]] == [
        ("CONTACT#2", "JOURNEY#c"),
        ("CONTACT#2", "JOURNEY#b"),
        ("CONTACT#2", "JOURNEY#a"),
    ]
    assert "LastEvaluatedKey" not in rest and missing["Items"] == []
