"""TransactWriteItems: up to 100 Put/Update/Delete/ConditionCheck actions, all or nothing.

The actions are the single-item write objects of PutItem, UpdateItem and DeleteItem (``rmw.py``)
plus :class:`ConditionCheck`, and the whole transaction is ONE writer job, so it commits in one
LMDB transaction together with every index entry and stream record its changes imply
(``changes.write_change``). Inside the job nothing is written until every action has passed:

1. the ClientRequestToken, if any: a live token with the same TransactItems answers at once
   without applying anything; with other TransactItems it is IdempotentParameterMismatchException
   (``idempotency.py``);
2. an action found invalid before the job (``_prepare``: a key of the wrong type, an update of a
   key attribute) cancels the transaction at once: it gets its ValidationError and every other
   action ``None``, even another invalid one, and no condition is evaluated (DynamoDB validates
   every action before running any, and stops at the first error);
3. for each action in order: read the item and evaluate its condition, then compute the new item
   (update evaluation, item size) — every failure becomes that action's cancellation reason and
   the others still get theirs, as DynamoDB reports them;
4. any reason other than ``None`` raises TransactionCanceledException with one reason per action;
5. otherwise write every change, then record the token in the same transaction.

Validation before the job follows DynamoDB's order of checks (observed against DynamoDB Local):

* per action, in order: exactly one action type, then its expressions — these errors win over
  everything that needs a table;
* per action, in order: the table (ResourceNotFoundException "Requested resource not found"),
  missing key attributes, the action's item (values, size), and the one-item-once rule;
* the 4 MB payload limit over all actions;
* data-dependent problems — a key attribute of the wrong type, an update of a key attribute —
  are not request errors: they become ``ValidationError`` cancellation reasons.

Capacity follows DynamoDB's transactional rules: a write costs twice its standard write units, a
ConditionCheck twice the strongly consistent read units of the item it reads; a replayed request
reports twice the read units of its items instead (DynamoDB's documented replay behavior).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from dynaflow.engine import capacity, errors, idempotency, item_collections, records
from dynaflow.engine.catalog import Table
from dynaflow.engine.changes import write_change
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.expressions import RequestExpressions, compile_expressions
from dynaflow.engine.ops.delete_item import DeleteItem
from dynaflow.engine.ops.put_item import PutItem
from dynaflow.engine.ops.update_item import UpdateItem
from dynaflow.engine.rmw import DELETE, RmwOperation, compile_for
from dynaflow.engine.shapes.transact_write_items import MAX_ACTIONS
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.values import Item, item_size, prove_item, validate_item
from dynaflow.engine.writer import WriteContext

MAX_PAYLOAD: Final = 4 * 1024 * 1024
KINDS: Final = ("ConditionCheck", "Put", "Delete", "Update")
_SCALAR_TYPES: Final = frozenset({"S", "N", "B"})
_NONE: Final = {"Code": "None"}
_CONDITION_FAILED: Final = "The conditional request failed"
_KEY_TYPE_MISMATCH: Final = "One or more parameter values were invalid: Type mismatch for key"


class ConditionCheck(RmwOperation):
    """A transaction's read-only action: evaluate a condition on one item, write nothing."""

    operation = "ConditionCheck"

    def __init__(self, state: EngineState, request: dict[str, Any], out: Output,
                 compiled: RequestExpressions | None = None) -> None:
        super().__init__(state, request, out)
        key = validate_item(request.get("Key"))
        self.condition = compile_for(request, "ConditionCheck", compiled).condition
        self.table = state.catalog.get(request["TableName"])
        self.key = self.table.key_from_key(key)

    def apply(self, old: Item | None) -> Item | object:
        raise AssertionError("a ConditionCheck never writes")


_OPERATIONS: Final[dict[str, Callable[[EngineState, dict[str, Any], Output, RequestExpressions], RmwOperation]]] = {
    "Put": PutItem,
    "Update": UpdateItem,
    "Delete": DeleteItem,
    "ConditionCheck": ConditionCheck,
}


@dataclass(slots=True)
class _Action:
    """One validated action: its operation object, or the reason it is cancelled before reading."""

    kind: str
    table: Table
    op: RmwOperation | None = None
    reason: dict[str, Any] | None = None
    #: Filled in by the job.
    old_record: bytes | None = None
    old: Item | None = None
    new: Item | object | None = None
    new_size: int = 0


_NO_NAMES: Final[dict[str, Any]] = {}
#: The members a shortcut Put may carry: each is proven below, so the shape check could only pass.
_SHORTCUT_PUT_MEMBERS: Final = frozenset(
    {"TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"})


def shortcut(state: EngineState, request: dict[str, Any], out: Output) -> Deferred | None:
    """A transaction of (conditional) puts of proven items into existing tables; else None.

    The replication sink's write. ``TransactItems`` only, 1..100 elements, each exactly one
    ``Put`` of the members in ``_SHORTCUT_PUT_MEMBERS``: a table known by name (its name passed
    the naming rules when it was created), an ``Item`` and ``ExpressionAttributeValues`` that
    ``values.prove_item`` proves valid (valid attribute values are all the shape check asks of
    them), string expressions and string-to-string names. The shape check could then only pass
    (as for ``put_item.shortcut``), so the request goes straight to :func:`run`, which still makes
    every semantic check. Anything else takes the checked path.
    """
    if len(request) != 1:
        return None
    items = request.get("TransactItems")
    if items.__class__ is not list or not 0 < len(items) <= MAX_ACTIONS:
        return None
    tables = state.catalog.tables
    proven: set[int] = set()  # value maps proven already (a sink shares one across its actions)
    for element in items:
        if element.__class__ is not dict or len(element) != 1:
            return None
        put = element.get("Put")
        if put.__class__ is not dict or not _SHORTCUT_PUT_MEMBERS.issuperset(put):
            return None
        name = put.get("TableName")
        item = put.get("Item")
        if name.__class__ is not str or name not in tables or item.__class__ is not dict or not prove_item(item):
            return None
        condition = put.get("ConditionExpression", "")
        if condition.__class__ is not str:
            return None
        names = put.get("ExpressionAttributeNames", _NO_NAMES)
        if names.__class__ is not dict or not all(
                k.__class__ is str and v.__class__ is str for k, v in names.items()):
            return None
        values = put.get("ExpressionAttributeValues", _NO_NAMES)
        if values.__class__ is not dict:
            return None
        if values and id(values) not in proven:
            if not prove_item(values):
                return None
            proven.add(id(values))
    return run(state, request, out)


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    items: list[dict[str, Any]] = request["TransactItems"]
    # 1. Exactly one action per element, and every expression, before any table is looked up.
    parsed: list[tuple[str, dict[str, Any], RequestExpressions]] = []
    for element in items:
        kind = _kind(element)
        action = element[kind]
        parsed.append((kind, action, compile_expressions(action, operation=kind)))
    # 2. Tables, keys, items and the one-item-once rule, action by action.
    actions: list[_Action] = []
    seen: set[tuple[int, bytes]] = set()
    payload = 0
    for kind, action, compiled in parsed:
        table = state.catalog.tables.get(action["TableName"])
        if table is None:
            raise errors.resource_not_found()
        entry = _prepare(state, table, kind, action, compiled, out)
        if entry.op is not None:
            marker = (table.table_id, entry.op.key)
            if marker in seen:
                raise errors.validation("Transaction request cannot include multiple operations on one item")
            seen.add(marker)
        payload += _payload_size(kind, action, entry.op, compiled)
        actions.append(entry)
    if payload > MAX_PAYLOAD:
        raise errors.validation(f"Transaction payload size cannot exceed 4MB. Payload Size: {payload}")

    wants_capacity = request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
    token: str | None = request.get("ClientRequestToken")
    digest = idempotency.request_digest(items) if token is not None else ""

    def job(ctx: WriteContext) -> dict[str, Any]:
        now = state.clock()
        if token is not None:
            record = idempotency.lookup(ctx.txn, ctx.env.meta, token, now)
            if record is not None:
                if record.digest != digest:
                    raise errors.idempotent_parameter_mismatch("")
                return _response(request, record.replay_units)
        first = next((action for action in actions if action.reason is not None), None)
        if first is not None and first.reason is not None:  # found before reading: it cancels alone
            reason = first.reason
            raise errors.transaction_canceled([reason if action is first else _NONE for action in actions])
        reasons = [_evaluate(ctx, action) for action in actions]
        if any(reason is not _NONE for reason in reasons):
            raise errors.transaction_canceled(reasons)
        units: dict[str, float] = {}
        index_units: dict[str, capacity.IndexUnits] = {}
        collections = item_collections.Touched() if request.get("ReturnItemCollectionMetrics") == "SIZE" else None
        replay: dict[str, float] = {}
        for action in actions:
            used, after = _store(ctx, action)
            name = action.table.name
            units[name] = units.get(name, 0.0) + used
            replay[name] = replay.get(name, 0.0) + 2 * capacity.read_units(after, consistent=True)
            if wants_capacity and action.kind != "ConditionCheck" and action.op is not None and action.op.table.indexes:
                index_units.setdefault(name, []).extend(_index_units(action))
            if collections is not None and action.kind != "ConditionCheck" and action.op is not None:
                new = action.new if isinstance(action.new, dict) else None
                collections.note(action.op.table, action.op.collection_item(new, action.old))
        if token is not None:
            idempotency.remember(ctx.txn, ctx.env.meta, token, digest, replay, now)
        response = _response(request, units, index_units)
        if collections is not None:
            reported = collections.report(ctx.txn, ctx.env, out)
            if reported:
                response["ItemCollectionMetrics"] = reported
        return response

    return Deferred(job)


def _kind(element: dict[str, Any]) -> str:
    """The element's one action type, or the ValidationException for none or several."""
    if len(element) == 1:
        kind = next(iter(element))
        if kind in KINDS and element[kind] is not None:
            return kind
    present = [kind for kind in KINDS if element.get(kind) is not None]
    if len(present) != 1:
        raise errors.validation(
            "TransactItems can only contain one of Check, Put, Update or Delete" if present else
            "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request"
        )
    return present[0]


def _prepare(state: EngineState, table: Table, kind: str, action: dict[str, Any],
             compiled: RequestExpressions, out: Output) -> _Action:
    """Build the action's operation object, or its cancellation reason for data problems."""
    source = action.get("Item") if kind == "Put" else action.get("Key")
    if source.__class__ is dict:
        key_names = table.key_names
        for name in key_names:
            if name not in source:
                raise errors.validation("One of the required keys was not given a value")
        if kind != "Put" and len(source) != len(key_names):
            raise errors.validation("The number of conditions on the keys is invalid")
        if _key_type_mismatch(table, source):
            validate_item(source)  # malformed values are still request errors
            return _Action(kind, table, reason={"Code": "ValidationError", "Message": _KEY_TYPE_MISMATCH})
    update = compiled.update
    if update is not None:
        for name in table.key_names:
            if name in update.top_level_names:
                validate_item(source)
                return _Action(kind, table, reason={
                    "Code": "ValidationError",
                    "Message": f"One or more parameter values were invalid: Cannot update attribute {name}. "
                               "This attribute is part of the key",
                })
    return _Action(kind, table, op=_OPERATIONS[kind](state, action, out, compiled))


def _key_type_mismatch(table: Table, source: dict[str, Any]) -> bool:
    """True if a key attribute holds a well-formed scalar of another type than the schema's."""
    name, type_ = table.hash_key
    av = source[name]
    if av.__class__ is dict and type_ not in av and len(av) == 1 and next(iter(av)) in _SCALAR_TYPES:
        return True
    if table.range_key is None:
        return False
    name, type_ = table.range_key
    av = source[name]
    return av.__class__ is dict and type_ not in av and len(av) == 1 and next(iter(av)) in _SCALAR_TYPES


def _payload_size(kind: str, action: dict[str, Any], op: RmwOperation | None, compiled: RequestExpressions) -> int:
    """The action's share of the 4 MB limit: the item (Put) or key, expressions and values."""
    if isinstance(op, PutItem):
        size = op.size
    else:
        source = action.get("Item") if kind == "Put" else action.get("Key")
        size = item_size(validate_item(source))
    return size + compiled.payload_size


def _evaluate(ctx: WriteContext, action: _Action) -> dict[str, Any]:
    """Check one action inside the job; return its cancellation reason (``_NONE`` if it passes)."""
    op = action.op
    if op is None:
        assert action.reason is not None
        return action.reason
    try:
        old_record, old = op.check(ctx)
    except DynamoError as exc:
        if exc.type == "ResourceNotFoundException":
            raise errors.resource_not_found() from None
        if exc.type != "ConditionalCheckFailedException":
            raise
        reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": _CONDITION_FAILED}
        if "Item" in exc.extra:
            reason["Item"] = exc.extra["Item"]
        return reason
    action.old_record = old_record
    action.old = old
    if action.kind == "ConditionCheck":
        return _NONE
    try:
        new = op.apply(old)
        if new is not DELETE:
            assert isinstance(new, dict)
            action.new_size = op.new_size(new)
        action.new = new
    except DynamoError as exc:
        if exc.type != "ValidationException":
            raise
        return {"Code": "ValidationError", "Message": exc.message}
    return _NONE


def _store(ctx: WriteContext, action: _Action) -> tuple[float, int]:
    """Write one checked action; return its consumed units and the item's size afterwards."""
    op = action.op
    assert op is not None
    old_record = action.old_record
    old_size = records.item_size(old_record) if old_record is not None else 0
    if action.kind == "ConditionCheck":
        return 2 * capacity.read_units(old_size, consistent=True), old_size
    old = action.old
    if action.new is DELETE:
        write_change(ctx, op.table, op.key, old_record, None, old=old)
        # A transactional delete of an absent item is charged one unit (as DynamoDB Local reports).
        return (2 * capacity.write_units(old_size) if old_record is not None else 1.0), 0
    new = action.new
    assert isinstance(new, dict)
    write_change(ctx, op.table, op.key, old_record, new, action.new_size, old=old, record=op.encoded(new))
    return 2 * capacity.write_units(max(old_size, action.new_size)), action.new_size


def _index_units(action: _Action) -> capacity.IndexUnits:
    """The index writes of one stored action, at the transactional rate (twice the standard)."""
    assert action.op is not None
    old = action.old
    if old is None and action.old_record is not None:
        old = records.decode_item(action.old_record)
    new = None if action.new is DELETE else action.new
    assert new is None or isinstance(new, dict)
    return [(name, is_global, 2 * used) for name, is_global, used in
            capacity.index_write_units(action.op.table, old, new)]


def _response(request: dict[str, Any], units: dict[str, float],
              index_units: dict[str, capacity.IndexUnits] | None = None) -> dict[str, Any]:
    if request.get("ReturnConsumedCapacity") not in ("TOTAL", "INDEXES"):
        return {}
    return {"ConsumedCapacity": [capacity.consumed(request, name, used, indexes=(index_units or {}).get(name))
                                 for name, used in units.items()]}
