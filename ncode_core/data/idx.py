"""The IDX file format of MNIST (LeCun et al.), as torchvision's MNIST readers expect it."""

from __future__ import annotations

import struct

import numpy as np

_UBYTE = 0x08


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes of an unsigned-byte array of any rank: a magic number (two zero bytes, the type
    code 0x08, the rank), each dimension as a big-endian int32, then the values in C order.

    array: (N,) labels or (N, H, W) images, dtype uint8.
    """
    if array.dtype != np.uint8:
        raise ValueError(f"IDX encoding here handles uint8 arrays, got {array.dtype}")
    header = struct.pack(">BBBB", 0, 0, _UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}i", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()
