"""Lexer for DynamoDB expressions: text -> tokens with character positions.

All five expression kinds (condition, filter, key condition, projection, update) share one token
set, so one lexer serves them. Keywords (AND, SET, BETWEEN ...) are lexed as plain identifiers and
recognised by the parser case-insensitively, because whether a word is a keyword depends on where it
stands (``SET`` is a section keyword in an update expression and a reserved word elsewhere).

A character the lexer cannot place becomes an ``ERROR`` token rather than an exception: DynamoDB
reports it as a syntax error at that token, with the same ``near:`` window as any other unexpected
token, and the parser is the one place that builds that message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

TokenKind = Literal["NAME", "ATTR_NAME", "ATTR_VALUE", "INDEX", "OP", "ERROR", "EOF"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    #: Offset of the first character in the expression text.
    pos: int

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


_TOKEN_RE: Final = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<NAME>[A-Za-z][A-Za-z0-9_]*)
  | (?P<ATTR_NAME>\#[A-Za-z0-9_]+)
  | (?P<ATTR_VALUE>:[A-Za-z0-9_]+)
  | (?P<INDEX>0|[1-9][0-9]*)
  | (?P<OP><>|<=|>=|[=<>()\[\],.+\-])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; always ends with one ``EOF`` token."""
    tokens: list[Token] = []
    append = tokens.append
    pos = 0
    size = len(text)
    match = _TOKEN_RE.match
    while pos < size:
        m = match(text, pos)
        if m is None:
            append(Token("ERROR", text[pos], pos))
            pos += 1
            continue
        kind = m.lastgroup
        if kind != "ws":
            append(Token(kind, m.group(), pos))  # type: ignore[arg-type]
        pos = m.end()
    append(Token("EOF", "", size))
    return tokens
