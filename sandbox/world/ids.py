"""Identifier formats of the emulated systems: Salesforce Ids, ad platform ids, click ids."""

from __future__ import annotations

import numpy as np

_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_URLSAFE = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8
)
_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", np.uint8)
# Salesforce key prefixes of the objects the world holds.
SF_PREFIX = {
    "User": "005",
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Campaign": "701",
    "CampaignMember": "00v",
    "Case": "500",
    "Subscription__c": "a0X",
    "Product_Usage__c": "a0Y",
}
_POD = b"8d0"  # instance code and reserved character of a 15-character Id


def _chars_to_str(chars: np.ndarray) -> np.ndarray:
    """(n, width) uint8 matrix of ASCII codes → numpy unicode array."""
    width = chars.shape[1]
    return np.ascontiguousarray(chars).view(f"S{width}").ravel().astype(f"U{width}")


def _base62(values: np.ndarray, width: int) -> np.ndarray:
    digits = np.empty((len(values), width), np.uint8)
    rest = values.astype(np.int64)
    for position in range(width - 1, -1, -1):
        digits[:, position] = _BASE62[rest % 62]
        rest //= 62
    return digits


def salesforce_ids(sobject: str, n: int, first: int = 1) -> np.ndarray:
    """n sequential 18-character Salesforce Ids (15-char Id + case-safe checksum suffix)."""
    prefix = np.frombuffer(SF_PREFIX[sobject].encode() + _POD, np.uint8)
    body = _base62(np.arange(first, first + n), 9)
    id15 = np.hstack([np.broadcast_to(prefix, (n, 6)), body])
    upper = ((id15 >= ord("A")) & (id15 <= ord("Z"))).astype(np.int64)
    weights = 1 << np.arange(5)
    suffix = np.stack(
        [_SUFFIX[(upper[:, 5 * k : 5 * k + 5] * weights).sum(axis=1)] for k in range(3)], axis=1
    )
    return _chars_to_str(np.hstack([id15, suffix]))


def increasing_ids(rng: np.random.Generator, n: int, low: int, step: int = 1_000) -> np.ndarray:
    """n strictly increasing int64 ids starting near `low` (ad platform object ids)."""
    return low + np.cumsum(rng.integers(1, step, size=n, dtype=np.int64))


def click_tokens(rng: np.random.Generator, n: int, prefix: str, length: int) -> np.ndarray:
    """Random URL-safe tokens shaped like gclid / fbclid values."""
    head = np.frombuffer(prefix.encode(), np.uint8)
    body = _URLSAFE[rng.integers(0, 64, size=(n, length))]
    return _chars_to_str(np.hstack([np.broadcast_to(head, (n, len(head))), body]))


def hex_tokens(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """Random lowercase hex strings (app user ids, transaction ids)."""
    alphabet = np.frombuffer(b"0123456789abcdef", np.uint8)
    return _chars_to_str(alphabet[rng.integers(0, 16, size=(n, length))])
