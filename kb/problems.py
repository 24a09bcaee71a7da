"""Problems found in the corpus, reported as ``file:line: message`` like a compiler would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in the corpus."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class NotUtf8(ValueError):
    """A file that is not UTF-8 text (saved in another encoding, or cut short mid-character)."""

    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def read_utf8(path: Path) -> str:
    """A file's text; NotUtf8 naming the line of the first byte that is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NotUtf8(line, f"not UTF-8 text (byte {data[exc.start]:#04x}): save the file as UTF-8") from None


class CorpusInvalid(Exception):
    """Raised when work needs a valid corpus (e.g. ``build``) and the corpus has problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def rel(path: Path, root: Path) -> str:
    """A path as the user should see it: relative to the corpus' parent when possible."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)
