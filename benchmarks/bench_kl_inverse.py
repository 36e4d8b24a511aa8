"""Benchmark of theory.pac_bayes.kl_inverse_upper and the bounds against scalar loops, with accuracy against mpmath.

Measures, in one run:
  (a) kl_inverse_upper on --pairs (q, c) pairs at once (target ≤ 1 s for 10^6 pairs);
  (b) the usual implementation: scipy.optimize.brentq on a scalar kl(q‖p) − c (math.log) over
      [q, 1 − 1e-16], one pair at a time, timed on a subset of --loop-pairs pairs and scaled to --pairs;
      the speed-up of (a) over it;
  (c) the accuracy of both against mpmath on --mpmath-pairs of the subset: the largest absolute error,
      and the largest error in units of the first-order error bound of simulations.pac_bayes_checks
      (kl_inverse_error_bound: ulps of p, eps·(1 + u*) of the tail, the problem's conditioning);
  (d) every PAC-Bayes bound of theory.pac_bayes on --pairs (L̂, KL, n, δ) at once (target ≤ 1 s per 10^6)
      against the usual per-point implementation (the formula with the math module; brentq for the
      kl inverses), timed on the loop's subset and scaled, with the largest difference on the subset.

q is uniform on [0, 1] with a fifth of the pairs log-uniform in [1e-12, 1]; c is log-uniform in
[1e-6, 10] (the range of PAC-Bayes complexities). Times are the minimum over --repeats runs (the least
disturbed run) with the median beside it, and the process's CPU time; on a loaded machine wall times vary.

    python benchmarks/bench_kl_inverse.py --pairs 1000000 --loop-pairs 2000 --mpmath-pairs 200
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import positive_int, print_machine, print_table  # noqa: E402

from simulations.pac_bayes_checks import kl_inverse_error_bound, kl_inverse_reference  # noqa: E402
from theory import pac_bayes  # noqa: E402
from theory.pac_bayes import kl_inverse_upper  # noqa: E402

TARGET_SECONDS_PER_MILLION = 1.0
BRENTQ_XTOL = 1e-15  # absolute tolerance asked of brentq: about what float64 near 1 allows


def timed(function, repeats: int) -> tuple[float, float, float, object]:
    """(minimum, median) wall time and minimum CPU time of this process over `repeats` calls, and the
    last result. CPU time excludes the time other processes hold the cores (it still includes the
    slowdown of sharing caches and hyper-threads)."""
    times, cpu, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(times), statistics.median(times), min(cpu), result


def scalar_kl(q: float, p: float) -> float:
    """kl(q‖p) for one pair with the math module, as a scalar implementation writes it (0 ln 0 = 0)."""
    value = q * math.log(q / p) if q > 0 else 0.0
    return value + ((1 - q) * math.log((1 - q) / (1 - p)) if q < 1 else 0.0)


def brentq_inverse(q: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The scalar loop: p with kl(q‖p) = c by brentq on [q, 1 − 1e-16] for each pair (1 − 1e-16 if none)."""
    out = np.empty(q.size)
    top = 1 - 1e-16
    for i, (qi, ci) in enumerate(zip(q.tolist(), c.tolist())):
        if ci == 0:
            out[i] = qi
        elif scalar_kl(qi, top) <= ci:
            out[i] = top
        else:
            out[i] = brentq(lambda p, qi=qi, ci=ci: scalar_kl(qi, p) - ci, qi, top, xtol=BRENTQ_XTOL,
                            rtol=4 * np.finfo(float).eps, maxiter=200)
    return out


def scalar_complexity(kl: float, n: float, delta: float) -> float:
    return (kl + math.log(2 * math.sqrt(n) / delta)) / n


def scalar_catoni(q: float, kl: float, n: float, delta: float) -> float:
    grid = pac_bayes.CATONI_GRID.tolist()
    c = (kl + math.log(len(grid) / delta)) / n
    return min(math.expm1(-C * q - c) / math.expm1(-C) for C in grid)


def scalar_lambda(q: float, kl: float, n: float, delta: float) -> float:
    c = scalar_complexity(kl, n, delta)
    lam = 2 / (math.sqrt(2 * q / c + 1) + 1)
    return (q + c / lam) / (1 - lam / 2)


def per_point(formula):
    """The loop over points of a scalar formula f(L̂, KL, n, δ)."""
    return lambda q, kl, n, delta: np.array([formula(*point) for point in zip(q.tolist(), kl.tolist(),
                                                                               n.tolist(), delta.tolist())])


def seeger_loop(q, kl, n, delta):
    return brentq_inverse(q, np.array([scalar_complexity(*point) for point in zip(kl, n, delta)]))


def mc_loop(q, samples, delta):
    return brentq_inverse(q, np.log(2 / delta) / samples)


BOUNDS = {  # name → (vectorised, per-point loop), both called as f(L̂, KL, n, δ)
    "mcallester_bound": (pac_bayes.mcallester_bound,
                         per_point(lambda q, kl, n, d: q + math.sqrt(scalar_complexity(kl, n, d) / 2))),
    "quadratic_bound": (pac_bayes.quadratic_bound, per_point(
        lambda q, kl, n, d: (math.sqrt(q + scalar_complexity(kl, n, d) / 2)
                             + math.sqrt(scalar_complexity(kl, n, d) / 2)) ** 2)),
    "lambda_bound": (pac_bayes.lambda_bound, per_point(scalar_lambda)),
    "catoni_bound": (pac_bayes.catoni_bound, per_point(scalar_catoni)),
    "seeger_bound": (pac_bayes.seeger_bound, seeger_loop),
    "mc_risk_bound (M = n)": (lambda q, kl, n, delta: pac_bayes.mc_risk_bound(q, n, delta),
                              lambda q, kl, n, delta: mc_loop(q, n, delta)),
    "mc_seeger_bound (M = n)": (lambda q, kl, n, delta: pac_bayes.mc_seeger_bound(q, n, kl, n, delta, delta),
                                lambda q, kl, n, delta: seeger_loop(mc_loop(q, n, delta), kl, n, delta)),
}


def bound_rows(q, args, rng) -> list[tuple]:
    """(d): the bounds at (L̂ = q, KL log-uniform in [1e-3, 1e3], n log-uniform in [10, 10^6], δ = 0.05)."""
    kl = 10 ** rng.uniform(-3, 3, q.size)
    n = np.floor(10 ** rng.uniform(1, 6, q.size))
    delta = np.full(q.size, 0.05)
    subset = min(args.loop_pairs, q.size)
    rows = []
    for name, (vectorised, loop) in BOUNDS.items():
        vec_min, vec_median, _, values = timed(lambda: vectorised(q, kl, n, delta), args.repeats)
        loop_min, _, _, looped = timed(lambda: loop(q[:subset], kl[:subset], n[:subset], delta[:subset]), 1)
        per_million = vec_min * 1e6 / q.size
        loop_scaled = loop_min * q.size / subset
        rows.append((f"(d) {name}", f"{q.size} points", f"{vec_min:.3f} s (median {vec_median:.3f})",
                     f"{per_million:.3f} s per 10^6; loop {loop_scaled * 1e6 / q.size:.1f} s",
                     f"speed-up {loop_scaled / vec_min:.0f}x; max |diff| {np.max(np.abs(values[:subset] - looped)):.1e}; "
                     f"target <= {TARGET_SECONDS_PER_MILLION:g} s: "
                     f"{'met' if per_million <= TARGET_SECONDS_PER_MILLION else 'NOT met'}"))
    return rows


def accuracy(q: np.ndarray, c: np.ndarray, estimates: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """For each method: (max |error|, max |error| / first-order bound) against mpmath."""
    references = [kl_inverse_reference(qi, ci, True) for qi, ci in zip(q, c)]
    bounds = np.array([kl_inverse_error_bound(qi, ci, p, t) for qi, ci, (p, t) in zip(q, c, references)])
    exact = [p for p, _ in references]
    out = {}
    for name, values in estimates.items():
        errors = np.array([float(abs(p - v)) for p, v in zip(exact, values)])
        out[name] = (float(errors.max()), float(np.max(errors / bounds)))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=positive_int, default=1_000_000, help="(q, c) pairs (default 10^6)")
    parser.add_argument("--loop-pairs", type=positive_int, default=2000,
                        help="pairs timed in the brentq loop, scaled to --pairs (default 2000)")
    parser.add_argument("--mpmath-pairs", type=positive_int, default=200,
                        help="pairs of the loop's subset compared with mpmath (default 200)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    q = np.where(rng.random(args.pairs) < 0.2, 10 ** rng.uniform(-12, 0, args.pairs), rng.uniform(0, 1, args.pairs))
    c = 10 ** rng.uniform(-6, 1, args.pairs)

    vec_min, vec_median, vec_cpu, vectorised = timed(lambda: kl_inverse_upper(q, c), args.repeats)
    subset = min(args.loop_pairs, args.pairs)
    loop_min, loop_median, _, looped = timed(lambda: brentq_inverse(q[:subset], c[:subset]), args.repeats)
    loop_scaled = loop_min * args.pairs / subset
    checked = min(args.mpmath_pairs, subset)
    errors = accuracy(q[:checked], c[:checked], {"kl_inverse_upper": vectorised[:checked],
                                                 "brentq loop": looped[:checked]})

    per_million = vec_min * 1e6 / args.pairs
    speedup = loop_scaled / vec_min
    print(f"kl_inverse_upper benchmark: {args.pairs} pairs, repeats = {args.repeats} (times: min, median)")
    print_machine()
    print("(timings on a loaded machine vary)")
    print()
    rows = [
        ("(a) kl_inverse_upper, vectorised", f"{args.pairs} pairs", f"{vec_min:.3f} s (median {vec_median:.3f})",
         f"{per_million:.3f} s per 10^6",
         f"target <= {TARGET_SECONDS_PER_MILLION:g} s: "
         f"{'met' if per_million <= TARGET_SECONDS_PER_MILLION else 'NOT met'}"),
        ("    CPU time of (a)", "", f"{vec_cpu:.3f} s", f"{vec_cpu * 1e6 / args.pairs:.3f} s per 10^6",
         f"target <= {TARGET_SECONDS_PER_MILLION:g} s: "
         f"{'met' if vec_cpu * 1e6 / args.pairs <= TARGET_SECONDS_PER_MILLION else 'NOT met'}"),
        ("(b) brentq, one pair at a time", f"{subset} pairs, x{args.pairs / subset:g}",
         f"{loop_scaled:.1f} s (scaled; median {loop_median * args.pairs / subset:.1f})",
         f"{loop_scaled * 1e6 / args.pairs:.1f} s per 10^6", ""),
        ("    speed-up (b)/(a)", "", "", f"{speedup:.0f}x", ""),
    ]
    for name, (max_error, ratio) in errors.items():
        rows.append((f"(c) accuracy: {name}", f"{checked} pairs vs mpmath", "", f"max |error| {max_error:.2e}",
                     f"max error / bound {ratio:.3g} ({'within' if ratio <= 1 else 'OUTSIDE'} the bound)"))
    error_ratio = errors["brentq loop"][0] / max(errors["kl_inverse_upper"][0], 1e-300)
    rows.append(("    error ratio (b)/(a)", "", "", f"{error_ratio:.3g}", ""))
    rows += bound_rows(q, args, rng)
    header = ("measure", "work", "time", "rate / value", "note")
    print_table(header, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
