"""Journeys as aggregated unique channel paths: integer codes in CSR form with outcome counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.attribution.errors import AttributionError

DEFAULT_SEP = " > "


@dataclass(frozen=True)
class Journeys:
    """Unique paths (codes[offsets[i]:offsets[i+1]] are path i's channels) and their outcomes."""

    channels: tuple[str, ...]
    offsets: np.ndarray  # int64, len n_paths + 1
    codes: np.ndarray  # int64 channel codes, all touches of all unique paths
    conversions: np.ndarray  # float64 per unique path
    nulls: np.ndarray  # float64 per unique path
    value: np.ndarray  # float64 per unique path (total conversion value)

    @property
    def n_paths(self) -> int:
        return len(self.conversions)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def with_counts(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> Journeys:
        """The same paths with other outcome counts (a bootstrap resample)."""
        return Journeys(self.channels, self.offsets, self.codes, conversions, nulls, value)

    def path_index(self) -> np.ndarray:
        """The unique path of every touch in `codes`."""
        return np.repeat(np.arange(self.n_paths), self.lengths)


def _path_strings(sequence: Sequence[object] | np.ndarray | pd.Series, sep: str) -> pa.Array:
    """Path strings as Arrow; lists of channels are joined with `sep` (vectorised)."""
    values = sequence.to_numpy() if isinstance(sequence, pd.Series) else sequence
    if len(values) == 0:
        raise AttributionError("no paths given: pass at least one path with a conversion")
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise AttributionError(
            f"paths must be strings or lists of channel names: {error}"
        ) from error
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        if not pa.types.is_string(array.type.value_type):
            array = array.cast(pa.list_(pa.string()))
        if pc.any(pc.match_substring(pc.list_flatten(array), sep)).as_py():
            raise AttributionError(
                f"a channel name contains the separator {sep!r}; pass sep= another string"
            )
        array = pc.binary_join(array, sep)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        raise AttributionError(f"paths must be strings or lists of channel names, not {array.type}")
    if array.null_count:
        raise AttributionError("a path is missing (null); pass '' for a journey without touches")
    return array


def _counts(name: str, values: object, n: int) -> np.ndarray:
    array = np.zeros(n) if values is None else np.asarray(values, dtype=np.float64)
    if array.shape != (n,):
        raise AttributionError(f"{name} has {array.size} values for {n} paths; give one per path")
    if not np.isfinite(array).all() or (name != "value" and (array < 0).any()):
        raise AttributionError(f"{name} must be finite and non-negative counts per path")
    return array


def encode(
    sequence: Sequence[object] | np.ndarray | pd.Series,
    conversions: object,
    nulls: object,
    value: object = None,
    sep: str = DEFAULT_SEP,
) -> Journeys:
    """Aggregate identical paths, then split each unique path once into channel codes.

    `sequence` holds path strings ('a > b > c' with `sep`) or lists of channels; an empty path
    (no touch) goes straight from start to its outcome. Channel names are stripped of spaces.
    """
    strings = _path_strings(sequence, sep)
    n = len(strings)
    table = pa.table(
        {
            "path": strings,
            "conversions": _counts("conversions", conversions, n),
            "nulls": _counts("nulls", nulls, n),
            "value": _counts("value", value, n),
        }
    )
    grouped = table.group_by("path").aggregate(
        [("conversions", "sum"), ("nulls", "sum"), ("value", "sum")]
    )
    conv = grouped["conversions_sum"].to_numpy()
    null = grouped["nulls_sum"].to_numpy()
    used = (conv + null) > 0
    if conv.sum() <= 0:
        raise AttributionError("the paths hold no conversion; attribution needs at least one")
    path = grouped["path"].filter(pa.array(used)).combine_chunks()
    path = pc.if_else(pc.equal(path, ""), pa.scalar(None, path.type), path)
    lists = pc.split_pattern(path, sep)
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy().astype(np.int64)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    encoded = (
        pc.dictionary_encode(flat).combine_chunks()
        if isinstance(flat, pa.ChunkedArray)
        else pc.dictionary_encode(flat)
    )
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names)  # channels sorted by name, whatever order they appear in
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return Journeys(
        channels=tuple(str(c) for c in names[order]),
        offsets=np.r_[0, np.cumsum(lengths)].astype(np.int64),
        codes=rank[encoded.indices.to_numpy()],
        conversions=conv[used],
        nulls=null[used],
        value=grouped["value_sum"].to_numpy()[used],
    )
