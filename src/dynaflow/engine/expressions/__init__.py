"""DynamoDB expressions: parse, resolve, validate and evaluate, in one pipeline.

The pipeline, one module per phase::

    text --tokens--> tokens --parser--> unresolved AST --cache (by kind, text)
         --resolve (names, values; used sets)--> resolved AST --validate--> checked AST
         --evaluate/update--> closures: Condition, Projection, Update; keycondition -> KeyCondition

Legacy parameters (Expected, AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
AttributesToGet) enter at the resolved-AST stage through :mod:`.legacy`, so both kinds of request
share one evaluator. :func:`compile_expressions` in :mod:`.request` runs the whole pipeline for one
request in DynamoDB's order of checks; it is the only entry point the operations need.
"""

from dynaflow.engine.expressions.evaluate import Condition, Projection
from dynaflow.engine.expressions.keycondition import KeyCondition, KeySchema, RangeOp
from dynaflow.engine.expressions.request import RequestExpressions, compile_expressions
from dynaflow.engine.expressions.update import Update

__all__ = [
    "Condition",
    "KeyCondition",
    "KeySchema",
    "Projection",
    "RangeOp",
    "RequestExpressions",
    "Update",
    "compile_expressions",
]
