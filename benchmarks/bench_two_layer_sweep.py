"""Benchmark of the batched training of randomly pruned two-layer networks (claims P1–P4).

Measures, in one run, on a sweep of --fractions pruning fractions × --seeds seeds (one data set per seed):
  (a) the float64 matrix-multiply rate of NumPy's BLAS, on one thread (as the sweep runs it) and on all,
      for the sweep's main product (fractions·2m × d) @ (d × (n + 1));
  (b) the batched sweep (`simulations.pruned_two_layer.train`, every network at once) for --steps steps:
      its useful work is two such products per network and step, 8·m·(n + 1)·d FLOPs; achieved GFLOP/s
      and the fraction of (a) it reaches; the wall time against the 2-minute target of the quick profile;
  (c) a loop over networks (one `train` call per network), timed on --loop-networks networks and scaled,
      and the speed-up of (b) over it (target ≥ 5);
  (d) the torch backend (float64, TF32 off) on the CPU and, when present, CUDA: time and the largest
      difference from (b)'s final weights (identical initialisations, masks and data).

    python benchmarks/bench_two_layer_sweep.py --n 100 --d 500 --m 20 --fractions 8 --seeds 5 --steps 200
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import matmul_rate, positive_int, print_machine, print_table, timed  # noqa: E402

from simulations import pruned_two_layer as net  # noqa: E402
from simulations.patch_data import sample_patch_data, signal_vector  # noqa: E402

TARGET_SPEEDUP_OVER_LOOP = 5.0
TARGET_QUICK_SECONDS = 120.0


def problem(args):
    rng = np.random.default_rng(args.seed)
    mu = signal_vector(args.d, 2.0)
    y, xi = sample_patch_data(args.n, mu, 1.0, rng, batch=(args.seeds,))
    W0 = net.initial_weights((args.seeds, 1), args.m, args.d, 0.01, rng)
    rhos = np.linspace(0.0, 0.9, args.fractions)
    masks = net.random_masks(np.broadcast_to(rhos, (args.seeds, args.fractions)), args.m, args.d, rng)
    return W0, masks, mu, y, xi


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=positive_int, default=100, help="training examples (default 100)")
    parser.add_argument("--d", type=positive_int, default=500, help="dimension of a patch (default 500)")
    parser.add_argument("--m", type=positive_int, default=20, help="neurons per output sign (default 20)")
    parser.add_argument("--fractions", type=positive_int, default=8, help="pruning fractions (default 8)")
    parser.add_argument("--seeds", type=positive_int, default=5, help="seeds, one data set each (default 5)")
    parser.add_argument("--steps", type=positive_int, default=200, help="gradient steps (default 200)")
    parser.add_argument("--repeats", type=positive_int, default=2, help="timed repetitions (default 2)")
    parser.add_argument("--loop-networks", type=positive_int, default=4,
                        help="networks timed in the loop, scaled to the sweep (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n, d, m, networks = args.n, args.d, args.m, args.fractions * args.seeds
    W0, masks, mu, y, xi = problem(args)
    lr = 0.5 * n * m / d

    def batched(ops=net.NUMPY_OPS):
        return net.train(W0, masks, mu, y, xi, lr=lr, steps=args.steps, records=1, ops=ops)

    flops = 8.0 * networks * m * (n + 1) * d * args.steps
    sweep_min, sweep_median, reference = timed(batched, args.repeats)
    with threadpool_limits(1):
        _, rate_one = matmul_rate(args.fractions * 2 * m, d, n + 1, max(args.repeats, 5), args.seed)
    _, rate_all = matmul_rate(args.fractions * 2 * m, d, n + 1, max(args.repeats, 5), args.seed)

    subset = min(args.loop_networks, networks)
    pairs = [(index // args.fractions, index % args.fractions) for index in range(subset)]
    loop_min, loop_median, _ = timed(lambda: [net.train(W0[s, 0], masks[s, r], mu, y[s], xi[s], lr=lr,
                                                        steps=args.steps, records=1) for s, r in pairs], args.repeats)
    loop_scaled = loop_min * networks / subset

    sweep_rate = flops / sweep_min / 1e9
    speedup = loop_scaled / sweep_min
    print(f"pruned two-layer sweep benchmark: n = {n}, d = {d}, m = {m}, {args.fractions} fractions × {args.seeds} "
          f"seeds = {networks} networks, {args.steps} steps, repeats = {args.repeats} (times: min, median)")
    print_machine()
    print()
    rows = [
        ("(a) numpy matmul, float64, 1 thread", f"{args.fractions * 2 * m}x{d} @ {d}x{n + 1}", "",
         f"{rate_one:.1f} GFLOP/s", "the sweep's BLAS setting"),
        ("    numpy matmul, float64, all threads", "", "", f"{rate_all:.1f} GFLOP/s", ""),
        ("(b) batched sweep (numpy)", f"{networks} networks", f"{sweep_min:.2f} s (median {sweep_median:.2f})",
         f"{sweep_rate:.1f} GFLOP/s", f"{sweep_rate / rate_one:.2f} of (a) 1 thread"),
        ("    against the quick-profile target", "", "", f"{sweep_min:.1f} s",
         f"target < {TARGET_QUICK_SECONDS:g} s: {'met' if sweep_min < TARGET_QUICK_SECONDS else 'NOT met'}"),
        ("(c) loop over networks", f"{subset} networks, x{networks / subset:g}", f"{loop_scaled:.2f} s (scaled)",
         f"{flops / loop_scaled / 1e9:.1f} GFLOP/s", f"median {loop_median:.2f} s for the subset"),
        ("    speed-up (c)/(b)", "", "", f"{speedup:.1f}x",
         f"target >= {TARGET_SPEEDUP_OVER_LOOP:g}: {'met' if speedup >= TARGET_SPEEDUP_OVER_LOOP else 'NOT met'}"),
    ]
    try:
        import torch

        from simulations.pruned_two_layer_torch import torch_ops
    except ImportError:
        rows.append(("(d) torch", "not installed", "", "", "pip install 'sparsetheory[torch]'"))
    else:
        for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
            ops = torch_ops(device)
            torch_min, torch_median, result = timed(lambda ops=ops: batched(ops), args.repeats)
            difference = np.max(np.abs(result["weights"] - reference["weights"]))
            rows.append((f"(d) torch {device}, float64", f"{networks} networks",
                         f"{torch_min:.2f} s (median {torch_median:.2f})", f"{flops / torch_min / 1e9:.1f} GFLOP/s",
                         f"max |W_torch − W_numpy| = {difference:.2e}"))
    print_table(("measure", "work", "time", "rate / value", "note"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
