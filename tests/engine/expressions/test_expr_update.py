"""Update application: DynamoDB's semantics, errors, and never mutating the input."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from helpers_expr import compile_

from dynaflow.engine.errors import DynamoError


def update(expression: str, item: dict[str, Any], names: dict[str, str] | None = None, **vals: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"UpdateExpression": expression}
    if vals:
        request["ExpressionAttributeValues"] = {f":{k}": v for k, v in vals.items()}
    if names:
        request["ExpressionAttributeNames"] = names
    compiled = compile_("UpdateItem", **request).update
    assert compiled is not None
    before = copy.deepcopy(item)
    try:
        return compiled.apply(item)
    finally:
        # The caller may retry with the same stored item: apply must never change it.
        assert item == before


def update_error(expression: str, item: dict[str, Any], **vals: Any) -> str:
    with pytest.raises(DynamoError) as info:
        update(expression, item, **vals)
    assert info.value.type == "ValidationException"
    return info.value.message


def test_set_creates_and_replaces_attributes() -> None:
    # The basic SET.
    assert update("SET a = :v, b = :w", {"a": {"S": "old"}}, v={"S": "new"}, w={"N": "1"}) == {
        "a": {"S": "new"},
        "b": {"N": "1"},
    }


def test_set_arithmetic_is_exact_decimal() -> None:
    # SET a = a + :n uses 38-digit decimal arithmetic, not floats.
    assert update("SET a = a + :n", {"a": {"N": "0.1"}}, n={"N": "0.2"}) == {"a": {"N": "0.3"}}
    assert update("SET a = :x - a", {"a": {"N": "5"}}, x={"N": "2"}) == {"a": {"N": "-3"}}


def test_right_hand_sides_read_the_item_before_the_update() -> None:
    # All operands see the old item, so this swaps.
    assert update("SET a = b, b = a", {"a": {"N": "1"}, "b": {"N": "2"}}) == {"a": {"N": "2"}, "b": {"N": "1"}}


def test_if_not_exists_and_list_append() -> None:
    # The two update functions, alone and nested.
    item = {"l": {"L": [{"N": "1"}]}}
    assert update("SET c = if_not_exists(c, :z)", item, z={"N": "0"})["c"] == {"N": "0"}
    assert update("SET l = if_not_exists(l, :z)", item, z={"L": []})["l"] == item["l"]
    result = update(
        "SET l = list_append(:h, l), m = list_append(if_not_exists(m, :e), :h)",
        item,
        h={"L": [{"N": "0"}]},
        e={"L": []},
    )
    assert result["l"] == {"L": [{"N": "0"}, {"N": "1"}]}
    assert result["m"] == {"L": [{"N": "0"}]}


def test_nested_set_copies_only_the_changed_path() -> None:
    # Nested updates create new containers along the path and share the rest.
    item = {"m": {"M": {"x": {"N": "1"}, "other": {"M": {"k": {"S": "v"}}}}}}
    result = update("SET m.x = :v", item, v={"N": "2"})
    assert result["m"]["M"]["x"] == {"N": "2"}
    assert result["m"]["M"]["other"] is item["m"]["M"]["other"]


def test_set_list_index_past_the_end_appends() -> None:
    # DynamoDB appends instead of padding.
    item = {"l": {"L": [{"N": "0"}]}}
    assert update("SET l[5] = :v", item, v={"N": "9"})["l"] == {"L": [{"N": "0"}, {"N": "9"}]}


def test_remove_of_list_elements_uses_original_indexes() -> None:
    # REMOVE l[0], l[2] removes the first and third elements of the original list.
    item = {"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}}
    assert update("REMOVE l[0], l[2]", item)["l"] == {"L": [{"N": "1"}, {"N": "3"}]}


def test_remove_of_absent_attribute_is_a_no_op() -> None:
    # Removing what is not there succeeds.
    assert update("REMOVE gone, m.gone", {"m": {"M": {}}}) == {"m": {"M": {}}}


def test_add_numbers_and_sets_and_creates_absent_attributes() -> None:
    # ADD is increment for numbers, union for sets, and creates absent attributes.
    item = {"n": {"N": "1"}, "s": {"SS": ["a"]}}
    result = update("ADD n :one, s :set, fresh :one, fresh_set :set", item, one={"N": "1"}, set={"SS": ["a", "b"]})
    assert result["n"] == {"N": "2"}
    assert sorted(result["s"]["SS"]) == ["a", "b"]
    assert result["fresh"] == {"N": "1"} and result["fresh_set"] == {"SS": ["a", "b"]}


def test_delete_from_set_and_removal_of_the_emptied_set() -> None:
    # A set cannot be empty, so deleting its last members removes the attribute.
    item = {"s": {"SS": ["a", "b"]}}
    assert update("DELETE s :v", item, v={"SS": ["a"]}) == {"s": {"SS": ["b"]}}
    assert update("DELETE s :v", item, v={"SS": ["a", "b", "c"]}) == {}
    assert update("DELETE absent :v", item, v={"SS": ["a"]}) == item


def test_evaluation_errors_use_dynamodb_wording() -> None:
    # Failures that depend on the stored item are raised at apply time.
    wrong = "An operand in the update expression has an incorrect data type"
    assert update_error("SET a = a + :n", {"a": {"S": "x"}}, n={"N": "1"}) == wrong
    assert update_error("SET a = list_append(a, :l)", {"a": {"N": "1"}}, l={"L": []}) == wrong
    assert update_error("ADD a :n", {"a": {"S": "x"}}, n={"N": "1"}) == wrong
    assert update_error("ADD a :s", {"a": {"NS": ["1"]}}, s={"SS": ["x"]}) == wrong
    assert update_error("DELETE a :s", {"a": {"S": "x"}}, s={"SS": ["x"]}) == wrong
    assert update_error("SET a = b", {}) == (
        "The provided expression refers to an attribute that does not exist in the item"
    )
    invalid = "The document path provided in the update expression is invalid for update"
    assert update_error("SET a.b = :v", {}, v={"N": "1"}) == invalid
    assert update_error("SET a.b = :v", {"a": {"S": "x"}}, v={"N": "1"}) == invalid
    assert update_error("SET a[0] = :v", {"a": {"M": {}}}, v={"N": "1"}) == invalid


def test_number_overflow_in_arithmetic_is_a_validation_error() -> None:
    # Results outside DynamoDB's number range are rejected.
    big = {"N": "9.9999999999999999999999999999999999999E+125"}
    message = update_error("SET a = a + :n", {"a": big}, n=big)
    assert "Number overflow" in message


def test_top_level_names_lists_touched_attributes() -> None:
    # Callers reject key updates with this before applying anything.
    compiled = compile_(
        "UpdateItem",
        UpdateExpression="SET a.b = :v REMOVE #k ADD c :n",
        ExpressionAttributeNames={"#k": "pk"},
        ExpressionAttributeValues={":v": {"S": "x"}, ":n": {"N": "1"}},
    ).update
    assert compiled is not None and compiled.top_level_names == frozenset({"a", "pk", "c"})
