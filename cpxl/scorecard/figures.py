"""Numbers as a board paper says them, and the direction of travel that knows polarity.

Shared by the Scorecard (arrows), the Highlights (sentences) and the cells of every sheet.
"""
from __future__ import annotations

import math

from ..rag import DISPLAY_DECIMALS, round_half_up as rounded
from .model import Meta
from .suppress import SUPPRESSED

MINUS = "−"
NOT_AVAILABLE = "n/a"


def say(m: Meta, value: float | None, with_unit: bool = True) -> str:
    """84.8%, 2,106, 83.9 per 10,000, 412 days, 1.80."""
    if value is None:
        return NOT_AVAILABLE
    d = DISPLAY_DECIMALS.get(m.unit, 1)
    text = f"{rounded(value, d):,.{d}f}"
    if not with_unit:
        return text
    if m.unit == "%":
        return text + "%"
    if m.unit == "rate per 10,000":
        return text + " per 10,000"
    if m.unit in ("days", "cases per FTE"):
        return f"{text} {m.unit}"
    return text


def say_pair(m: Meta, first: float | None, second: float | None, word: str = "to") -> str:
    """ "75.8% to 76.8%", "415 to 419 days", "16.4 cases per FTE against 15.2": the unit once."""
    if m.unit == "%":
        return f"{say(m, first)} {word} {say(m, second)}"
    if word == "to":
        return f"{say(m, first, with_unit=False)} {word} {say(m, second)}"
    return f"{say(m, first)} {word} {say(m, second, with_unit=False)}"


def say_change(m: Meta, change: float) -> str:
    """+5, −26, +1.2 points."""
    d = DISPLAY_DECIMALS.get(m.unit, 1)
    v = rounded(change, d)
    sign = "+" if v > 0 else MINUS if v < 0 else ""
    text = f"{sign}{abs(v):,.{d}f}"
    if m.unit == "%":
        text += " points"
    return text


def direction(m: Meta, this: float | None, last: float | None) -> tuple[str, str]:
    """("▲ better" | "▼ worse" | "▲ up" | "► no change" | "", tone) for the Scorecard.

    The arrow says which way the figure moved; the word says whether that is good, from the
    indicator's polarity: an up arrow on a lower-is-better indicator reads "worse".
    """
    d = DISPLAY_DECIMALS.get(m.unit, 1)
    a, b = rounded(this, d), rounded(last, d)
    if a is None or b is None:
        return "", "none"
    if a == b:
        return "► no change", "same"
    up = a > b
    arrow = "▲" if up else "▼"
    if not m.rated:
        return f"{arrow} {'up' if up else 'down'}", "neutral"
    better = up == (m.polarity == "higher")
    return f"{arrow} {'better' if better else 'worse'}", "better" if better else "worse"


def write_value(ws, row: int, col: int, value, suppressed: bool, fmt, muted_fmt,
                blank_text: str = NOT_AVAILABLE) -> None:
    """A figure: the number, ``c`` when suppressed, or ``blank_text`` (n/a) when blank."""
    if suppressed:
        ws.write_string(row, col, SUPPRESSED, muted_fmt)
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        if blank_text:
            ws.write_string(row, col, blank_text, muted_fmt)
        else:
            ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, float(value), fmt)
