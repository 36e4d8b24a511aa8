"""Peak resident memory of Monte Carlo and exact enumeration against the bound max_bytes.

Each case runs in a fresh Python process (so cases do not contaminate each other): it builds its
inputs, calls the function once at a tiny size and multiplies two 512 × 512 matrices (NumPy's and
BLAS's lazy set-up and work buffers, which do not grow with the case), reads its resident size VmRSS
(/proc/self/status), resets the high-water mark to it (/proc/self/clear_refs), runs the case and reads
the high-water mark VmHWM (ru_maxrss off Linux, where the set-up's own peak may then dominate). It also
reports the peak of the arrays NumPy allocated during the call (tracemalloc, which NumPy reports to):
the exact live bytes, which max_bytes bounds; the resident growth adds what NumPy does not allocate
(BLAS's thread buffers, freed heap memory the allocator keeps).
The table shows the unchunked size of the intermediates (count × bytes per mask or point), what the
function returns, both high-water marks and their growth, which max_bytes bounds (the bound covers the
intermediates; the inputs and the returned arrays come on top).

    python benchmarks/bench_memory.py            # all cases, up to 10^7 masks and d = 24
    python benchmarks/bench_memory.py --small    # the same cases at a tenth of the counts
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import load_average, peak_rss_mib, print_machine, print_table  # noqa: E402

MIB = 2**20
N, D, LAWS = 100, 50, 4


def status_mib(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak) of this process from /proc; the peak elsewhere."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field)) / 2**10
    except (OSError, StopIteration):
        return peak_rss_mib()


def _case(name: str, count: int, max_bytes: int):
    """(call(count), bytes per mask or point of the unchunked intermediates, returned bytes) of a case."""
    from simulations import linear, stochastic_masks

    rng = np.random.default_rng(0)
    if name in ("enumerate_mask_loss", "exact_empirical_risk", "true_stochastic_risk"):
        d, n = count, (20 if name == "enumerate_mask_loss" else N)
    else:
        d, n = D, N
    X, w = rng.standard_normal((n, d)), rng.standard_normal(d)
    y, labels, keep = rng.standard_normal(n), np.where(rng.random(n) < 0.5, -1.0, 1.0), rng.uniform(0.1, 0.9, d)
    cases = {
        "monte_carlo_mask_loss": (lambda k: linear.monte_carlo_mask_loss(X, y, w, keep, k, 0, max_bytes=max_bytes),
                                  linear.monte_carlo_row_bytes(d, n), 16),
        "mc_empirical_risk": (lambda k: stochastic_masks.mc_empirical_risk(X, labels, w, keep, k, 0,
                                                                           max_bytes=max_bytes),
                              stochastic_masks.risk_row_bytes(d, n) + 9 * d, 8 * count),
        "enumerate_mask_loss": (lambda k: linear.enumerate_mask_loss(X[:, :k], y, w[:k], keep[:k], max_bytes=max_bytes),
                                linear.enumeration_row_bytes(d, n), 8),
        "exact_empirical_risk": (lambda k: stochastic_masks.exact_empirical_risk(X[:, :k], labels, w[:k], keep[:k],
                                                                                 max_bytes=max_bytes),
                                 stochastic_masks.risk_row_bytes(d, n) + 8 * d, 8),
        "true_stochastic_risk": (lambda k: stochastic_masks.true_stochastic_risk(
            w[:k], np.tile(keep[:k], (LAWS, 1)), np.ones(k), 1.0, max_bytes=max_bytes), 8 * (3 * d + 8 * LAWS), 8 * LAWS),
    }
    return cases[name]


def reset_high_water_mark() -> None:
    """VmHWM := VmRSS (Linux ≥ 4.0), so the peak read after the case is the case's own."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def child(name: str, count: int, max_bytes: int) -> None:
    call, row_bytes, returned = _case(name, count, max_bytes)
    call(2)
    warm = np.ones((512, 512))
    np.matmul(warm, warm)  # touches BLAS's fixed work buffers, so they count as resident before the call
    del warm
    reset_high_water_mark()
    before = status_mib("VmRSS")
    tracemalloc.start()
    start = time.perf_counter()
    call(count)
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    masks = 2**count if name in ("enumerate_mask_loss", "exact_empirical_risk", "true_stochastic_risk") else count
    print(json.dumps({"before": before, "after": status_mib("VmHWM"), "traced": traced, "seconds": seconds,
                      "unchunked": masks * row_bytes, "returned": returned, "masks": masks}))


CASES = [  # (function, samples or d, max_bytes)
    ("monte_carlo_mask_loss", 10**5, 256 * MIB),
    ("monte_carlo_mask_loss", 10**6, 256 * MIB),
    ("monte_carlo_mask_loss", 10**7, 256 * MIB),
    ("monte_carlo_mask_loss", 10**6, 1 * MIB),
    ("mc_empirical_risk", 10**6, 16 * MIB),
    ("mc_empirical_risk", 10**6, 64 * MIB),
    ("mc_empirical_risk", 10**6, 256 * MIB),
    ("mc_empirical_risk", 10**7, 256 * MIB),
    ("enumerate_mask_loss", 20, 1 * MIB),
    ("enumerate_mask_loss", 24, 256 * MIB),
    ("exact_empirical_risk", 20, 16 * MIB),
    ("exact_empirical_risk", 20, 256 * MIB),
    ("true_stochastic_risk", 20, 64 * MIB),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the Monte Carlo counts, d − 3 for enumeration")
    parser.add_argument("--child", nargs=3, metavar=("FUNCTION", "COUNT", "MAX_BYTES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return 0

    print(f"peak resident memory benchmark: X is {N}×{D} (Monte Carlo), {N}×d (exact_empirical_risk, "
          f"true_stochastic_risk with {LAWS} laws), 20×d (enumerate_mask_loss); one fresh process per case")
    print_machine()
    print()
    rows = []
    for name, count, max_bytes in CASES:
        if args.small:
            count = count // 10 if count > 100 else count - 3
        done = subprocess.run([sys.executable, __file__, "--child", name, str(count), str(max_bytes)],
                              capture_output=True, text=True, check=True, env=os.environ | {"PYTHONHASHSEED": "0"})
        result = json.loads(done.stdout)
        growth = result["after"] - result["before"]
        allowed = (max_bytes + result["returned"]) / MIB
        size = f"{result['masks']:.0e} masks" if count > 100 else f"d = {count}, 2^{count} masks"
        rows.append((name, size, f"{max_bytes / MIB:g}", f"{result['unchunked'] / MIB:,.0f}",
                     f"{result['returned'] / MIB:.1f}", f"{result['traced']:.1f}",
                     "yes" if result["traced"] <= allowed else "NO", f"{result['before']:.0f}",
                     f"{result['after']:.0f}", f"{growth:.1f}", f"{growth - allowed:+.1f}", f"{result['seconds']:.1f}"))
    print_table(("function", "size", "max_bytes MiB", "unchunked MiB", "returned MiB", "traced peak MiB",
                 "traced <= bound + returned", "RSS at start MiB", "peak RSS MiB", "RSS growth MiB",
                 "growth - (bound + returned) MiB", "seconds"), rows)
    print(f"\nload average at the end (1, 5, 15 min): {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
