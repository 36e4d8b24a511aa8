"""Benchmark of simulations.linear.monte_carlo_mask_loss against the machine's matrix-multiply rate.

Measures, in one run:
  (a) the float64 matrix-multiply rate of NumPy's BLAS on a product of the shape the Monte Carlo
      estimator computes, (chunk × d) @ (d × n), chunk = the masks it evaluates at once;
  (b) monte_carlo_mask_loss at the given size: its useful work is the product (masks⊙w)·Xᵀ,
      2·samples·d·n FLOPs; achieved GFLOP/s and the ratio to (a) (target ≥ 0.5);
  (c) a per-sample Python loop (one mask at a time, a matrix–vector product each), timed on a subset
      of the samples and scaled, and the speed-up of (b) over it (target ≥ 5);
  (d) the peak resident set size (resource.getrusage), after (b) alone and at the end.

Times are the minimum over --repeats runs (the least disturbed run); the median is printed beside it.

    python benchmarks/bench_monte_carlo.py --n 1000 --d 1000 --samples 10000 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import peak_rss_mib, positive_int, print_machine, print_table, timed  # noqa: E402

from simulations.linear import CACHE_FRIENDLY_ROWS, monte_carlo_mask_loss, monte_carlo_row_bytes  # noqa: E402
from simulations.memory import rows_per_chunk  # noqa: E402

TARGET_RATIO_TO_MATMUL = 0.5
TARGET_SPEEDUP_OVER_LOOP = 5.0


def loop_estimate(X, y, w, keep, n_samples, rng):
    """The same estimator, one mask at a time (Welford's running mean and variance)."""
    n, d = X.shape
    mean, m2 = 0.0, 0.0
    for count in range(1, n_samples + 1):
        mask = rng.random(d) < keep
        residual = y - X @ (mask * w)
        loss = residual @ residual / n
        delta = loss - mean
        mean += delta / count
        m2 += delta * (loss - mean)
    return mean, np.sqrt(m2 / (n_samples - 1) / n_samples)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=positive_int, default=1000, help="rows of X (default 1000)")
    parser.add_argument("--d", type=positive_int, default=1000, help="columns of X (default 1000)")
    parser.add_argument("--samples", type=positive_int, default=10_000, help="Monte Carlo masks (default 10^4)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--loop-samples", type=positive_int, default=500,
                        help="masks timed in the per-sample loop, scaled to --samples (default 500)")
    parser.add_argument("--keep", type=float, default=0.5, help="keep probability of every weight (default 0.5)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.samples < 2:
        parser.error("--samples must be at least 2")
    n, d, samples = args.n, args.d, args.samples

    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    w = rng.standard_normal(d)
    keep = np.full(d, args.keep)
    rss_setup = peak_rss_mib()

    # (b) first, so that the peak RSS right after it is the estimator's own.
    flops = 2.0 * samples * d * n
    mc_min, mc_median, (estimate, se) = timed(
        lambda: monte_carlo_mask_loss(X, y, w, keep, samples, args.seed), args.repeats)
    rss_after_mc = peak_rss_mib()

    # (a) the BLAS rate on the estimator's product shape: (masks⊙w) (chunk × d) times Xᵀ (d × n).
    chunk = min(samples, rows_per_chunk(monte_carlo_row_bytes(d, n), None, CACHE_FRIENDLY_ROWS))  # as the estimator
    A = rng.standard_normal((chunk, d))
    mm_min, mm_median, _ = timed(lambda: A @ X.T, args.repeats)
    matmul_flops = 2.0 * chunk * d * n
    del A

    # (c) the per-sample loop on a subset, scaled to `samples`.
    subset = min(args.loop_samples, samples)
    loop_min, loop_median, _ = timed(
        lambda: loop_estimate(X, y, w, keep, subset, np.random.default_rng(args.seed)), args.repeats)
    loop_scaled = loop_min * samples / subset
    rss_end = peak_rss_mib()

    matmul_rate = matmul_flops / mm_min / 1e9
    mc_rate = flops / mc_min / 1e9
    ratio = mc_rate / matmul_rate
    speedup = loop_scaled / mc_min
    unchunked_mib = samples * monte_carlo_row_bytes(d, n) / 2**20
    chunk_mib = chunk * monte_carlo_row_bytes(d, n) / 2**20

    print(f"monte_carlo_mask_loss benchmark: n = {n}, d = {d}, samples = {samples}, keep = {args.keep}, "
          f"repeats = {args.repeats} (times: min, median)")
    print_machine()
    print("(timings on a loaded machine vary; the per-sample loop's matrix-vector products suffer most)")
    print(f"estimate {estimate:.6g} ± {se:.3g} (se)")
    print()
    rows = [
        ("(a) numpy matmul, float64", f"{chunk}x{d} @ {d}x{n}",
         f"{mm_min:.4f} s (median {mm_median:.4f})", f"{matmul_rate:.1f} GFLOP/s", ""),
        ("(b) monte_carlo_mask_loss", f"{samples} masks",
         f"{mc_min:.4f} s (median {mc_median:.4f})", f"{mc_rate:.1f} GFLOP/s", ""),
        ("    ratio (b)/(a)", "", "", f"{ratio:.2f}",
         f"target >= {TARGET_RATIO_TO_MATMUL}: {'met' if ratio >= TARGET_RATIO_TO_MATMUL else 'NOT met'}"),
        ("(c) per-sample Python loop", f"{subset} masks, x{samples / subset:g}",
         f"{loop_scaled:.3f} s (scaled)", f"{flops / loop_scaled / 1e9:.1f} GFLOP/s", ""),
        ("    speed-up (c)/(b)", "", "", f"{speedup:.1f}x",
         f"target >= {TARGET_SPEEDUP_OVER_LOOP:g}: {'met' if speedup >= TARGET_SPEEDUP_OVER_LOOP else 'NOT met'}"),
        ("(d) peak RSS after set-up", "", "", f"{rss_setup:.0f} MiB", ""),
        ("    peak RSS after (b)", "", "", f"{rss_after_mc:.0f} MiB",
         f"chunks of {chunk} masks: <= {chunk_mib:.0f} MiB (unchunked {unchunked_mib:.0f} MiB)"),
        ("    peak RSS at the end", "", "", f"{rss_end:.0f} MiB", ""),
    ]
    header = ("measure", "work", "time", "rate / value", "note")
    print_table(header, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
