"""Bounds on the shape of JSON and YAML text, checked before a parser builds anything from it.

Python's parsers recurse once per level of nesting, so a body nested a few thousand deep raises
RecursionError (a 500) before any validation sees it, and YAML aliases let a few hundred bytes stand
for millions of nodes ("billion laughs"). These checks walk the text without recursion (JSON: its
brackets outside strings; YAML: PyYAML's event stream, which is a flat state machine) and stop at the
first bound passed, naming the bound and the setting that raises it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

DEPTH, ITEMS, ALIASES = 32, 5000, 0  # the defaults of WTKB_MAX_DEPTH, WTKB_MAX_ITEMS, WTKB_MAX_ALIASES
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_MARK = re.compile(r"[\[\]{},]")


class TooComplex(ValueError):
    """Text over one of the bounds; the message names the bound and its setting."""

    def __init__(self, message: str, line: int = 1):
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    depth: int = DEPTH  # most levels of lists and mappings inside one another
    items: int = ITEMS  # most values (list items, mapping keys and values, scalars) in all
    aliases: int = ALIASES  # most YAML aliases (*name); 0 refuses them

    def too_deep(self, line: int) -> TooComplex:
        return TooComplex(f"nested more than {self.depth} levels deep (WTKB_MAX_DEPTH)", line)

    def too_many(self, line: int) -> TooComplex:
        return TooComplex(f"more than {self.items} values (WTKB_MAX_ITEMS)", line)


def check_json(text: str, limits: Limits) -> None:
    """Raise TooComplex when JSON text nests deeper or holds more values than ``limits`` allow.

    Malformed JSON passes through: the JSON parser reports it better."""
    depth = values = 0
    for mark in _JSON_MARK.finditer(_JSON_STRING.sub('""', text)):
        char = mark.group()
        if char in "[{":
            depth += 1
            values += 1
            if depth > limits.depth:
                raise limits.too_deep(1)
        elif char in "]}":
            depth -= 1
        else:
            values += 1
        if values > limits.items:
            raise limits.too_many(1)


# libyaml's parser when PyYAML was built with it (its wheels are): corpus files parse several times
# faster, which is most of a cold CLI command's own time. It reads the same YAML as the pure-Python
# parser, and it keeps its own stack rather than recursing, so deep nesting cannot exhaust Python's.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_yaml(text: str, limits: Limits, line_offset: int = 0) -> None:
    """Raise TooComplex (with the line) when YAML text nests too deep, holds too many values or uses
    more aliases than ``limits`` allow. Malformed YAML passes through for the loader to report."""
    depth = values = aliases = 0
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            line = event.start_mark.line + 1 + line_offset
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.depth:
                    raise limits.too_deep(line)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                continue
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > limits.aliases:
                    raise TooComplex(
                        f"more than {limits.aliases} YAML aliases (*name; WTKB_MAX_ALIASES): "
                        "write the values out in full",
                        line,
                    )
            elif not isinstance(event, yaml.ScalarEvent):
                continue
            values += 1
            if values > limits.items:
                raise limits.too_many(line)
    except yaml.YAMLError:
        return
