"""Benchmark of simulations.linear.enumerate_mask_loss (exact enumeration of all 2^d masks).

Measures, in one run:
  (a) the machine's float64 matrix-multiply rate: a --square³ product, and the product a naive
      enumeration computes, (chunk × d) @ (d × n) with chunk = CACHE_FRIENDLY_ROWS;
  (b) enumerate_mask_loss at the given size, with its rate in the naive product's FLOPs,
      2·2^d·d·n (the work of evaluating every mask's residual y − X(m⊙w) as its own product), and in
      the FLOPs it executes: it splits masks into low and high bits, so a mask costs a subtraction
      and a squared norm, about 3n FLOPs, plus the tables of the low and high parts;
  (c) the per-mask Python loop (binary expansion, P(m) as a product, one matrix–vector product per
      mask), timed on --loop-masks masks and scaled to 2^d, and the speed-up of (b) over it;
  (d) the value against the closed form theory.masks.expected_mask_loss, and the peak resident set
      size of this process (the intermediates are bounded by max_bytes; see bench_memory.py for
      fresh-process measurements up to d = MAX_ENUMERATION_D).

Times are the minimum over --repeats runs (the least disturbed run); the median is printed beside it.

    python benchmarks/bench_enumeration.py --n 100 --d 20 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import matmul_rate, peak_rss_mib, positive_int, print_machine, print_table, timed  # noqa: E402

from simulations.linear import CACHE_FRIENDLY_ROWS, MAX_ENUMERATION_D, enumerate_mask_loss  # noqa: E402
from theory.masks import expected_mask_loss  # noqa: E402


def loop_enumeration(X, y, w, keep, masks: range) -> float:
    """Σ P(m)·L(m⊙w) over the masks with the given codes, one mask at a time."""
    n, d = X.shape
    bits = np.arange(d)
    total = 0.0
    for code in masks:
        mask = (code >> bits) & 1
        probability = np.prod(np.where(mask == 1, keep, 1 - keep))
        residual = y - X @ (mask * w)
        total += probability * (residual @ residual) / n
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=positive_int, default=100, help="rows of X (default 100)")
    parser.add_argument("--d", type=positive_int, default=20, help=f"columns of X, ≤ {MAX_ENUMERATION_D} (default 20)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--loop-masks", type=positive_int, default=20_000,
                        help="masks timed in the per-mask loop, scaled to 2^d (default 20000)")
    parser.add_argument("--square", type=positive_int, default=2000, help="size of the square matmul (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.d > MAX_ENUMERATION_D:
        parser.error(f"--d must be at most {MAX_ENUMERATION_D}")
    n, d, masks = args.n, args.d, 2**args.d

    rng = np.random.default_rng(args.seed)
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d)
    keep = rng.uniform(0.1, 0.9, d)
    rss_setup = peak_rss_mib()

    enum_min, enum_median, value = timed(lambda: enumerate_mask_loss(X, y, w, keep), args.repeats)
    rss_after = peak_rss_mib()
    square_s, square_rate = matmul_rate(args.square, args.square, args.square, args.repeats, args.seed)
    chunk = min(masks, CACHE_FRIENDLY_ROWS)
    shape_s, shape_rate = matmul_rate(chunk, d, n, max(args.repeats, 10), args.seed)
    subset = min(args.loop_masks, masks)
    loop_min, loop_median, _ = timed(lambda: loop_enumeration(X, y, w, keep, range(subset)), args.repeats)
    loop_scaled = loop_min * masks / subset

    naive_flops = 2.0 * masks * d * n
    executed_flops = 3.0 * masks * n
    naive_rate = naive_flops / enum_min / 1e9
    closed = expected_mask_loss(X, y, w, keep)

    print(f"enumerate_mask_loss benchmark: n = {n}, d = {d} ({masks} masks), repeats = {args.repeats} "
          f"(times: min, median)")
    print_machine()
    print(f"value {value:.15g}, closed form {closed:.15g}, |difference| {abs(value - closed):.2e}")
    print()
    rows = [
        ("(a) numpy matmul, float64", f"{args.square}^3", f"{square_s:.4f} s", f"{square_rate:.1f} GFLOP/s", "machine rate"),
        ("    numpy matmul, naive shape", f"{chunk}x{d} @ {d}x{n}", f"{shape_s * 1e3:.3f} ms",
         f"{shape_rate:.1f} GFLOP/s", "the naive enumeration's product"),
        ("(b) enumerate_mask_loss", f"{masks} masks", f"{enum_min:.4f} s (median {enum_median:.4f})",
         f"{naive_rate:.1f} GFLOP/s", "in naive FLOPs 2·2^d·d·n"),
        ("    ratio to the machine rate", "", "", f"{naive_rate / square_rate:.2f}", ""),
        ("    ratio to the naive shape's rate", "", "", f"{naive_rate / shape_rate:.2f}", ""),
        ("    executed FLOPs", "", "", f"{executed_flops / enum_min / 1e9:.1f} GFLOP/s",
         f"~3n per mask; ratio to machine {executed_flops / enum_min / 1e9 / square_rate:.2f}"),
        ("(c) per-mask Python loop", f"{subset} masks, x{masks / subset:g}",
         f"{loop_scaled:.2f} s (scaled; median {loop_median * masks / subset:.2f})",
         f"{naive_flops / loop_scaled / 1e9:.2f} GFLOP/s", ""),
        ("    speed-up (c)/(b)", "", "", f"{loop_scaled / enum_min:.0f}x", ""),
        ("(d) peak RSS after set-up", "", "", f"{rss_setup:.0f} MiB", ""),
        ("    peak RSS after (b)", "", "", f"{rss_after:.0f} MiB",
         f"unchunked intermediates would be {masks * 8 * (3 * d + 2 * n) / 2**20:.0f} MiB"),
    ]
    print_table(("measure", "work", "time", "rate / value", "note"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
