"""MS-OVBA compression (MS-OVBA section 2.4.1).

Every stream of a VBA project that holds text for the VBA editor (the ``dir``
stream and the source part of each module stream) is stored in this
LZ77-style format. It is *not* zlib: it works on independent 4096-byte
chunks, and the number of bits a copy token spends on the back-reference
offset grows with the position inside the chunk.

Layout of a CompressedContainer::

    0x01                              SignatureByte
    CompressedChunk ...               one per 4096 bytes of input

    CompressedChunk = u16 header + data
        header bits 0-11   chunk size - 3   (size counts the header)
        header bits 12-14  0b011            (signature)
        header bit  15     1 = compressed token sequences, 0 = raw 4096 bytes

    TokenSequence = FlagByte + up to 8 tokens; bit i (LSB first) of FlagByte
        is 1 when token i is a 2-byte CopyToken, 0 when it is a literal byte.

Which of the many valid encodings we produce: the pseudocode in
2.4.1.3.19.4 tries *every* earlier position of the chunk as a back-reference
candidate, nearest first, keeping a candidate only when it is strictly
longer. The worked example in section 3.2.2, however, can only be produced
if the candidates are restricted to the positions where earlier *tokens
start* (e.g. at offset 24 of that example it copies from 17, the start of
the previous copy token, not from the equally long and nearer 19). We
default to that token-start rule (``exhaustive=False``) because it
reproduces the spec's examples byte for byte, and keep the literal
pseudocode as ``exhaustive=True``. Both decode to the same bytes. (Excel's
own compressor is different again: recompressing the small module streams
of an Excel-saved vbaProject.bin with the token-start rule gives identical
bytes, but in larger streams Excel sometimes settles for shorter matches.
Any valid container is accepted on reading.)

The candidates sharing a 3-byte prefix with the current position are kept
in a hash chain, so the search costs far less than the pseudocode's
brute-force scan: compressing the 45 kB xlwings module takes a few hundredths
of a second.
"""

from __future__ import annotations

__all__ = ["compress", "decompress", "CompressionError"]

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_CHUNK_SIGNATURE = 0b011 << 12
_COMPRESSED_FLAG = 0x8000


class CompressionError(ValueError):
    """Raised when a byte string is not a valid CompressedContainer."""


def _copy_token_help(difference: int) -> tuple[int, int, int]:
    """CopyToken Help (2.4.1.3.19.1).

    ``difference`` is the distance from the start of the decompressed chunk
    to the current position. Returns (length_mask, bit_count, maximum_length):
    the offset field takes ``bit_count`` high bits of the token (at least 4,
    enough to address any byte already seen in the chunk) and the length the
    remaining low bits.
    """
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    maximum_length = length_mask + 3
    return length_mask, bit_count, maximum_length


def _longest_match(
    data: bytes, chunk_start: int, current: int, end: int, chains: dict[bytes, list[int]]
) -> tuple[int, int]:
    """Return (offset, length) of the best back-reference at ``current``.

    Follows the spec's "Matching" pseudocode (2.4.1.3.19.4) over the
    candidate positions held in ``chains`` (see the module docstring):

    * candidates are tried from the nearest backwards, and a candidate only replaces the best one when it
      is strictly longer - so ties go to the nearest candidate;
    * match lengths are measured *without* the MaximumLength cap (which is
      applied afterwards), and may run past ``current`` (overlapping copies);
    * matches shorter than 3 bytes are not worth a 2-byte token.

    Only candidates sharing the 3-byte prefix can reach length 3, so walking
    the hash chain of that prefix visits every candidate that matters.
    """
    if end - current < 3:
        return 0, 0
    candidates = chains.get(data[current : current + 3])
    if not candidates:
        return 0, 0
    best_len = 0
    best_pos = -1
    limit = end - current  # no candidate can match more than the rest of the chunk
    for cand in reversed(candidates):
        # Cheap rejection: to be strictly longer than the best so far, the
        # candidate must at least agree at index best_len.
        if best_len and data[cand + best_len] != data[current + best_len]:
            continue
        # Measure the match: grow in doubling steps with C-speed slice
        # comparisons, then finish byte by byte.
        length = 3
        step = 8
        while length < limit:
            n = min(step, limit - length)
            if data[cand + length : cand + length + n] == data[current + length : current + length + n]:
                length += n
                step *= 2
            elif n == 1:
                break
            else:
                step = max(1, n // 2)
        if length > best_len:
            best_len = length
            best_pos = cand
            if best_len == limit:
                break  # nothing further back can be strictly longer
    if best_len < 3:
        return 0, 0
    _, _, maximum_length = _copy_token_help(current - chunk_start)
    return current - best_pos, min(best_len, maximum_length)


def _compress_chunk(data: bytes, chunk_start: int, chunk_end: int, exhaustive: bool) -> bytes:
    """Compress data[chunk_start:chunk_end] (<= 4096 bytes) into one chunk."""
    out = bytearray()
    chains: dict[bytes, list[int]] = {}
    current = chunk_start
    indexed = chunk_start  # positions below this are already in ``chains``

    while current < chunk_end:
        flag_index = len(out)
        out.append(0)  # FlagByte, patched once its tokens are known
        flags = 0
        for bit in range(8):
            if current >= chunk_end:
                break
            if exhaustive:
                # Spec pseudocode: every earlier position is a candidate,
                # including those covered by earlier copy tokens.
                while indexed < current:
                    if indexed + 3 <= chunk_end:
                        chains.setdefault(data[indexed : indexed + 3], []).append(indexed)
                    indexed += 1
            offset, length = _longest_match(data, chunk_start, current, chunk_end, chains)
            if not exhaustive and current + 3 <= chunk_end:
                # Token-start rule: only where a token begins becomes a
                # candidate for later matches.
                chains.setdefault(data[current : current + 3], []).append(current)
            if length:
                _, bit_count, _ = _copy_token_help(current - chunk_start)
                token = ((offset - 1) << (16 - bit_count)) | (length - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                current += length
            else:
                out.append(data[current])
                current += 1
        out[flag_index] = flags

    if len(out) > CHUNK_SIZE:
        # Incompressible: the spec stores the chunk raw, always as 4096
        # bytes (2.4.1.3.10 pads a short final chunk with 0x00). Text never
        # gets here - it would need a chunk that grows by compression.
        raw = data[chunk_start:chunk_end].ljust(CHUNK_SIZE, b"\x00")
        header = (CHUNK_SIZE + 2 - 3) | _CHUNK_SIGNATURE
        return header.to_bytes(2, "little") + raw
    header = (len(out) + 2 - 3) | _CHUNK_SIGNATURE | _COMPRESSED_FLAG
    return header.to_bytes(2, "little") + bytes(out)


def compress(data: bytes, *, exhaustive: bool = False) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer (2.4.1.3.6).

    ``exhaustive=True`` searches every earlier position for matches, as the
    pseudocode of 2.4.1.3.19.4 reads; the default considers only token
    starts, which reproduces the worked examples of section 3.2 (see the
    module docstring). Both produce valid containers.
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + CHUNK_SIZE, len(data)), exhaustive)
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (2.4.1.3.1)."""
    container = bytes(container)
    if not container or container[0] != _SIGNATURE:
        raise CompressionError("CompressedContainer must start with signature byte 0x01")
    out = bytearray()
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            raise CompressionError(f"truncated chunk header at offset {pos}")
        header = int.from_bytes(container[pos : pos + 2], "little")
        size = (header & 0x0FFF) + 3
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise CompressionError(f"bad chunk signature at offset {pos}")
        chunk_end = min(pos + size, len(container))
        pos += 2
        decompressed_start = len(out)
        if not header & _COMPRESSED_FLAG:
            out += container[pos : pos + CHUNK_SIZE]
            pos += CHUNK_SIZE
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise CompressionError(f"truncated copy token at offset {pos}")
                token = int.from_bytes(container[pos : pos + 2], "little")
                pos += 2
                length_mask, bit_count, _ = _copy_token_help(len(out) - decompressed_start)
                length = (token & length_mask) + 3
                offset = (token >> (16 - bit_count)) + 1
                source = len(out) - offset
                if source < decompressed_start:
                    raise CompressionError("copy token points before the start of its chunk")
                # Byte by byte on purpose: source and destination may overlap
                # (offset < length encodes a run).
                for i in range(length):
                    out.append(out[source + i])
    return bytes(out)
