"""What every section of a scenario file shares: the strict base model, the error a
cross-field rule raises, bounds on money, weights and attainment, safe names, the
percentage hint and the check that a policy's fields are given or left out.

Every section module imports from here and from no other section module.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

GRADES = ("A", "B", "C", "D")


class Inconsistent(ValueError):
    """A cross-field rule failed; names the field (relative to the model checked) and value."""

    def __init__(self, field: str, value: Any, message: str):
        super().__init__(message)
        self.field = field
        self.value = value


_PERCENT_TEXT = re.compile(r"\s*([-+]?\d+(?:\.\d*)?)\s*%\s*")
RATIO_BOUND = 3.0  # fields limited to at most this are shares or ratios: 1 = 100%
# Attainment is revenue / quota (1 = 100% of quota). A dismissal bar above 150% would let
# go reps who beat their quota by half; commission steps and bonus grades start at most at
# 200% (F38's top grade AA at 150%); a commission cap above 300% caps nothing a team reaches.
ATTAINMENT_BAR_MAX = 1.5
ATTAINMENT_STEP_MAX = 2.0
ATTAINMENT_CAP_MAX = 3.0
# assumption: no amount of money in a plan for a field-sales team (a deal, a month's pay or
# quota, a cost) reaches a billion yuan; the bound keeps every sum a run forms (100,000 reps
# x 120 months x many deals) finite and exact to the yuan, where 1e308 would give inf/nan.
MONEY_MAX = 1e9
# assumption: relative weights (grade mix, sign weights, touch shares) are normalised by
# their sum; a million to one is more than any plan means (percentages or per-mille fit)
# and keeps the sum finite.
WEIGHT_MAX = 1e6
NAME_MAX = 120
# A label people write (a change's name, a holiday, a roster id or group): printable text,
# shown in tables and plots, never used as a path.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
# A scenario name labels tables and plots and names the results store's folder, so it is a
# safe label: it starts with a letter or digit (never "." or "-"), holds letters, digits,
# spaces and _ - . , : = + # [ ] ( ) ~ (what automatic names such as
# "baseline, team.reps=80", "baseline, 4 changes #a1b2c3" and "baseline[3]" use), and no
# path separator, control character or other punctuation; it does not end in a space.
NAME_PUNCTUATION = "_-.,:=+#[]()~"
_NAME = re.compile(r"[^\W_](?:[\w ,.:=+#\[\]()~-]*[\w,.:=+#\[\]()~-])?")
NAME_PATTERN = r"^[\p{L}\p{N}](?:[\p{L}\p{N}_ ,.:=+#\[\]()~-]*[\p{L}\p{N}_,.:=+#\[\]()~-])?$"


def percentage_hint(value: Any, upper: float | None) -> str | None:
    """What to write instead, when ``value`` given for a share or ratio (a field limited
    to at most ``upper`` <= 3) looks like a percentage: ``70`` or ``"70%"`` for 0.7.

    A number is taken for a percentage when it is above ``upper``, at most 100, and at
    least 2 for a share (``upper`` <= 1; 1.5 is more likely a slip than 1.5%) or at least
    10 for a ratio (an attainment bar of 10 = 1000% of quota is no plan). None when
    nothing fits.
    """
    if upper is None or upper > RATIO_BOUND:
        return None
    if isinstance(value, str):
        match = _PERCENT_TEXT.fullmatch(value)
        if match is None:
            return None
        number = float(match.group(1))
        return f"value {value!r} looks like a percentage; write {number / 100:g} for {number:g}%"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if upper < value <= 100 and value >= (2 if upper <= 1 else 10):
        return f"value {value:g} looks like a percentage; write {value / 100:g} for {value:g}%"
    return None


def check_name(name: str) -> str:
    """``name`` if it is a safe label (see NAME_PUNCTUATION), else a ValueError saying why."""
    if _NAME.fullmatch(name):
        return name
    bad = sorted({c for c in name if not (c.isalnum() or c == " " or c in NAME_PUNCTUATION)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        why = f"has characters a name may not hold: {shown}"
    elif not name[0].isalnum():
        why = "must start with a letter or digit"
    else:
        why = "must not end in a space"
    raise ValueError(
        f"{why}; a name holds letters, digits, spaces and {' '.join(NAME_PUNCTUATION)} "
        "(no path separators or control characters), e.g. more_reps or 'plan B, 80 reps'"
    )


SafeName = Annotated[
    str,
    Field(min_length=1, max_length=NAME_MAX, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(check_name),
]
Money = Annotated[float, Field(le=MONEY_MAX)]
Weight = Annotated[float, Field(le=WEIGHT_MAX)]


def _with_hint(message: str, shares: list[float]) -> str:
    """``message`` about a list of shares, with the percentage hint of its largest value."""
    hint = percentage_hint(max(shares), 1.0)
    return f"{message}; {hint}" if hint else message


def _check_policy_fields(
    model: BaseModel, kind: str, policy: str, needed: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    """Fields of ``optional`` that the policy needs must be given; the others left out."""
    for name in optional:
        value = getattr(model, name)
        if name in needed and value is None:
            raise Inconsistent(name, None, f"required by {kind} policy {policy!r}")
        if name not in needed and value is not None:
            raise Inconsistent(
                name,
                value,
                f"not used by {kind} policy {policy!r}, which takes "
                f"{', '.join(needed) or 'no other fields'}; remove it",
            )


class _Strict(BaseModel):
    # strict: a YAML `true` is not the number 1, and "64" is not 64 (ints still fill floats).
    # allow_inf_nan=False: .inf and .nan are never a number a scenario means.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class GradeValues(_Strict):
    """One number per lead grade A-D (F6)."""

    A: float = Field(ge=0, le=WEIGHT_MAX)
    B: float = Field(ge=0, le=WEIGHT_MAX)
    C: float = Field(ge=0, le=WEIGHT_MAX)
    D: float = Field(ge=0, le=WEIGHT_MAX)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.A, self.B, self.C, self.D)
