"""The one JSON loader for the files we keep between runs (settings.json,
deps-lock.json, the deps manifests) and the typed reading of their fields.

A file someone edited, truncated or replaced is input like any other: it is
read without blocking (`safefiles.read_text`), its depth is bounded, its
integers are read with the bounded number reader, NaN and Infinity are
refused, and every field is taken with its type checked (`Fields`).  What
is wrong is one line naming the file and the field, exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from .errors import UserError
from .safefiles import read_text
from .textutil import MAX_INT, read_int

#: Deeper than any file we write (they are two or three levels deep).
MAX_DEPTH = 8
T = TypeVar("T")


class Malformed(UserError):
    """A JSON file, or one of its fields, that is not what we wrote."""


def loads(text: str, where: str) -> Any:
    """JSON text, bounded (depth, integers) and without NaN/Infinity."""
    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    def integer(digits: str) -> int:
        return read_int(digits, "an integer", low=-MAX_INT)

    try:
        data = json.loads(text, parse_constant=constant, parse_int=integer)
    except RecursionError:
        raise Malformed(f"{where} is nested too deeply: fix or delete it") from None
    except ValueError as e:
        raise Malformed(f"{where} is not valid JSON ({e}): fix or delete it") from None
    if depth(data) > MAX_DEPTH:
        raise Malformed(f"{where} is nested more than {MAX_DEPTH} levels deep: fix or "
                        "delete it")
    return data


def depth(data: Any) -> int:
    """How deeply lists and objects nest in `data` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((item, level + 1) for item in value)
    return deepest


def load(path: Path) -> Any | None:
    """The JSON in `path`; None if there is no such file."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        return None
    return loads(text, str(path))


class Fields:
    """Typed access to one JSON object's fields; a wrong one is one line."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise Malformed(f"{where} is {_kind(data)}, not an object: fix or delete it")
        self.data: Mapping[str, Any] = data
        self.where = where

    def _get(self, key: str, kinds: tuple[type, ...], what: str, default: Any) -> Any:
        value = self.data.get(key, default)
        if value is default:
            return value
        if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
            raise Malformed(f"{self.where}: {key} is {_kind(value)}, not {what}: fix or "
                            "delete it")
        return value

    def text(self, key: str, default: Any = ..., check: Callable[[str], T] | None = None,
             ) -> Any:
        value = self._required(key, self._get(key, (str,), "a string", default))
        return check(value) if check and value is not default else value

    def integer(self, key: str, low: int, high: int, default: Any = ...) -> Any:
        value = self._required(key, self._get(key, (int,), "an integer", default))
        if value is not default and not low <= value <= high:
            raise Malformed(f"{self.where}: {key} = {value} is not between {low} and {high}: "
                            "fix or delete it")
        return value

    def texts(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(key, (list,), "a list of strings", None)
        if value is None:
            return default
        if not all(isinstance(item, str) for item in value):
            raise Malformed(f"{self.where}: {key} holds something other than strings: fix "
                            "or delete it")
        return tuple(value)

    def object(self, key: str) -> Fields:
        return Fields(self._required(key, self.data.get(key, ...)), f"{self.where} {key}")

    def items(self) -> list[tuple[str, Any]]:
        return list(self.data.items())

    def _required(self, key: str, value: Any) -> Any:
        if value is ...:
            raise Malformed(f"{self.where} has no {key}: fix or delete it")
        return value


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)
