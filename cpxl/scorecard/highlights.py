"""The Highlights sheet: plain-English bullets generated from the numbers, as a board paper puts it.

    Children looked after fell from 2,130 (84.8 per 10,000) at the end of November to 2,106
    (83.9) at the end of December; the largest falls were in Burnley (−26) and Lancaster (−10).

Sections: the headline (children looked after, starters and leavers, the RAG count), the largest
changes since last month (better and worse, by polarity), the districts (best and worst, or where
a district ranks), the indicators that changed RAG, and those furthest from England.  Every figure
comes from the book's own slices; suppressed figures are never mentioned, and ``Unknown`` (children
with no district) is not ranked.
"""
from __future__ import annotations

import math

from ..geography import UNKNOWN
from .figures import rounded, say, say_change, say_pair
from .model import BookData, Meta, Series
from .styles import NAVY, page_setup, row_height

TOP = 3
BODY_WIDTH = 99


def _month(d, other=None) -> str:
    """ "November", or "December 2024" when the two months are in different years."""
    if other is not None and other.year != d.year:
        return f"{d:%B %Y}"
    return f"{d:%B}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _pair(series: Series, i: int) -> tuple[float | None, float | None]:
    return series.latest(i), series.latest(i, 1)


def _score(m: Meta, now: float, before: float) -> float:
    """The size of a change, comparable across units: percentage points for a percentage, else
    the relative change in per cent."""
    if m.unit == "%":
        return abs(now - before)
    return abs(now - before) / abs(before) * 100 if before else (math.inf if now else 0.0)


def headline(data: BookData) -> list[str]:
    out = []
    own = data.own
    this, last = data.periods[-1], data.periods[-2]
    i, j = data.index("cla_count"), data.index("cla_rate_10k")
    if i is not None:
        m = data.indicators[i]
        now, before = _pair(own, i)
        if now is not None and before is not None:
            rate_now = rate_before = None
            if j is not None:
                rate_now, rate_before = _pair(own, j)
            first = say(m, before) + (f" ({say(data.indicators[j], rate_before)})"
                                      if rate_before is not None else "")
            second = say(m, now) + (f" ({say(data.indicators[j], rate_now, with_unit=False)})"
                                    if rate_now is not None else "")
            change = rounded(now, 0) - rounded(before, 0)
            if change == 0:
                text = (f"Children looked after were unchanged at {second} at the end of "
                        f"{_month(this)}")
            else:
                verb = "rose" if change > 0 else "fell"
                text = (f"Children looked after {verb} from {first} at the end of "
                        f"{_month(last, this)} to {second} at the end of {_month(this, last)}")
            text += _member_moves(data, i, change) + "."
            out.append(text)
    started, ceased = data.index("cla_started_12m"), data.index("cla_ceased_12m")
    if started is not None and ceased is not None:
        s, c = own.latest(started), own.latest(ceased)
        if s is not None and c is not None:
            out.append(f"In the year to {this:%d %B %Y}, {say(data.indicators[started], s)} "
                       f"{'child' if s == 1 else 'children'} started to be looked after and "
                       f"{say(data.indicators[ceased], c)} ceased.")
            if s and c:
                ratio = s / c
                if round(ratio, 2) == 1:
                    words = "as many children started to be looked after as ceased"
                elif ratio > 1:
                    words = (f"{ratio:.2f} children started to be looked after for every one who "
                             "ceased: more are coming into care than leaving")
                else:
                    words = (f"{ratio:.2f} children started to be looked after for every one who "
                             "ceased: more are leaving care than coming in")
                out[-1] = out[-1][:-1] + f"; {words}."
    out += year_on_year(data)
    rows = data.rows(own)
    counts = {"Green": 0, "Amber": 0, "Red": 0}
    for r in rows:
        if r.rated:
            counts[r.rag] += 1
    total = sum(counts.values())
    if total:
        out.append(f"Of {total} RAG-rated indicators, {counts['Green']} are Green, "
                   f"{counts['Amber']} Amber and {counts['Red']} Red.")
    red = [r for r in rows if r.rag == "Red"]
    if red:
        out.append("Red: " + "; ".join(_with_counts(r) for r in red) + ".")
    newly = [r for r in red if r.previous_rag and r.previous_rag != "Red"]
    if newly:
        out.append(f"Newly Red since {_month(last)}: " + "; ".join(
            f"{r.title} (was {r.previous_rag})" for r in newly) + ".")
    return out


def _with_counts(r) -> str:
    """"Children looked after with 3 or more placements in the year: 58 of 500 children, 11.6%"."""
    shown = f"{r.shown:,.{r.decimals}f}{'%' if r.unit == '%' else ''}"
    if r.kind == "percent" and r.numerator is not None and r.denominator is not None:
        return f"{r.title}: {r.numerator:,.0f} of {r.denominator:,.0f}, {shown}"
    return f"{r.title}: {shown}"


def year_on_year(data: BookData) -> list[str]:
    """The headline indicators against the same month a year before (with 13 months or more)."""
    if len(data.periods) < 13:
        return []
    then = data.periods[-13]
    parts = []
    for r in data.rows(data.own):
        m = data.indicators[data.index(r.indicator)]
        old = r.series[-13]
        if not m.headline or r.value is None or old is None or r.unit == "count":
            continue
        if r.polarity in ("higher", "lower") and not r.rated:
            continue
        parts.append(f"{r.title} {say_pair(m, old, r.value)}")
    if not parts:
        return []
    return [f"Since {then:%B %Y}: " + "; ".join(parts[:5]) + "."]


def _member_moves(data: BookData, i: int, change: float) -> str:
    """"; the largest falls were in A (−26) and B (−10)" for the authority and area books; the
    authority's movement for a district book."""
    m = data.indicators[i]
    if data.kind == "district":
        auth = data.authority_series
        if auth is None:
            return ""
        a_now, a_before = _pair(auth, i)
        if a_now is None or a_before is None:
            return ""
        verb = "rose" if a_now > a_before else "fell" if a_now < a_before else "was unchanged"
        if verb == "was unchanged":
            return f"; across {data.authority} the number was unchanged at {say(m, a_now)}"
        return f"; across {data.authority} the number {verb} from {say(m, a_before)} to {say(m, a_now)}"
    moves = []
    for s in data.districts:
        now, before = _pair(s, i)
        if s.name != UNKNOWN and now is not None and before is not None and now != before:
            moves.append((now - before, s.name))
    if not moves:
        return ""
    rising = change > 0 if change else max(moves)[0] > 0
    same_way = [(rounded(d, m.decimals), name) for d, name in moves if (d > 0) == rising]
    if not same_way:
        return ""
    return "; " + largest_moves(m, same_way, rising)


def largest_moves(m: Meta, moves: list[tuple[float, str]], rising: bool) -> str:
    """"the largest rises were Saltreach (+3); Hollowmere, Kestrelford and Marrowdale (+2)":
    the two largest moves, every place that ties on one named (alphabetically)."""
    sizes = sorted({abs(d) for d, _n in moves}, reverse=True)[:2]
    groups = [(size, sorted(n for d, n in moves if abs(d) == size)) for size in sizes]
    places = sum(len(names) for _s, names in groups)
    word = ("rise" if rising else "fall") + ("s" if places > 1 else "")
    sign = 1 if rising else -1
    text = "; ".join(f"{_join(names)} ({say_change(m, sign * size)})" for size, names in groups)
    return f"the largest {word} {'were' if places > 1 else 'was'} in {text}"


def largest_changes(data: BookData) -> list[str]:
    last = data.periods[-2]
    better, worse = [], []
    rows = data.rows(data.own)
    for i, m in enumerate(data.indicators):
        r = rows[i]
        if not r.rated or r.direction not in ("better", "worse"):
            continue            # not rated, or a move within the margin: not a highlight
        now, before, tone = r.value, r.previous, r.direction
        item = (_score(m, now, before), f"{m.title} ({say_pair(m, before, now)})")
        (better if tone == "better" else worse).append(item)
    out = []
    for items, word in ((better, "Improved most"), (worse, "Worsened most")):
        items.sort(key=lambda t: -t[0])
        if items:
            out.append(f"{word} since {_month(last)}: " + "; ".join(t for _s, t in items[:TOP]) + ".")
    if not out:
        out.append(f"No RAG-rated indicator moved since {_month(last)}.")
    return out


def _ranked(data: BookData, i: int, members: list[Series]) -> list[tuple[float, str, float]]:
    """Members with a value for indicator ``i``: (goodness, name, value), best first."""
    m = data.indicators[i]
    sign = 1 if m.polarity == "higher" else -1
    rows = [(sign * rounded(v, m.decimals), s.name, v) for s in members if s.name != UNKNOWN
            for v in [s.latest(i)] if v is not None and data.rows(s)[i].rated]
    return sorted(rows, key=lambda r: (-r[0], r[1]))


def districts(data: BookData) -> list[str]:
    members = [s for s in data.districts if s.name != UNKNOWN]
    if len(members) < 2:
        return []
    rated = [i for i, m in enumerate(data.indicators) if m.rated]
    out = []
    if data.kind == "district":
        best, worst = [], []
        for i in rated:
            ranked = _ranked(data, i, members)
            if len(ranked) < 2 or ranked[0][0] == ranked[-1][0]:
                continue
            if ranked[0][1] == data.name:
                best.append(data.indicators[i].title)
            elif ranked[-1][1] == data.name:
                worst.append(data.indicators[i].title)
        n = len(members)
        if best:
            out.append(f"Of the {n} districts, {data.name} is the best on {_join(best)}.")
        if worst:
            out.append(f"Of the {n} districts, {data.name} is the worst on {_join(worst)}.")
        if not best and not worst:
            out.append(f"{data.name} is neither the best nor the worst of the {n} districts on any "
                       "RAG-rated indicator.")
        return out
    tallies = []
    for s in members:
        srows = data.rows(s)
        bands = [srows[i].rag for i in rated if srows[i].rated]
        if bands:
            tallies.append((bands.count("Green"), bands.count("Red"), len(bands), s.name))
    if tallies:
        g = max(tallies, key=lambda t: (t[0], -t[1]))
        r = max(tallies, key=lambda t: (t[1], -t[0]))
        text = (f"Of the {len(members)} districts, {g[3]} had the most indicators rated Green "
                f"({g[0]} of {g[2]})")
        if r[1]:
            text += f" and {r[3]} the most rated Red ({r[1]} of {r[2]})"
        out.append(text + ".")
    for i in [i for i in rated if data.indicators[i].headline][:4]:
        m = data.indicators[i]
        ranked = _ranked(data, i, members)
        if len(ranked) >= 2 and ranked[0][0] != ranked[-1][0]:
            best = [r for r in ranked if r[0] == ranked[0][0]]
            worst = [r for r in ranked if r[0] == ranked[-1][0]]
            out.append(f"{m.title}: best in {_join([r[1] for r in best])} "
                       f"({say(m, best[0][2])}), worst in {_join([r[1] for r in worst])} "
                       f"({say(m, worst[0][2])}).")
    return out


def rag_changes(data: BookData) -> list[str]:
    last = data.periods[-2]
    moved: dict[str, list[str]] = {"Red": [], "Amber": [], "Green": []}
    for r in data.rows(data.own):
        new, old = r.rag, r.previous_rag
        if new and old and new != old:
            moved[new].append(f"{r.title} (was {old})")
    out = [f"Moved to {band}: {_join(items)}." for band, items in moved.items() if items]
    return out or [f"No indicator changed its RAG rating since {_month(last)}."]


def against_england(data: BookData) -> list[str]:
    gaps = []
    rows = data.rows(data.own)
    for i, m in enumerate(data.indicators):
        comp = data.comparators[i]
        v = data.own.latest(i)
        if (not rows[i].rated or comp is None or not comp.comparable or comp.england is None
                or v is None):
            continue            # never ranked against a figure defined differently
        e = comp.england
        gap = (v - e) if m.polarity == "higher" else (e - v)
        size = gap if m.unit == "%" else (gap / abs(e) * 100 if e else 0.0)
        if rounded(abs(v - e), m.decimals) == 0:
            continue
        gaps.append((size, f"{m.title} ({say_pair(m, v, e, 'against')})"))
    if not gaps:
        return []
    gaps.sort(key=lambda g: g[0])
    out = []
    behind = [t for s, t in gaps if s < 0][:TOP]
    ahead = [t for s, t in reversed(gaps) if s > 0][:TOP]
    if behind:
        out.append("Furthest behind England: " + "; ".join(behind) + ".")
    if ahead:
        out.append("Furthest ahead of England: " + "; ".join(ahead) + ".")
    return out


def quality(data: BookData) -> list[str]:
    rows = sum(q.rows for q in data.quality)
    if not rows:
        return []
    not_used = sum(q.rows_not_used for q in data.quality)
    text = (f"The extract has {rows:,} row(s) with validation problems for this geography or the "
            "whole extract")
    if not_used:
        text += f", {not_used:,} of them left out of the figures"
    return [text + "; the Data quality page lists them."]


def sections(data: BookData) -> list[tuple[str, list[str]]]:
    """[(heading, bullets)] in the order a board paper reads."""
    last = data.periods[-2]
    parts = [("Headlines", headline(data)),
             (f"Largest changes since {_month(last)}", largest_changes(data)),
             ("Districts", districts(data)),
             ("RAG changes", rag_changes(data)),
             ("Against England", against_england(data)),
             ("Data quality", quality(data))]
    return [(h, b) for h, b in parts if b]


def write(wb, st, data: BookData, name: str = "Highlights") -> None:
    ws = wb.add_worksheet(name)
    page_setup(ws, data, "Highlights")
    ws.set_column(0, 0, 3)
    ws.set_column(1, 1, BODY_WIDTH)
    ws.set_row(0, 22)
    ws.write_string(0, 0, f"{data.title}: highlights for {data.period_end:%B %Y}", st.title())
    ws.write_string(1, 0, "Generated from the figures on the Scorecard; changes are since the "
                    f"end of {_month(data.periods[-2])}.", st.subtitle())
    head = st(bold=True, font_size=11, font_color=NAVY, bottom=1, bottom_color=NAVY)
    bullet = st(align="right", valign="top", font_color=NAVY)
    body = st(text_wrap=True, valign="top")
    lead = st(bold=True, text_wrap=True, valign="top")
    row = 3
    for heading, bullets in sections(data):
        ws.merge_range(row, 0, row, 1, heading, head)
        ws.set_row(row, 18)
        row += 1
        for text in bullets:
            ws.write_string(row, 0, "•", bullet)
            first, colon, rest = text.partition(": ")
            if colon and len(first) <= 45 and rest:    # "Improved most since November: ..." bold
                # every fragment names its format: one font (a bare fragment falls back to the
                # default font in LibreOffice)
                ws.write_rich_string(row, 1, lead, first + colon, body, rest, body)
            else:
                ws.write_string(row, 1, text, body)
            ws.set_row(row, row_height([(text, BODY_WIDTH)], minimum=16))
            row += 1
        row += 1
    ws.print_area(0, 0, max(row - 1, 1), 1)
