"""The packaged matplotlib style, on the Agg backend (no display, no TeX).

Use `with style(): fig = draw(results); fig.savefig(path)` or call `apply_style()` once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

STYLE = Path(__file__).with_name("sparsetheory.mplstyle")  # shipped as package data (pyproject)


def apply_style() -> None:
    """Make the packaged style the global default."""
    plt.style.use(str(STYLE))


@contextlib.contextmanager
def style():
    """Use the packaged style inside a `with` block."""
    with plt.style.context(str(STYLE)):
        yield
