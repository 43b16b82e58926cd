"""Markov chain attribution of order k, solved exactly as an absorbing chain (no simulation).

Transient states are start and the tuples of a journey's last k channels (shorter tuples at the
start of a journey); conversion and null absorb. P(conversion) is the absorption probability from
start, x = (I - Q)^-1 r. Removing a channel sends every state that holds it to null, i.e. fixes
x = 0 there: its P(conversion) solves the system with those rows of I - Q made identity rows.
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
#: up to this much work ((removals + 1) x states^3) all systems are one batched dense solve
DENSE_WORK = 5e7
#: key spaces up to this size (or 4 per touch) are counted by table lookup instead of hashing
TABLE_KEYS = 1 << 20


@dataclass(frozen=True)
class ChainStructure:
    """Which transition every touch makes: the weights come later, so resamples reuse it."""

    n_states: int  # transient states including start (index 0)
    holds: np.ndarray  # n_states x n_channels bool: the state's tuple holds the channel
    edge_from: np.ndarray  # per distinct transition between transient states
    edge_to: np.ndarray
    touch_edge: np.ndarray  # the transition into every touch, a key in [0, edge_space)
    edge_space: int
    edge_slots: np.ndarray | None  # the keys of the transitions in edge_from; None: all
    lengths: np.ndarray  # touches per journey: a journey's count weighs each of its touches
    last_state: np.ndarray  # per journey; START for an empty journey


def _grams(journeys: Journeys, order: int) -> np.ndarray:
    """Key of every touch's last order + 1 channels: digit `lag` (base n + 1) holds the channel
    `lag` touches back, 0 before the journey's start. It names the touch's transition: the
    state before is key // base, the state after key % base^order."""
    base = len(journeys.channels) + 1
    codes, lengths = journeys.codes, journeys.lengths
    # Horner over the lags in one array as long as all touches (big temporaries cost page
    # faults), every digit code + 1 (1 before the first touch) ...
    key = np.empty(len(codes), dtype=np.int64)  # (np.zeros would map fresh pages)
    key[:order] = 0
    key[order:] = codes[: len(codes) - order]
    for lag in range(order - 1, -1, -1):
        key *= base
        key[lag:] += codes[: len(codes) - lag]
    everything = sum(base**lag for lag in range(order + 1))
    key += everything
    # ... then take back the digits a journey's first touches got from the touches before it:
    # those of the key just before the journey's start, shifted
    nonempty = lengths > 0
    starts, lengths = journeys.offsets[:-1][nonempty], lengths[nonempty]
    before = key[np.maximum(starts - 1, 0)]
    before[starts == 0] = everything
    for ahead in range(min(order, int(lengths.max(initial=0)))):
        reach = lengths > ahead
        wrong = before[reach] % base ** (order - ahead)  # its digits that touch `ahead` got
        key[starts[reach] + ahead] -= wrong * base ** (ahead + 1)
    return key


def _distinct(keys: np.ndarray, size: int) -> np.ndarray:
    """The sorted distinct values of keys in [0, size)."""
    if size <= max(4 * len(keys), TABLE_KEYS):  # a lookup table beats hashing
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen)
    return np.sort(pd.unique(keys))


def _positions(distinct: np.ndarray, keys: np.ndarray, size: int) -> np.ndarray:
    """Where every key sits in `distinct` (sorted, holding them all; keys in [0, size))."""
    if size <= 4 * len(keys):
        table = np.zeros(size, dtype=np.int64)
        table[distinct] = np.arange(len(distinct))
        return table[keys]
    return np.searchsorted(distinct, keys)


def build_structure(journeys: Journeys, order: int) -> ChainStructure:
    """Map every touch to its transition (its last order + 1 channels), no loops."""
    if order < 1:
        raise AttributionError(f"order must be 1 or more, got {order}")
    n = len(journeys.channels)
    base = n + 1
    if (order + 1) * np.log2(base) > 62:
        raise AttributionError(f"order {order} with {n} channels overflows the state keys")
    grams = _grams(journeys, order)
    touch_edge, space, state_space = grams, base ** (order + 1), base**order
    edges = _distinct(grams, space)
    slots: np.ndarray | None = edges
    if space > max(4 * len(grams), TABLE_KEYS):  # count compacted keys, not the space
        touch_edge, space, slots = np.searchsorted(edges, grams), len(edges), None
    state_keys = np.unique(np.r_[START, edges % state_space])  # start's key is 0
    digits = (state_keys[:, None] // base ** np.arange(order)[None, :]) % base
    holds = np.zeros((len(state_keys), base), dtype=bool)
    holds[np.arange(len(state_keys))[:, None], digits] = True
    lengths = journeys.lengths
    nonempty = lengths > 0
    last_state = np.full(journeys.n_paths, START, dtype=np.int64)
    last_gram = grams[journeys.offsets[1:][nonempty] - 1]
    last_state[nonempty] = _positions(state_keys, last_gram % state_space, state_space)
    return ChainStructure(
        n_states=len(state_keys),
        holds=holds[:, 1:],
        edge_from=_positions(state_keys, edges // base, state_space),
        edge_to=_positions(state_keys, edges % state_space, state_space),
        touch_edge=touch_edge,
        edge_space=space,
        edge_slots=slots,
        lengths=lengths,
        last_state=last_state,
    )


def transition_probabilities(
    chain: ChainStructure, conversions: np.ndarray, nulls: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(probability of every transition edge_from -> edge_to, of converting next from every
    state) from journey counts."""
    s = chain.n_states
    weight = np.repeat(conversions + nulls, chain.lengths)
    moves = np.bincount(chain.touch_edge, weights=weight, minlength=chain.edge_space)
    if chain.edge_slots is not None:
        moves = moves[chain.edge_slots]
    converted = np.bincount(chain.last_state, weights=conversions, minlength=s)
    out = (
        np.bincount(chain.edge_from, weights=moves, minlength=s)
        + converted
        + np.bincount(chain.last_state, weights=nulls, minlength=s)
    )
    # a state no resample reaches has no outgoing count: let it absorb into null
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    return moves * scale[chain.edge_from], converted * scale


def _removed(chain: ChainStructure) -> np.ndarray:
    """(1 + n_channels) x n_states: row 0 removes nothing, row 1 + c the states holding c."""
    return np.r_[np.zeros((1, chain.n_states), dtype=bool), chain.holds.T]


def _dense_probabilities(chain: ChainStructure, moves: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(conversion) of the full chain and after every removal: one batched dense solve."""
    s = chain.n_states
    system = np.eye(s)
    system[chain.edge_from, chain.edge_to] -= moves  # the transitions are distinct pairs
    removed = _removed(chain)
    systems = np.broadcast_to(system, (len(removed), s, s)).copy()
    systems[removed] = 0.0
    layer, row = np.nonzero(removed)
    systems[layer, row, row] = 1.0
    rhs = np.where(removed, 0.0, r[None, :])
    return np.linalg.solve(systems, rhs[:, :, None])[:, START, 0]


def _sparse_probabilities(chain: ChainStructure, moves: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(conversion) of the full chain and after every removal: one sparse LU each, on the
    states that stay."""
    s = chain.n_states
    q = sp.csr_matrix((moves, (chain.edge_from, chain.edge_to)), shape=(s, s))
    removed = _removed(chain)
    probabilities = np.zeros(len(removed))
    for c, gone in enumerate(removed):
        index = np.flatnonzero(~gone)  # START never goes: it is index[0]
        system = sp.identity(len(index), format="csc") - q[index][:, index].tocsc()
        # states numbered by their tuples' keys fill in about as little as COLAMD's order does,
        # without its ordering pass
        lu = splu(system, permc_spec="NATURAL")
        probabilities[c] = lu.solve(r[index])[START]
    return probabilities


def removal_effects(
    chain: ChainStructure, conversions: np.ndarray, nulls: np.ndarray
) -> tuple[float, np.ndarray]:
    """(P(conversion) of the full chain, removal effect of every channel)."""
    moves, r = transition_probabilities(chain, conversions, nulls)
    work = (chain.holds.shape[1] + 1) * chain.n_states**3
    solve = _dense_probabilities if work <= DENSE_WORK else _sparse_probabilities
    probabilities = solve(chain, moves, r)
    p_full = float(probabilities[0])
    if p_full <= 0:
        return p_full, np.zeros(chain.holds.shape[1])
    return p_full, 1.0 - probabilities[1:] / p_full
