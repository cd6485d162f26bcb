"""The one error type for bad scenario input."""

from __future__ import annotations

from dataclasses import dataclass


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
        where = self.field
        if self.has_value:
            where += f" = {self.value!r}"
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
