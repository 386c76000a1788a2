"""One recursive-descent parser for all five DynamoDB expression kinds.

Grammar (keywords are case-insensitive; ``path`` is ``name|#name`` followed by ``.name|.#name`` and
``[index]`` parts)::

    condition   := and (OR and)*                   -- also FilterExpression, KeyConditionExpression
    and         := not (AND not)*
    not         := NOT not | primary
    primary     := '(' condition ')' | predicate
    predicate   := operand comparator operand
                 | operand BETWEEN operand AND operand
                 | operand IN '(' operand (',' operand)* ')'
                 | function                          -- attribute_exists(a), begins_with(a, :p) ...
    operand     := '(' operand ')' | :value | function | path
    function    := name '(' operand (',' operand)* ')'
    projection  := path (',' path)*
    update      := (SET set (',' set)* | REMOVE path (',' path)* | ADD path :value (',' ...)*
                   | DELETE path :value (',' ...)*)+
    set         := path '=' value
    value       := atom (('+' | '-') atom)?
    atom        := '(' value ')' | operand

The parser only decides shape. Everything DynamoDB reports as a semantic error (reserved words,
undefined names, function arity, operand types, overlapping paths) is left to :mod:`.resolve` and
:mod:`.validate`, because DynamoDB ranks those errors by category rather than by position; the two
facts only the parser can see (redundant parentheses, a repeated update section) are recorded on the
result for the validator to rank.

A ``(`` at the start of a condition may open a parenthesised condition or a parenthesised operand
(``(a) = :v``); the parser tries the condition first and backtracks. Syntax errors name the token
that could not be consumed at the furthest point any alternative reached, with DynamoDB's ``near:``
window (previous token, the token, next token, as written), e.g.
``Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="``.

Nesting of parentheses and function calls is limited to :data:`MAX_DEPTH`, which bounds
recursion (about four interpreter frames a level); the text is limited to
:data:`MAX_EXPRESSION_BYTES` (DynamoDB's 4 KB expression limit). DynamoDB itself limits a condition
to :data:`MAX_OPERATORS` operators, which ``validate`` counts; an expression too deep to parse here
that also has more operators than that gets DynamoDB's operator message, which is what DynamoDB says
of it (``NOT NOT ... a < b``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NoReturn

from dynaflow.engine import errors
from dynaflow.engine.expressions.ast import (
    And,
    Arith,
    Between,
    Call,
    Comparator,
    Compare,
    ConditionNode,
    ExpressionKind,
    FunctionCondition,
    In,
    Node,
    Not,
    Operand,
    Or,
    Path,
    PathElement,
    ProjectionNode,
    UpdateAction,
    UpdateKind,
    UpdateNode,
    ValueRef,
)
from dynaflow.engine.expressions.tokens import Token, tokenize

#: Maximum nesting of parentheses and function calls in one expression. DynamoDB
#: accepts ``a<b OR (a<b OR (...))`` 149 levels deep (299 operators, under its limit of 300).
MAX_DEPTH: Final = 150
#: DynamoDB's limit on the operators of one condition (comparators, AND, OR, NOT, BETWEEN, IN).
MAX_OPERATORS: Final = 300
#: DynamoDB's words for a condition past MAX_OPERATORS (it stops counting at one more).
TOO_MANY_OPERATORS: Final = f"The expression contains too many operators; operator count: {MAX_OPERATORS + 1}"
#: The largest list index a document path may hold (a 32-bit signed integer, as DynamoDB Local,
#: which shares DynamoDB's expression code, accepts; one more is "not within the allowable range").
MAX_LIST_INDEX: Final = 2**31 - 1
#: DynamoDB's limit on the length of any one expression string.
MAX_EXPRESSION_BYTES: Final = 4096

_COMPARATORS: Final[frozenset[str]] = frozenset({"=", "<>", "<", "<=", ">", ">="})
_CONDITION_KEYWORDS: Final = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
_UPDATE_KEYWORDS: Final = frozenset({"SET", "REMOVE", "ADD", "DELETE"})
_NO_KEYWORDS: Final[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Parsed:
    """An unresolved tree plus the syntactic facts the validator ranks with the semantic errors."""

    node: Node
    redundant_parens: bool = False
    #: First update section keyword that appeared twice (``"SET"`` ...), if any.
    duplicate_section: str | None = None
    #: The first reserved word or misplaced function (``validate.syntax_problem``), filled in by
    #: the parse cache: it depends on the text alone, so it is found once per text.
    syntax: str | None = None


class _Backtrack(Exception):
    """Internal: this alternative did not match; the furthest failure is kept on the parser."""


class _Parser:
    def __init__(self, kind: ExpressionKind, text: str) -> None:
        self.kind = kind
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.furthest = 0
        self.paren_spans: set[tuple[int, int]] = set()
        self.redundant = False
        self.keywords = (
            _UPDATE_KEYWORDS
            if kind == "UpdateExpression"
            else _NO_KEYWORDS
            if kind == "ProjectionExpression"
            else _CONDITION_KEYWORDS
        )

    # ------------------------------------------------------------ token helpers

    def peek(self) -> Token:
        return self.tokens[self.i]

    def fail(self) -> NoReturn:
        if self.i > self.furthest:
            self.furthest = self.i
        raise _Backtrack

    def is_keyword(self, token: Token, word: str) -> bool:
        return token.kind == "NAME" and token.text.upper() == word

    def at_op(self, text: str) -> bool:
        token = self.tokens[self.i]
        return token.kind == "OP" and token.text == text

    def expect_op(self, text: str) -> int:
        if not self.at_op(text):
            self.fail()
        self.i += 1
        return self.i - 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.too_deep()

    def too_deep(self) -> errors.DynamoError:
        if self.kind != "UpdateExpression" and _operator_tokens(self.tokens) > MAX_OPERATORS:
            return errors.validation(f"Invalid {self.kind}: {TOO_MANY_OPERATORS}")
        return errors.validation(
            f"Invalid {self.kind}: The expression has too many nested levels; maximum: {MAX_DEPTH}"
        )

    def syntax_error(self) -> errors.DynamoError:
        index = min(self.furthest, len(self.tokens) - 1)
        token = self.tokens[index]
        prev = self.tokens[index - 1] if index > 0 else None
        if token.kind == "EOF":
            shown = "<EOF>"
            near = self.text[prev.pos :] if prev is not None else ""
        else:
            shown = token.text
            nxt = self.tokens[index + 1]
            start = prev.pos if prev is not None else token.pos
            end = nxt.end if nxt.kind != "EOF" else token.end
            near = self.text[start:end]
        return errors.validation(f'Invalid {self.kind}: Syntax error; token: "{shown}", near: "{near}"')

    # ------------------------------------------------------------ entry points

    def parse(self) -> Parsed:
        try:
            if self.kind == "UpdateExpression":
                return self.update()
            node: Node = self.projection() if self.kind == "ProjectionExpression" else self.condition()
            self.expect_eof()
            return Parsed(node, self.redundant)
        except _Backtrack:
            raise self.syntax_error() from None
        except RecursionError:  # a caller's own deep stack left less room than MAX_DEPTH needs
            raise self.too_deep() from None

    def expect_eof(self) -> None:
        if self.peek().kind != "EOF":
            self.fail()

    # ------------------------------------------------------------ conditions

    def condition(self) -> ConditionNode:
        left = self.and_()
        while self.is_keyword(self.peek(), "OR"):
            self.i += 1
            left = Or(left, self.and_())
        return left

    def and_(self) -> ConditionNode:
        left = self.not_()
        while self.is_keyword(self.peek(), "AND"):
            self.i += 1
            left = And(left, self.not_())
        return left

    def not_(self) -> ConditionNode:
        nots = 0  # a loop, not recursion: a run of NOTs costs no stack
        while self.is_keyword(self.peek(), "NOT"):
            self.i += 1
            nots += 1
        if nots > MAX_OPERATORS:
            # Refused here rather than in validation (DynamoDB finds a syntax error later in the text
            # first): every later walk of the tree would recurse once per NOT.
            raise errors.validation(f"Invalid {self.kind}: {TOO_MANY_OPERATORS}")
        node = self.primary()
        for _ in range(nots):
            node = Not(node)
        return node

    def primary(self) -> ConditionNode:
        if self.at_op("("):
            start, depth = self.i, self.depth
            try:
                self.i += 1
                self.enter()
                node = self.condition()
                close = self.expect_op(")")
                self.depth -= 1
                if not self.continues_predicate():
                    self.note_parens(start, close)
                    return node
            except _Backtrack:
                pass
            self.i, self.depth = start, depth
        return self.predicate()

    def continues_predicate(self) -> bool:
        token = self.peek()
        if token.kind == "OP":
            return token.text in _COMPARATORS
        return self.is_keyword(token, "BETWEEN") or self.is_keyword(token, "IN")

    def note_parens(self, open_index: int, close_index: int) -> None:
        if (open_index + 1, close_index - 1) in self.paren_spans:
            self.redundant = True
        self.paren_spans.add((open_index, close_index))

    def predicate(self) -> ConditionNode:
        left = self.operand()
        token = self.peek()
        if token.kind == "OP" and token.text in _COMPARATORS:
            self.i += 1
            op: Comparator = token.text  # type: ignore[assignment]
            return Compare(op, left, self.operand())
        if self.is_keyword(token, "BETWEEN"):
            self.i += 1
            low = self.operand()
            if not self.is_keyword(self.peek(), "AND"):
                self.fail()
            self.i += 1
            return Between(left, low, self.operand())
        if self.is_keyword(token, "IN"):
            self.i += 1
            self.expect_op("(")
            choices = [self.operand()]
            while self.at_op(","):
                self.i += 1
                choices.append(self.operand())
            self.expect_op(")")
            return In(left, tuple(choices))
        if isinstance(left, Call):
            return FunctionCondition(left)
        self.fail()

    # ------------------------------------------------------------ operands

    def operand(self) -> Operand:
        token = self.peek()
        if token.kind == "OP" and token.text == "(":
            start = self.i
            self.i += 1
            self.enter()
            inner = self.operand()
            close = self.expect_op(")")
            self.depth -= 1
            self.note_parens(start, close)
            return inner
        if token.kind == "ATTR_VALUE":
            self.i += 1
            return ValueRef(token.text)
        if token.kind == "NAME" and self.tokens[self.i + 1].text == "(" and token.text.upper() not in self.keywords:
            return self.function()
        return self.path()

    def function(self) -> Call:
        name = self.peek().text
        self.i += 2
        self.enter()
        args = [self.operand()]
        while self.at_op(","):
            self.i += 1
            args.append(self.operand())
        self.expect_op(")")
        self.depth -= 1
        return Call(name, tuple(args))

    def path_name(self) -> str:
        token = self.peek()
        if token.kind == "ATTR_NAME" or (token.kind == "NAME" and token.text.upper() not in self.keywords):
            self.i += 1
            return token.text
        self.fail()

    def path(self) -> Path:
        elements: list[PathElement] = [self.path_name()]
        while True:
            token = self.peek()
            if token.kind != "OP":
                break
            if token.text == ".":
                self.i += 1
                elements.append(self.path_name())
            elif token.text == "[":
                self.i += 1
                index = self.peek()
                if index.kind != "INDEX":
                    self.fail()
                self.i += 1
                self.expect_op("]")
                if int(index.text) > MAX_LIST_INDEX:
                    raise errors.validation(
                        f"Invalid {self.kind}: List index is not within the allowable range; index: [{index.text}]")
                elements.append(int(index.text))
            else:
                break
        return Path(tuple(elements))

    # ------------------------------------------------------------ projection

    def projection(self) -> ProjectionNode:
        paths = [self.path()]
        while self.at_op(","):
            self.i += 1
            paths.append(self.path())
        return ProjectionNode(tuple(paths))

    # ------------------------------------------------------------ update

    def update(self) -> Parsed:
        actions: list[UpdateAction] = []
        seen: set[str] = set()
        duplicate: str | None = None
        while True:
            token = self.peek()
            section = token.text.upper() if token.kind == "NAME" else ""
            if section not in _UPDATE_KEYWORDS:
                if not actions:
                    self.fail()
                break
            self.i += 1
            if section in seen and duplicate is None:
                duplicate = section
            seen.add(section)
            actions.append(self.update_action(section))  # type: ignore[arg-type]
            while self.at_op(","):
                self.i += 1
                actions.append(self.update_action(section))  # type: ignore[arg-type]
        self.expect_eof()
        return Parsed(UpdateNode(tuple(actions)), self.redundant, duplicate)

    def update_action(self, section: UpdateKind) -> UpdateAction:
        path = self.path()
        if section == "REMOVE":
            return UpdateAction("REMOVE", path, None)
        if section == "SET":
            self.expect_op("=")
            return UpdateAction("SET", path, self.set_value())
        token = self.peek()
        if token.kind != "ATTR_VALUE":
            self.fail()
        self.i += 1
        return UpdateAction(section, path, ValueRef(token.text))

    def set_value(self) -> Operand:
        """A SET value: an operand, or two joined by + or -. Operands take parentheses (``operand``),
        arithmetic does not: ``n + (n - :v)`` is a syntax error at ``-``, as in DynamoDB."""
        left = self.operand()
        token = self.peek()
        if token.kind == "OP" and token.text in ("+", "-"):
            self.i += 1
            return Arith("+" if token.text == "+" else "-", left, self.operand())
        return left


def _operator_tokens(tokens: list[Token]) -> int:
    """The operators of a condition's tokens; a BETWEEN's own AND is part of the BETWEEN."""
    count = 0
    for token in tokens:
        if token.kind == "OP":
            count += token.text in _COMPARATORS
        elif token.kind == "NAME":
            word = token.text.upper()
            count += word in _CONDITION_KEYWORDS
            count -= word == "BETWEEN"
    return count


def parse(kind: ExpressionKind, text: str) -> Parsed:
    """Parse one expression, raising DynamoDB's ValidationException for empty text or bad syntax."""
    if not text:
        raise errors.validation(f"Invalid {kind}: The expression can not be empty;")
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    if size > MAX_EXPRESSION_BYTES:
        raise errors.validation(
            f"Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {size}"
        )
    return _Parser(kind, text).parse()
