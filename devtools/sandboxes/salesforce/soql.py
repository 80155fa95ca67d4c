"""A SOQL subset, tokenised and parsed by recursive descent into a small tree (soql_run.py runs it).

    query      := SELECT (COUNT '(' ')' | path (',' path)*) FROM name [WHERE condition]
                  [ORDER BY order (',' order)*] [LIMIT int] [OFFSET int]
    condition  := unary (AND unary)* | unary (OR unary)*        -- mixing AND and OR needs parentheses
    unary      := NOT unary | '(' condition ')' | path operator value
                | path [NOT] IN '(' (value (',' value)* | query) ')' | path LIKE string
    order      := path [ASC | DESC] [NULLS (FIRST | LAST)]
    value      := 'string' | number | TRUE | FALSE | NULL | 2026-11-20T10:00:00Z | 2026-11-20

Anything else is ``MALFORMED_QUERY`` with Salesforce's "ERROR at Row:1:Column:n" message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import malformed_query

KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "NULLS",
    "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL", "COUNT",
}  # fmt: skip
OPERATORS = ("=", "!=", "<>", "<", "<=", ">", ">=")
TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\dT])
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|<>|[=<>])
  | (?P<punct>[(),.])
    """,
    re.VERBOSE,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str  # name, keyword, string, number, datetime, date, op, punct, end
    text: str
    column: int  # 1-based

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, datetime (epoch ms), date (YYYY-MM-DD)
    value: Any


@dataclass(frozen=True)
class Path:
    parts: tuple[str, ...]
    column: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Compare:
    path: Path
    op: str
    value: Literal


@dataclass(frozen=True)
class In:
    path: Path
    values: tuple[Literal, ...]
    negated: bool = False
    subquery: Query | None = None


@dataclass(frozen=True)
class Like:
    path: Path
    pattern: str


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND, OR
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Order:
    path: Path
    descending: bool = False
    nulls_last: bool = False


@dataclass
class Query:
    object_name: str
    fields: list[Path] = field(default_factory=list)
    count: bool = False
    where: Any = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise _error(text, position + 1, f"unexpected token: '{text[position]}'")
        kind, value = match.lastgroup or "", match.group()
        if kind != "space":
            if kind == "name" and value.upper() in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, value, position + 1))
        position = match.end()
    tokens.append(Token("end", "<EOF>", len(text) + 1))
    return tokens


def _error(text: str, column: int, message: str) -> Exception:
    caret = " " * (column - 1) + "^"
    return malformed_query(f"\n{text}\n{caret}\nERROR at Row:1:Column:{column}\n{message}")


def parse(text: str) -> Query:
    """The tree of a SOQL query; ``SfError`` (400 MALFORMED_QUERY) when it is not one this subset reads."""
    parser = _Parser(text, tokenize(text))
    query = parser.query()
    parser.expect_end()
    return query


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text, self.tokens, self.index = text, tokens, 0

    # --- token helpers ------------------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def _is(self, *words: str) -> bool:
        token = self.current
        return token.kind in ("keyword", "punct", "op") and token.upper in words

    def _accept(self, *words: str) -> Token | None:
        return self._advance() if self._is(*words) else None

    def _unexpected(self, token: Token | None = None) -> Exception:
        token = token or self.current
        return _error(self.text, token.column, f"unexpected token: '{token.text}'")

    def _expect(self, word: str) -> Token:
        if not self._is(word):
            raise self._unexpected()
        return self._advance()

    def expect_end(self) -> None:
        if self.current.kind != "end":
            raise self._unexpected()

    # --- grammar ------------------------------------------------------------------------------------------
    def query(self) -> Query:
        self._expect("SELECT")
        count, paths = False, []
        if self._is("COUNT"):
            self._advance()
            self._expect("(")
            self._expect(")")
            count = True
        else:
            paths.append(self._path())
            while self._accept(","):
                paths.append(self._path())
        self._expect("FROM")
        if self.current.kind != "name":
            raise self._unexpected()
        query = Query(self._advance().text, paths, count)
        if self._accept("WHERE"):
            query.where = self._condition()
        if self._accept("ORDER"):
            self._expect("BY")
            query.order.append(self._order())
            while self._accept(","):
                query.order.append(self._order())
        if self._accept("LIMIT"):
            query.limit = self._integer()
        if self._accept("OFFSET"):
            query.offset = self._integer()
        return query

    def _integer(self) -> int:
        token = self.current
        if token.kind != "number" or not token.text.isdigit():
            raise self._unexpected()
        self._advance()
        return int(token.text)

    def _path(self) -> Path:
        token = self.current
        if token.kind != "name":
            raise self._unexpected()
        parts = [self._advance().text]
        while self._accept("."):
            if self.current.kind != "name":
                raise self._unexpected()
            parts.append(self._advance().text)
        return Path(tuple(parts), token.column)

    def _order(self) -> Order:
        path = self._path()
        direction = self._accept("ASC", "DESC")
        descending = direction is not None and direction.upper == "DESC"
        nulls_last = descending
        if self._accept("NULLS"):
            word = self._accept("FIRST", "LAST")
            if word is None:
                raise self._unexpected()
            nulls_last = word.upper == "LAST"
        return Order(path, descending, nulls_last)

    def _condition(self) -> Any:
        operands = [self._unary()]
        joiner = None
        while self._is("AND", "OR"):
            token = self._advance()
            if joiner is not None and token.upper != joiner:
                raise self._unexpected(token)  # SOQL wants parentheses between AND and OR
            joiner = token.upper
            operands.append(self._unary())
        return operands[0] if joiner is None else BoolOp(joiner, tuple(operands))

    def _unary(self) -> Any:
        if self._accept("NOT"):
            return Not(self._unary())
        if self._accept("("):
            inner = self._condition()
            self._expect(")")
            return inner
        path = self._path()
        if self.current.kind == "op":
            op = self._advance().text
            return Compare(path, "!=" if op == "<>" else op, self._value())
        if self._accept("LIKE"):
            value = self._value()
            if value.kind != "string":
                raise self._unexpected(self.tokens[self.index - 1])
            return Like(path, value.value)
        negated = bool(self._accept("NOT"))
        if self._accept("IN"):
            return self._in(path, negated)
        raise self._unexpected()

    def _in(self, path: Path, negated: bool) -> In:
        self._expect("(")
        if self._is("SELECT"):
            subquery = self.query()
            if subquery.count or len(subquery.fields) != 1:
                raise _error(self.text, path.column, "semi join sub-selects can select only one field")
            self._expect(")")
            return In(path, (), negated, subquery)
        values = [self._value()]
        while self._accept(","):
            values.append(self._value())
        self._expect(")")
        return In(path, tuple(values), negated)

    def _value(self) -> Literal:
        token = self._advance()
        if token.kind == "string":
            return Literal("string", _unquote(token.text))
        if token.kind == "number":
            return Literal("number", float(token.text) if "." in token.text else int(token.text))
        if token.kind == "datetime":
            return Literal("datetime", datetime_ms(token.text))
        if token.kind == "date":
            return Literal("date", token.text)
        if token.kind == "keyword" and token.upper in ("TRUE", "FALSE"):
            return Literal("boolean", token.upper == "TRUE")
        if token.kind == "keyword" and token.upper == "NULL":
            return Literal("null", None)
        raise self._unexpected(token)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(1)), text[1:-1])


def datetime_ms(text: str) -> int:
    """Epoch milliseconds of a SOQL datetime literal or a stored REST datetime (``...+0000``)."""
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
