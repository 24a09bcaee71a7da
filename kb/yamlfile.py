"""YAML reading that keeps line numbers, so corpus errors can name ``file:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kb.limits import SAFE_LOADER, Limits, TooComplex, check_yaml
from kb.problems import NotUtf8, Problem, read_utf8

LINE = "__line__"
DEFAULT_LIMITS = Limits()  # corpus files: the same bounds as a request with default settings


class _LineLoader(SAFE_LOADER):  # type: ignore[misc,valid-type]
    """A safe loader whose mappings remember the 1-based line they start on (key ``__line__``)."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


class YamlError(ValueError):
    """Malformed YAML, with the 1-based line where the parser gave up."""

    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def _error_from(exc: yaml.YAMLError, text: str, line_offset: int) -> YamlError:
    """The error at its line, in the words of PyYAML's pure-Python parser ("expected ',' or ']', but
    got ':'"), which says more than libyaml's: malformed files are rare, so parsing one twice is cheap."""
    if SAFE_LOADER is not yaml.SafeLoader:
        try:
            yaml.load(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as pure:
            exc = pure
        except ValueError:  # a bad date: libyaml's error stands
            pass
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = (mark.line + 1 if mark else 1) + line_offset
    problem = getattr(exc, "problem", None) or str(exc)
    return YamlError(line, f"malformed YAML: {problem}")


class NotADate(YamlError):
    """Well-formed YAML holding a date no calendar has (2024-02-30)."""


class YamlTooComplex(YamlError):
    """Well-formed YAML over a bound of kb.limits (too deep, too many values, aliases)."""


def load_text(
    text: str, line_offset: int = 0, with_lines: bool = False, limits: Limits = DEFAULT_LIMITS
) -> Any:
    """Parse YAML text; ``line_offset`` is added to line numbers (front matter starts on line 2).

    The text is checked against ``limits`` first, so no parser recursion is ever deeper than they allow.
    """
    try:
        check_yaml(text, limits, line_offset)
    except TooComplex as exc:
        raise YamlTooComplex(exc.line, f"too complex: {exc}") from exc
    try:
        return yaml.load(text, Loader=_LineLoader if with_lines else SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise _error_from(exc, text, line_offset) from exc
    except ValueError as exc:  # PyYAML's date constructor raises this, without a line
        raise NotADate(_bad_date_line(text) + line_offset, f"not a calendar date: {exc}") from exc


def _is_calendar_date(text: str) -> bool:
    try:
        yaml.safe_load(text)
    except ValueError:
        return False
    return True


def _bad_date_line(text: str) -> int:
    """The line of the first YAML date that is no calendar date: PyYAML does not say."""
    bad, todo = [], [yaml.compose(text, Loader=yaml.SafeLoader)]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            todo += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
        elif node is not None and node.tag.endswith(":timestamp") and not _is_calendar_date(node.value):
            bad.append(node.start_mark.line + 1)
    return min(bad, default=1)


def load_file(path: Path, with_lines: bool = False) -> Any:
    """Parse a YAML file, raising ``YamlError`` with a line number when it is malformed."""
    try:
        text = read_utf8(path)
    except NotUtf8 as exc:
        raise YamlError(exc.line, str(exc)) from None
    return load_text(text, with_lines=with_lines)


def read_mapping(
    path: Path, where: str, with_lines: bool = True
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A corpus YAML file that must hold a mapping, or the problem (with its line) that stops it."""
    try:
        data = load_file(path, with_lines=with_lines)
    except YamlError as exc:
        return None, [Problem(where, exc.line, str(exc))]
    if not isinstance(data, dict):
        return None, [Problem(where, 1, "expected a YAML mapping (key: value lines)")]
    return data, []


def strip_lines(value: Any) -> Any:
    """The same data without the ``__line__`` bookkeeping, for output."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
