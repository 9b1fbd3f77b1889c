"""Minimal writer for the Compound File Binary format ([MS-CFB]).

``vbaProject.bin`` is a compound file: a little FAT file system inside one
file. This writer supports exactly what a VBA project needs:

* version 3 (512-byte sectors), written in one pass, never modified;
* a FAT whose sector numbers fit the 109 DIFAT slots of the header
  (files up to ~6.8 MB - VBA projects are a few hundred kB at most);
* streams under 4096 bytes in the mini stream (64-byte mini sectors), as
  the format requires, and larger streams in regular sectors;
* storages and streams arranged in red-black trees of directory entries.

File layout produced (sector numbers in brackets)::

    header (512 bytes, not a sector)
    [0 .. f-1]   FAT sectors
    [f ..]       directory sectors
    [..]         mini FAT sectors
    [..]         mini stream (the root entry's stream)
    [..]         each large stream, in directory order

Timestamps and CLSIDs are left zero so identical input gives identical
bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["write_compound_file", "SECTOR_SIZE", "MINI_SECTOR_SIZE", "MINI_STREAM_CUTOFF"]

SECTOR_SIZE = 512
MINI_SECTOR_SIZE = 64
MINI_STREAM_CUTOFF = 4096
DIR_ENTRY_SIZE = 128
_HEADER_DIFAT_SLOTS = 109

# Special sector numbers (2.1)
MAXREGSECT = 0xFFFFFFFA
DIFSECT = 0xFFFFFFFC
FATSECT = 0xFFFFFFFD
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF

# Directory entry object types and colours (2.6.1)
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, "_Entry"] = field(default_factory=dict)
    # Filled in while laying out the file:
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """Directory order (2.6.4): shorter names first, then by uppercase.

    The spec compares UTF-16 code units after simple uppercase mapping;
    ``str.upper`` is that mapping for the ASCII names a VBA project uses.
    """
    return (len(name.encode("utf-16-le")) // 2, name.upper())


def _build_tree(entries: list[_Entry]) -> int:
    """Link ``entries`` (one storage's children) into a red-black tree.

    Returns the SID of the tree's root. The tree is balanced by splitting the
    sorted list at its middle, so all leaf depths differ by at most one.
    Colouring the nodes on the deepest level red (when that level is not
    the root) then satisfies the red-black rules: every path from the root
    to a missing child passes the same number of black nodes, and no red
    node has a red child. Readers only need the ordering to look names up,
    but keeping the colours valid costs nothing.
    """
    ordered = sorted(entries, key=lambda e: _sort_key(e.name))
    depth_of: dict[int, int] = {}

    def link(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = ordered[mid]
        depth_of[id(node)] = depth
        node.left = link(lo, mid, depth + 1)
        node.right = link(mid + 1, hi, depth + 1)
        return node.sid

    root = link(0, len(ordered), 0)
    if ordered:
        deepest = max(depth_of.values())
        for node in ordered:
            node.color = _RED if deepest > 0 and depth_of[id(node)] == deepest else _BLACK
    return root


def _dir_entry(entry: _Entry | None) -> bytes:
    if entry is None:  # unused slot
        return (
            b"\x00" * 64
            + struct.pack("<HBB", 0, 0, 0)
            + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
            + b"\x00" * (16 + 4 + 8 + 8)
            + struct.pack("<IQ", 0, 0)
        )
    name = entry.name.encode("utf-16-le") + b"\x00\x00"
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBB", len(name), entry.kind, entry.color)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + b"\x00" * 16  # CLSID
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # creation and modification times
        + struct.pack("<IQ", entry.start, entry.size)
    )


def _chain(table: list[int], first: int, count: int) -> None:
    """Write a chain of ``count`` consecutive sectors starting at ``first``."""
    for i in range(count):
        table[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def _sectors(n_bytes: int, size: int = SECTOR_SIZE) -> int:
    return -(-n_bytes // size)


def write_compound_file(streams: dict[str, bytes]) -> bytes:
    """Build a compound file from ``{"storage/sub/stream": data}``.

    Storages are created implicitly from the paths. Names are limited to
    31 UTF-16 characters and must not contain ``/ \\ : !``.
    """
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for i, part in enumerate(parts):
            if not part or len(part) > 31 or any(c in part for c in "\\:!"):
                raise ValueError(f"invalid compound file name {part!r} in {path!r}")
            last = i == len(parts) - 1
            existing = next((c for k, c in node.children.items() if k.upper() == part.upper()), None)
            if existing is None:
                existing = _Entry(part, _STREAM if last else _STORAGE, bytes(data) if last else b"")
                node.children[part] = existing
            elif last or existing.kind != _STORAGE:
                raise ValueError(f"duplicate or conflicting path {path!r}")
            node = existing

    # Directory order: breadth-first, root first (its SID must be 0).
    entries: list[_Entry] = [root]
    i = 0
    while i < len(entries):
        entries.extend(entries[i].children.values())
        i += 1
    for sid, entry in enumerate(entries):
        entry.sid = sid
    for entry in entries:
        if entry.children:
            entry.child = _build_tree(list(entry.children.values()))
        if entry.kind == _STORAGE:
            entry.start = 0  # storages own no sectors; start and size stay 0
    root.color = _BLACK

    # Streams below the cutoff go to the mini stream, in 64-byte units.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != _STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            entry.start = ENDOFCHAIN  # empty streams own no sectors
        elif entry.size < MINI_STREAM_CUTOFF:
            n = _sectors(entry.size, MINI_SECTOR_SIZE)
            entry.start = len(mini_fat)
            mini_fat.extend([FREESECT] * n)
            _chain(mini_fat, entry.start, n)
            mini_stream += entry.data.ljust(n * MINI_SECTOR_SIZE, b"\x00")
        else:
            big.append(entry)

    n_dir = _sectors(len(entries) * DIR_ENTRY_SIZE)
    n_minifat = _sectors(len(mini_fat) * 4)
    n_ministream = _sectors(len(mini_stream))
    n_big = sum(_sectors(e.size) for e in big)
    payload = n_dir + n_minifat + n_ministream + n_big
    # The FAT must also map its own sectors: grow it until it fits.
    n_fat = 1
    while n_fat * (SECTOR_SIZE // 4) < payload + n_fat:
        n_fat += 1
    if n_fat > _HEADER_DIFAT_SLOTS:
        raise ValueError("compound file too large for a header-only DIFAT")
    total = n_fat + payload

    fat = [FREESECT] * (n_fat * SECTOR_SIZE // 4)
    for s in range(n_fat):
        fat[s] = FATSECT
    next_sector = n_fat
    dir_start = next_sector
    _chain(fat, dir_start, n_dir)
    next_sector += n_dir
    minifat_start = next_sector if n_minifat else ENDOFCHAIN
    _chain(fat, next_sector, n_minifat)
    next_sector += n_minifat
    if n_ministream:
        # The root entry's stream *is* the mini stream.
        root.start, root.size = next_sector, len(mini_stream)
        _chain(fat, next_sector, n_ministream)
        next_sector += n_ministream
    else:
        root.start, root.size = ENDOFCHAIN, 0
    for entry in big:
        n = _sectors(entry.size)
        entry.start = next_sector
        _chain(fat, next_sector, n)
        next_sector += n
    assert next_sector == total

    difat = list(range(n_fat)) + [FREESECT] * (_HEADER_DIFAT_SLOTS - n_fat)
    header = (
        _SIGNATURE
        + b"\x00" * 16  # header CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major v3, byte order, 2^9, 2^6
        + b"\x00" * 6
        + struct.pack(
            "<IIIIIIIII",
            0,  # number of directory sectors: always 0 in version 3
            n_fat,
            dir_start,
            0,  # transaction signature
            MINI_STREAM_CUTOFF,
            minifat_start,
            n_minifat,
            ENDOFCHAIN,  # first DIFAT sector: none, the header holds them all
            0,  # number of DIFAT sectors
        )
        + struct.pack(f"<{_HEADER_DIFAT_SLOTS}I", *difat)
    )
    assert len(header) == SECTOR_SIZE

    def pad(data: bytes | bytearray, fill: bytes = b"\x00") -> bytes:
        remainder = len(data) % SECTOR_SIZE
        return bytes(data) + (fill * (SECTOR_SIZE - remainder) if remainder else b"")

    directory = b"".join(_dir_entry(e) for e in entries)
    directory += b"".join(_dir_entry(None) for _ in range(n_dir * 4 - len(entries)))
    minifat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    minifat_bytes += struct.pack("<I", FREESECT) * (n_minifat * SECTOR_SIZE // 4 - len(mini_fat))

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    out += minifat_bytes
    out += pad(mini_stream)
    for entry in big:
        out += pad(entry.data)
    assert len(out) == SECTOR_SIZE * (1 + total)
    return bytes(out)
