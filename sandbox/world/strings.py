"""A string pool: categorical text is carried as int32 codes and materialised once, in Arrow."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class StringPool:
    """Interns strings to stable integer codes; code -1 stands for null."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._values: list[str] = []

    def code(self, value: str) -> int:
        """Code of one string, interning it on first use."""
        found = self._codes.get(value)
        if found is None:
            found = self._codes[value] = len(self._values)
            self._values.append(value)
        return found

    def codes(self, values: Iterable[str | None]) -> np.ndarray:
        """Codes of a small collection of strings (None → -1)."""
        return np.array([-1 if v is None else self.code(v) for v in values], dtype=np.int32)

    def vocabulary(self) -> pa.Array:
        """Every interned string, indexed by code."""
        return pa.array(self._values, type=pa.string())

    def to_arrow(self, codes: np.ndarray) -> pa.Array:
        """Materialise codes as an Arrow string array."""
        indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
        return pc.take(pa.array(self._values, type=pa.string()), indices)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Codes as a numpy object array (for small frames only)."""
        values = np.array([*self._values, None], dtype=object)
        return values[np.where(codes < 0, len(self._values), codes)]


def dictionary_array(codes: np.ndarray, vocabulary: pa.Array) -> pa.DictionaryArray:
    """Dictionary<int32, string> array of `vocabulary[codes]` (code -1 → null).

    The dictionary holds the values in order of first appearance, which is exactly what
    `pyarrow.compute.dictionary_encode` produces for the same logical values: two arrays with
    equal values are therefore equal as dictionary arrays too.
    """
    unique = pc.dictionary_encode(vocabulary)  # vocabularies may repeat a value
    vocabulary = unique.dictionary
    valid = codes >= 0
    remap = pc.fill_null(unique.indices, -1).to_numpy()
    codes = np.where(valid, remap[np.maximum(codes, 0)], -1)
    valid = codes >= 0
    used, first_seen, inverse = np.unique(codes[valid], return_index=True, return_inverse=True)
    order = np.argsort(first_seen, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    indices = np.zeros(len(codes), dtype=np.int32)
    indices[valid] = rank[inverse]
    dictionary = pc.take(vocabulary, pa.array(used[order], pa.int64()))
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=~valid), dictionary)


def encode_strings(values: pa.Array) -> pa.DictionaryArray:
    """Canonical dictionary encoding of a plain string array (see `dictionary_array`)."""
    encoded = pc.dictionary_encode(values)
    return pa.DictionaryArray.from_arrays(encoded.indices.cast(pa.int32()), encoded.dictionary)
