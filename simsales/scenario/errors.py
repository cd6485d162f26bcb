"""The one error type for bad scenario input."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN_CHARS = 120  # longest repr of a bad value quoted in a message; longer is cut


def shown_value(value: object) -> str:
    """``repr(value)``, cut to SHOWN_CHARS with the full length said, so that a long
    string or list in a file gives a one-line error."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[: SHOWN_CHARS - 3]}... ({len(text):,} characters)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, what value, and what is allowed."""

    field: str  # dotted path, "" for the file as a whole
    message: str  # what is wrong and what is allowed
    value: object = None
    line: int | None = None  # 1-based line in the YAML file, where known
    has_value: bool = False
    file: str | None = None  # the base file the line is in, when not the file reported

    def describe(self) -> str:
        where = self.field if len(self.field) <= 2 * SHOWN_CHARS else shown_value(self.field)
        if self.has_value:
            where += f" = {shown_value(self.value)}"
        if self.line is not None:
            at = f"line {self.line}" + (f" of {self.file}" if self.file else "")
            where += f" ({at})" if where else at
        return f"{where}: {self.message}" if where else self.message


class ScenarioError(ValueError):
    """A scenario file or override is malformed, mistyped, out of range or inconsistent.

    ``source`` names the file (or ``"override"``, ``"--set"``); ``problems`` lists each bad
    field with its value, line (and the base file holding that line, for a value a file
    inherits with ``base:``) and what is allowed. ``str(error)`` is a short, complete message.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        first, *rest = self.problems
        text = f"{self.source}: {first.describe()}"
        for p in rest:
            text += f"\n{self.source}: {p.describe()}"
        return text
