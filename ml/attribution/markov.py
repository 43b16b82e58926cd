"""Markov chain attribution of order k, solved exactly as an absorbing chain (no simulation).

Transient states are start and the tuples of a journey's last k channels (shorter tuples at the
start of a journey); conversion and null absorb. P(conversion) is the absorption probability from
start, x = (I - Q)^-1 r. Removing a channel sends every state that holds it to null, i.e. fixes
x = 0 there, so its P(conversion) is one sparse solve on the remaining states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ml.attribution.errors import AttributionError
from ml.attribution.journeys import Journeys

START = 0


@dataclass(frozen=True)
class ChainStructure:
    """Which state every journey passes through: the weights come later, so resamples reuse it."""

    n_states: int  # transient states including start (index 0)
    membership: sp.csc_matrix  # n_states x n_channels, 1 where the state's tuple holds the channel
    edge_from: np.ndarray
    edge_to: np.ndarray
    edge_path: np.ndarray  # the journey whose count weighs each edge
    last_state: np.ndarray  # per journey; START for an empty journey


def build_structure(journeys: Journeys, order: int) -> ChainStructure:
    """Map every touch to its state (its last `order` channels) with integer keys, no loops."""
    if order < 1:
        raise AttributionError(f"order must be 1 or more, got {order}")
    n = len(journeys.channels)
    base = n + 1
    if order * np.log2(base) > 62:
        raise AttributionError(f"order {order} with {n} channels overflows the state keys")
    codes, offsets = journeys.codes, journeys.offsets
    touch_path = journeys.path_index()
    position = np.arange(len(codes)) - offsets[touch_path]
    key = np.zeros(len(codes), dtype=np.int64)
    for lag in range(order):  # digit `lag` holds the channel `lag` touches back (0 = none)
        back = np.where(position >= lag, codes[np.maximum(np.arange(len(codes)) - lag, 0)] + 1, 0)
        key += back * base**lag
    state, unique_keys = pd.factorize(key)
    state = state.astype(np.int64) + 1
    digits = (unique_keys[:, None] // base ** np.arange(order)[None, :]) % base
    rows, lags = np.nonzero(digits)
    membership = sp.csc_matrix(
        (np.ones(len(rows)), (rows + 1, digits[rows, lags] - 1)), shape=(len(unique_keys) + 1, n)
    )
    membership.data[:] = 1.0  # a channel twice in a tuple still counts once
    lengths = journeys.lengths
    nonempty = lengths > 0
    inner = position > 0
    edge_from = np.r_[np.full(nonempty.sum(), START), state[np.flatnonzero(inner) - 1]]
    edge_to = np.r_[state[offsets[:-1][nonempty]], state[inner]]
    edge_path = np.r_[np.flatnonzero(nonempty), touch_path[inner]]
    last_state = np.full(journeys.n_paths, START, dtype=np.int64)
    last_state[nonempty] = state[offsets[1:][nonempty] - 1]
    return ChainStructure(
        len(unique_keys) + 1, membership, edge_from, edge_to, edge_path, last_state
    )


def transition_matrices(
    chain: ChainStructure, conversions: np.ndarray, nulls: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray]:
    """(Q among transient states, r = probability of converting next) from journey counts."""
    s = chain.n_states
    weight = conversions + nulls
    rows = np.r_[chain.edge_from, chain.last_state, chain.last_state]
    cols = np.r_[chain.edge_to, np.full(len(conversions), s), np.full(len(nulls), s + 1)]
    data = np.r_[weight[chain.edge_path], conversions, nulls]
    counts = sp.csr_matrix((data, (rows, cols)), shape=(s, s + 2))
    out = np.asarray(counts.sum(axis=1)).ravel()
    # a state no resample reaches has no outgoing count: let it absorb into null
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    probabilities = sp.diags(scale) @ counts
    probabilities = probabilities.tocsc()
    q = probabilities[:, :s].tocsr()
    r = probabilities[:, s].toarray().ravel()
    return q, r


def conversion_probability(q: sp.csr_matrix, r: np.ndarray, keep: np.ndarray) -> float:
    """P(absorbed in conversion | start) when states outside `keep` go straight to null."""
    index = np.flatnonzero(keep)
    system = sp.identity(len(index), format="csc") - q[index][:, index].tocsc()
    x = splu(system).solve(r[index])
    return float(x[np.searchsorted(index, START)])


def removal_effects(
    chain: ChainStructure, conversions: np.ndarray, nulls: np.ndarray
) -> tuple[float, np.ndarray]:
    """(P(conversion) of the full chain, removal effect of every channel)."""
    q, r = transition_matrices(chain, conversions, nulls)
    everything = np.ones(chain.n_states, dtype=bool)
    p_full = conversion_probability(q, r, everything)
    n_channels = chain.membership.shape[1]
    effects = np.zeros(n_channels)
    if p_full <= 0:
        return p_full, effects
    indptr, indices = chain.membership.indptr, chain.membership.indices
    for c in range(n_channels):
        keep = everything.copy()
        keep[indices[indptr[c] : indptr[c + 1]]] = False
        effects[c] = 1.0 - conversion_probability(q, r, keep) / p_full
    return p_full, effects
