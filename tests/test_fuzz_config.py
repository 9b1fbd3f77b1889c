"""Fuzzing cpxl.toml and XML returns (GitHub issue 15): never anything but a clear message.

Targets, each bounded (``max_examples`` below; a few seconds in all) and the same on every run
(``derandomize``); ``CPXL_FUZZ_SCALE=10`` runs ten times as many, ``CPXL_FUZZ_RANDOM=1`` draws
new ones:

- ``cpxl.toml`` documents built from the real keys (authority, la_code, areas, districts,
  indicators, thresholds and indicator ids) and stray ones, holding any TOML value: deep nesting,
  huge integers, inf and nan, odd strings.  ``load_config``, then the batch's threshold check,
  then the RAG bands of every configured indicator, either succeed or raise ``CpxlError``;
  a value that gets through is finite and in range.
- the bytes of a valid ``cpxl.toml`` mutated (flipped, cut, inserted bytes, brackets, quotes).
- XML returns: a small EXPSSDA903-shaped document mutated, and XML with DTDs and entity
  bombs, given to ``guard.check_xml`` and to ``cpxl.load`` as the data.  Until the XML reader
  (issue-10x) is merged ``cpxl.load`` refuses a ``.xml`` file with a message; once it reads them
  this same target fuzzes that reader through the guard, with no change here.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from cpxl import guard
from cpxl.config import MAX_THRESHOLD, load_config
from cpxl.errors import CpxlError

SCALE = float(os.environ.get("CPXL_FUZZ_SCALE", "1"))
PROFILE = dict(deadline=None, derandomize=not os.environ.get("CPXL_FUZZ_RANDOM"), database=None,
               print_blob=True, suppress_health_check=list(HealthCheck))

KEYS = ["authority", "name", "la_code", "areas", "districts", "names", "indicators",
        "visit_interval_days", "thresholds", "green", "amber", "target", "North", "Unknown",
        "visits_in_time_pct", "adoption_days_avg", "missing_pct", "cla_count", "sdq_avg_score",
        "authority_name", "x", "", "Cragsby"]

scalars = st.one_of(
    st.integers(min_value=-(10 ** 40), max_value=10 ** 40).filter(lambda i: -2**63 <= i < 2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 42, 80, 90, 100, 100.5, 150, -5, 888, 1e100, -0.0]),
    st.text(max_size=12), st.sampled_from(["Aldermoor", "Unknown", "Cragsby", "北" * 40]),
    st.booleans())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=25)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


def _key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return _key(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(doc: dict) -> str:
    return "\n".join(f"{_key(k)} = {toml_value(v)}" for k, v in doc.items()) + "\n"


def _surrogate_free(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def check_config_text(data: bytes) -> None:
    """The whole path a configuration takes, on ``data`` as cpxl.toml."""
    from cpxl.catalogue import CATALOGUE
    from cpxl.rag import bands
    from cpxl.scorecard.prepare import check_config_thresholds

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cpxl.toml"
        path.write_bytes(data)
        try:
            config = load_config(path)
            check_config_thresholds(config)
        except CpxlError:
            return
        for ind_id, table in config.thresholds.items():
            for key in ("green", "amber", "target"):
                v = table.get(key)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    assert math.isfinite(v) and 0 <= v <= MAX_THRESHOLD, (ind_id, key, v)
            try:
                bands(CATALOGUE[ind_id], config.thresholds)
            except CpxlError:
                pass
        assert config.la_code is None or 100 <= config.la_code <= 999
        assert all(isinstance(d, str) for ds in config.areas.values() for d in ds)


@settings(max_examples=int(150 * SCALE), **PROFILE)
@given(documents)
def test_fuzzed_config_documents(doc):
    text = toml_document(doc)
    if _surrogate_free(text):
        check_config_text(text.encode("utf-8"))


VALID = b"""[authority]
name = "Northshire"
la_code = 888

[areas]
North = ["Hollowmere", "Cragsby"]
East = ["Saltreach"]

[indicators]
visit_interval_days = 42

[thresholds.visits_in_time_pct]
green = 90
amber = 80
"""

mutations = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "delete"]),
                               st.integers(0, len(VALID) - 1),
                               st.sampled_from([b"[", b"]", b"{", b'"', b"=", b"\n", b"\x00",
                                                b"inf", b"nan", b"1e400", b"-", b"\xff",
                                                b"9" * 40, b"[[", b"\\u"])),
                     min_size=1, max_size=5)


def mutated(seed: bytes, ops) -> bytes:
    """``seed`` with each (operation, position, bytes) applied: a byte flipped, the rest cut,
    bytes inserted or a byte deleted."""
    data = bytearray(seed)
    for op, at, stuff in ops:
        at = min(at, max(len(data) - 1, 0))
        if op == "flip" and data:
            data[at] ^= 0xFF
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = stuff
        elif data:
            del data[at]
    return bytes(data)


@settings(max_examples=int(150 * SCALE), **PROFILE)
@given(mutations)
def test_mutated_config_bytes(ops):
    check_config_text(mutated(VALID, ops))


# --- XML returns --------------------------------------------------------------------------------

SEED_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header><CollectionDetails><Collection>SSDA903</Collection><Year>2025</Year></CollectionDetails>
  <Source><LEA>888</LEA></Source></Header>
  <Children>
    <Child><ChildIdentifiers><CHILD>C0001</CHILD><SEX>1</SEX><DOB>2012-03-01</DOB></ChildIdentifiers>
      <ChildCharacteristics><ETHNIC>WBRI</ETHNIC></ChildCharacteristics>
      <Episodes><Episode><DECOM>2024-01-05</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN>
        <PLACE>U4</PLACE><PLACE_PROVIDER>PR1</PLACE_PROVIDER></Episode></Episodes>
    </Child>
  </Children>
</Message>
"""

BOMBS = [
    b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;">]><Message>&c;</Message>',
    b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>',
    b'<?xml version="1.0"?>' + b"<a>" * 20000 + b"</a>" * 20000,
    "<?xml version='1.0' encoding='utf-16'?><!DOCTYPE m><Message/>".encode("utf-16"),
]

xml_mutations = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "delete"]),
                                   st.integers(0, len(SEED_XML) - 1),
                                   st.sampled_from([b"<", b">", b"</Child>", b"&", b"&amp;",
                                                    b"<!DOCTYPE x>", b"\x00", b"]]>", b"9" * 30,
                                                    b"<Episode>", b"\xff\xfe"])),
                         min_size=1, max_size=5)


def check_xml_bytes(data: bytes) -> None:
    import cpxl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "return.xml"
        path.write_bytes(data)
        try:
            guard.check_xml(path)
        except CpxlError:
            pass
        try:
            cpxl.load(path)
        except CpxlError:
            pass


@settings(max_examples=int(60 * SCALE), **PROFILE)
@given(xml_mutations)
def test_mutated_xml_returns(ops):
    check_xml_bytes(mutated(SEED_XML, ops))


def test_xml_bombs_are_refused_by_the_guard(tmp_path):
    for i, bomb in enumerate(BOMBS):
        path = tmp_path / f"bomb{i}.xml"
        path.write_bytes(bomb)
        if b"DOCTYPE" in bomb or "DOCTYPE".encode("utf-16-le") in bomb:
            try:
                guard.check_xml(path)
            except CpxlError as e:
                assert "DTD" in str(e)
            else:
                raise AssertionError(f"bomb {i} passed the guard")
        check_xml_bytes(bomb)
