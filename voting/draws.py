"""Randomness anyone can re-run: seeds, commitments and the draw procedure.

Procedure (stable; changing it changes ``DRAW_PROCEDURE``):

1. When scoring opens, the organisation draws a *seed*: 32 random bytes written as 64
   lowercase hexadecimal characters.  It publishes the *commitment*
   ``"sha256:" + sha256(seed.encode("ascii")).hexdigest()`` and keeps the seed secret.
2. Every random step names a *purpose* (for example ``"tie-break"`` or ``"lottery"``).
3. An ordering of labels for a purpose sorts the labels by the key
   ``sha256(f"{seed}:{purpose}:{label}".encode("utf-8")).hexdigest()``, smallest first
   (labels are unique strings, so a key collision is practically impossible; if one occurred
   the labels' own order decides).
4. A numpy generator for a purpose is ``numpy.random.Generator(numpy.random.PCG64(n))`` where
   ``n = int(sha256(f"{seed}:{purpose}".encode("utf-8")).hexdigest(), 16)``.

The seed is revealed in the decision record, so a third party recomputes the same draws.
The library never draws a seed itself (no I/O, no global random state): the application
draws it with :mod:`secrets`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np

from voting.errors import VotingError

DRAW_PROCEDURE = (
    "Order by sha256(seed:purpose:label) ascending; generators are PCG64 seeded with "
    "int(sha256(seed:purpose)). Commitment = sha256 of the seed's ASCII hex. (grantpanel draws v1)"
)

_SEED_RE = re.compile(r"^[0-9a-f]{64}$")


def check_seed(seed: str) -> str:
    """Return ``seed`` if it is 64 lowercase hex characters; raise VotingError otherwise."""
    if not isinstance(seed, str) or not _SEED_RE.match(seed):
        raise VotingError("a seed must be 64 lowercase hexadecimal characters (32 bytes)")
    return seed


def seed_commitment(seed: str) -> str:
    """The public commitment to ``seed``: ``"sha256:" + hex digest of its ASCII bytes``.

    >>> seed_commitment("0" * 64)[:14]
    'sha256:60e05bd'
    """
    check_seed(seed)
    return "sha256:" + hashlib.sha256(seed.encode("ascii")).hexdigest()


def draw_key(seed: str, purpose: str, label: str) -> str:
    """The hex key that orders ``label`` in the draw for ``purpose``."""
    return hashlib.sha256(f"{seed}:{purpose}:{label}".encode()).hexdigest()


def draw_order(seed: str, purpose: str, labels: Iterable[str]) -> list[str]:
    """``labels`` in draw order for ``purpose`` (smallest key first)."""
    check_seed(seed)
    items = list(labels)
    if len(set(items)) != len(items):
        raise VotingError("labels in a draw must be unique")
    return [lab for _, _, lab in sorted((draw_key(seed, purpose, lab), i, lab) for i, lab in enumerate(items))]


def generator(seed: str, purpose: str) -> np.random.Generator:
    """A numpy Generator determined by ``seed`` and ``purpose`` (see module docstring)."""
    check_seed(seed)
    n = int(hashlib.sha256(f"{seed}:{purpose}".encode()).hexdigest(), 16)
    return np.random.Generator(np.random.PCG64(n))
