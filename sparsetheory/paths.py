"""Where sparsetheory reads its sources and writes its outputs.

Sources (paper/) come from the checkout the package lives in. Outputs go under the
workspace: $SPARSETHEORY_ROOT if set, else that checkout, else the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def workspace() -> Path:
    env = os.environ.get("SPARSETHEORY_ROOT")
    if env:
        return Path(env)
    if (CHECKOUT / "paper" / "main.tex").exists():
        return CHECKOUT
    return Path.cwd()


def paper_sources() -> Path:
    return CHECKOUT / "paper"


def results_dir() -> Path:
    return workspace() / "results"


def figures_dir() -> Path:
    return workspace() / "build" / "figures"


def paper_dir() -> Path:
    return workspace() / "paper"
