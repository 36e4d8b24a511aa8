"""The working-memory bound of chunked Monte Carlo and enumeration, and the chunk size it allows.

Every Monte Carlo over masks and every exact enumeration evaluates its masks in chunks of `rows`
masks; a chunk's intermediates take `row_bytes` per mask, so

    rows = min(cap, max(1, ⌊max_bytes / row_bytes⌋))

keeps them below `max_bytes` (one mask per chunk when a single row is larger) for any number of
masks. The bound covers the intermediates, not the inputs or the returned arrays. `max_bytes=None`
means $SPARSETHEORY_MAX_BYTES when set (read at call time, so a command-line user can set it), else
DEFAULT_MAX_BYTES.
"""

from __future__ import annotations

import os

import numpy as np

DEFAULT_MAX_BYTES = 2 * 2**30
ENVIRONMENT_VARIABLE = "SPARSETHEORY_MAX_BYTES"


def resolve_max_bytes(max_bytes: int | None = None) -> int:
    """`max_bytes` validated as an integer ≥ 1; None → $SPARSETHEORY_MAX_BYTES, else DEFAULT_MAX_BYTES."""
    if max_bytes is None:
        text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
        if not text:
            return DEFAULT_MAX_BYTES
        try:
            max_bytes = int(text)
        except ValueError:
            raise ValueError(f"{ENVIRONMENT_VARIABLE} must be a positive integer number of bytes, "
                             f"got {text!r}") from None
        name = ENVIRONMENT_VARIABLE
    else:
        name = "max_bytes"
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
        raise ValueError(f"{name} must be a positive integer number of bytes or None, got {max_bytes!r}")
    return int(max_bytes)


def rows_per_chunk(row_bytes: int, max_bytes: int | None = None, cap: int | None = None) -> int:
    """Masks per chunk: ⌊max_bytes / row_bytes⌋, at least 1, at most `cap` (a speed limit, when given)."""
    rows = max(1, resolve_max_bytes(max_bytes) // max(1, int(row_bytes)))
    return rows if cap is None else min(rows, int(cap))
