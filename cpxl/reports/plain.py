"""Plain English on printed pages: titles that say where a figure comes from, and abbreviations
spelled out the first time a page uses them.

Two health measures are counted twice, once from the DfE's SSDA903 return (OC2, children looked
after for 12 months at 31 March) and once from the authority's own records; their titles say
which, so a board member does not read two different numbers as one measure.
"""
from __future__ import annotations

import re

#: title suffixes that name the source of measures which exist twice
SOURCE = {
    "health_check_pct": "DfE return",
    "teeth_check_pct": "DfE return",
    "immunisations_pct": "DfE return",
    "sdq_completed_pct": "DfE return",
    "sdq_avg_score": "DfE return",
    "health_assessment_pct": "local record",
    "dental_check_pct": "local record",
}

#: abbreviations a board member may not know, spelled out on first use
ABBREVIATIONS = {
    "SDQ": "Strengths and Difficulties Questionnaire (SDQ)",
    "FTE": "full-time equivalent (FTE)",
    "PEP": "personal education plan (PEP)",
    "UASC": "unaccompanied asylum-seeking children (UASC)",
}


def printed_title(indicator_id: str, title: str) -> str:
    """The title as printed: with its source where the measure exists twice."""
    source = SOURCE.get(indicator_id)
    return f"{title} ({source})" if source else title


def first_use(texts: list[str]) -> list[str]:
    """The texts in order, each abbreviation spelled out where it first appears."""
    out, done = [], set()
    for text in texts:
        for short, long in ABBREVIATIONS.items():
            if short in done:
                continue
            pattern = re.compile(rf"\(?\b{short}\b\)?")
            m = pattern.search(text)
            if m:
                done.add(short)
                if m.group(0).startswith("(") and m.group(0).endswith(")"):
                    # "caseload per social worker (FTE)" -> "(full-time equivalent, FTE)"
                    text = text[:m.start()] + f"({long.replace(f' ({short})', '')}, {short})" \
                        + text[m.end():]
                else:
                    text = text[:m.start()] + long + text[m.end():]
        out.append(text)
    return out
