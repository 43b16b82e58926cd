"""Journeys as channel paths (identical ones aggregated): integer codes in CSR form with counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.attribution.errors import AttributionError

DEFAULT_SEP = " > "
#: paths sampled to tell whether the input repeats paths (then they are aggregated first)
SAMPLE = 2048


@dataclass(frozen=True)
class Journeys:
    """Paths (codes[offsets[i]:offsets[i+1]] are path i's channels) and their outcomes."""

    channels: tuple[str, ...]
    offsets: np.ndarray  # int64, len n_paths + 1
    codes: np.ndarray  # int64 channel codes, all touches of all paths
    conversions: np.ndarray  # float64 per path
    nulls: np.ndarray  # float64 per path
    value: np.ndarray  # float64 per path (total conversion value)

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


def _path_strings(sequence: Sequence[object] | np.ndarray | pd.Series, sep: str) -> pa.Array:
    """Path strings as Arrow (zero-copy from Arrow-backed pandas strings); lists of channels are
    joined with `sep` (vectorised)."""
    if len(sequence) == 0:
        raise AttributionError("no paths given: pass at least one path with a conversion")
    try:
        array = pa.array(sequence, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise AttributionError(
            f"paths must be strings or lists of channel names: {error}"
        ) from error
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):  # a categorical column
        array = array.dictionary_decode()
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


def _token_view(strings: pa.Array, sep: str) -> tuple[np.ndarray, pa.Array] | None:
    """(touches per path, one string per touch that keeps its trailing `sep`, unless it is its
    path's last) over the paths' own bytes, no copy; None where Arrow's split must decide (a
    separator at a path's end or across it, overlapping separators, no bytes at all)."""
    pattern = np.frombuffer(sep.encode(), dtype=np.uint8)
    width = len(pattern)
    wide = pa.types.is_large_string(strings.type)
    stored = np.frombuffer(strings.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = stored[strings.offset : strings.offset + len(strings) + 1].astype(np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    if width == 0 or hi - lo < width:
        return None
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[lo:hi]
    # a touch starts at every path's start and after every separator: mark both in one array
    # (big temporaries cost page faults, so the separators are found in place)
    boundary = np.zeros(len(data) + 1, dtype=bool)
    match = boundary[width:]  # a separator starts at byte i
    np.equal(data[: len(match)], pattern[0], out=match)
    for j in range(1, width):
        match &= data[j : len(match) + j] == pattern[j]
    for gap in range(1, width):
        if (match[:-gap] & match[gap:]).any():
            return None
    nonempty = offsets[1:] > offsets[:-1]
    ends = offsets[1:][nonempty] - lo
    for back in range(1, width + 1):  # a separator starting here ends at or past the path's end
        start = ends - back
        if match[start[(start >= 0) & (start < len(match))]].any():
            return None
    starts = offsets[:-1][nonempty] - lo
    boundary[starts] = True
    boundary[-1] = True  # and the last touch ends there
    bounds = np.flatnonzero(boundary)
    lengths = np.zeros(len(strings), dtype=np.int64)
    lengths[nonempty] = np.diff(np.searchsorted(bounds, starts), append=len(bounds) - 1)
    bounds += lo
    tokens = pa.LargeStringArray.from_buffers(
        len(bounds) - 1, pa.py_buffer(bounds), strings.buffers()[2]
    )
    return lengths, tokens


def _split(strings: pa.Array, sep: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(touches per path, channel code per touch, channels sorted by name): one dictionary
    encoding of all touches; separators and spaces are stripped on the dictionary only."""
    view = _token_view(strings, sep)
    if view is not None:
        lengths, tokens = view
        encoded = pc.dictionary_encode(tokens)
        names = [
            name[: -len(sep)] if name.endswith(sep) else name
            for name in encoded.dictionary.to_pylist()
        ]
    else:
        strings = pc.if_else(pc.equal(strings, ""), pa.scalar(None, strings.type), strings)
        lists = pc.split_pattern(strings, sep)  # an empty path is null: no touch
        lengths = np.diff(lists.offsets.to_numpy()).astype(np.int64)
        encoded = pc.dictionary_encode(pc.list_flatten(lists))
        names = encoded.dictionary.to_pylist()
    trimmed = pc.utf8_trim_whitespace(pa.array(names, pa.string())).to_pylist()
    channels = tuple(sorted(set(trimmed)))
    rank = {name: code for code, name in enumerate(channels)}
    code_of = np.array([rank[name] for name in trimmed], dtype=np.int64)
    return lengths, code_of[encoded.indices.to_numpy()], channels


def _repeats(strings: pa.Array) -> bool:
    """Whether a sample of the paths holds a path twice in ten: then aggregating the strings
    first saves splitting them again and again; unique paths skip that hashing pass."""
    if len(strings) <= SAMPLE:
        return True
    rows = np.arange(0, len(strings), len(strings) // SAMPLE)  # spread over sorted input too
    return pc.count_distinct(strings.take(rows)).as_py() < 0.9 * len(rows)


def encode(
    sequence: Sequence[object] | np.ndarray | pd.Series,
    conversions: object,
    nulls: object,
    value: object = None,
    sep: str = DEFAULT_SEP,
    aggregate: bool | None = None,
) -> Journeys:
    """Split every path into channel codes with one pass over all touches.

    `sequence` holds path strings ('a > b > c' with `sep`) or lists of channels; an empty path
    (no touch) goes straight from start to its outcome. Channel names are stripped of spaces.
    Identical path strings are aggregated when `aggregate` is true, or (None) when a sample of
    them repeats; results do not depend on it, only the time they take.
    """
    strings = _path_strings(sequence, sep)
    n = len(strings)
    counts = np.stack(
        [
            _counts("conversions", conversions, n),
            _counts("nulls", nulls, n),
            _counts("value", value, n),
        ]
    )
    if counts[0].sum() <= 0:
        raise AttributionError("the paths hold no conversion; attribution needs at least one")
    if aggregate or (aggregate is None and _repeats(strings)):
        grouped = pc.dictionary_encode(strings)
        group, strings = grouped.indices.to_numpy(), grouped.dictionary
        counts = np.stack([np.bincount(group, weights=c, minlength=len(strings)) for c in counts])
    used = (counts[0] + counts[1]) > 0
    if not used.all():
        strings, counts = strings.filter(pa.array(used)), counts[:, used]
    lengths, codes, channels = _split(strings, sep)  # only channels of paths with an outcome
    return Journeys(
        channels=channels,
        offsets=np.r_[0, np.cumsum(lengths)].astype(np.int64),
        codes=codes,
        conversions=counts[0],
        nulls=counts[1],
        value=counts[2],
    )
