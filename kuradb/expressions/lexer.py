"""Tokenizer for every expression kind.

Rules (from DynamoDB's grammar as reproduced by dynalite and DynamoDB Local):

* identifiers are ``[A-Za-z][A-Za-z0-9_]*`` — a leading ``_`` is not part of a name, so
  ``SET _a = :v`` is 'Syntax error; token: "_"' as in DynamoDB; ``#name`` and ``:value``
  placeholders are the sigil followed by ``[A-Za-z0-9_]*`` (an empty tail is lexed, then
  reported as undefined);
* list indexes are decimal digit runs; punctuation is ``( ) [ ] , . = <> < <= > >= + -``;
* whitespace is space, tab, CR and LF only;
* any other character becomes a one-character ``bad`` token. Lexing never fails: the parser
  reports a syntax error when (and only if) it reaches the bad token, so the *first* problem in
  reading order is the one reported, as DynamoDB does.

Lexing is a single linear pass over at most 4 KB of input (the caller checks the size first),
and the matching-parenthesis table is computed in the same pass so the parser can decide in O(1)
whether ``(`` opens a condition or an operand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
  | (?P<name>\#[A-Za-z0-9_]*)
  | (?P<value>:[A-Za-z0-9_]*)
  | (?P<int>[0-9]+)
  | (?P<punct><>|<=|>=|[()\[\],.=<>+\-])
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)

EOF = "eof"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident | name | value | int | punct | bad | eof
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper()

    def display(self) -> str:
        return "<EOF>" if self.kind == EOF else self.text


def tokenize(src: str) -> tuple[list[Token], list[int | None]]:
    """Tokens (always ending with one EOF token) and, for each token index holding ``(``, the
    index of its matching ``)`` (or None when unbalanced)."""
    tokens: list[Token] = []
    match_of: list[int | None] = []
    open_stack: list[int] = []
    for m in _TOKEN_RE.finditer(src):
        kind = m.lastgroup
        assert kind is not None
        if kind == "ws":
            continue
        idx = len(tokens)
        text = m.group()
        tokens.append(Token(kind, text, m.start(), m.end()))
        match_of.append(None)
        if text == "(" and kind == "punct":
            open_stack.append(idx)
        elif text == ")" and kind == "punct" and open_stack:
            match_of[open_stack.pop()] = idx
    tokens.append(Token(EOF, "", len(src), len(src)))
    match_of.append(None)
    return tokens, match_of
