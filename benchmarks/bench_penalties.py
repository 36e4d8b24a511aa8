"""Benchmark of theory.penalties: vectorised omega/eta_hat against a per-point scalar minimisation.

For every scalar penalty family, on --points weights w (|w| log-uniform on [1e-3, 1e2], random signs):
  (a) `omega(w)` and `eta_hat(w)` of the vectorised implementation (target: ≤ 1 s each on 10^5 points);
  (b) the usual implementation: for each point, scipy.optimize.minimize_scalar (bounded Brent, xatol
      1e-10) of ½[w²/η + f(η)] over ln η ∈ [ln w² − 40, ln w² + 40], timed on --scalar-points points
      and scaled to --points; the ratio (b)/(a) and the largest difference of the two Ω on the subset
      (the scalar minimiser's own error is O(xatol²·curvature) where the objective is unimodal in ln η;
      for hard concrete near the gate opening it is not, and Brent may stop at the wrong local
      minimum: there the difference is the baseline's error, as the brute force over the gate location
      in simulations/penalty_checks.py confirms).
Times are the minimum over --repeats runs; the median is printed beside it.

    python benchmarks/bench_penalties.py --points 100000 --scalar-points 200 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import positive_int, print_machine, print_table, timed  # noqa: E402

from theory.penalties import SCALAR_FAMILIES, get_penalty  # noqa: E402

TARGET_SECONDS = 1.0
XATOL = 1e-10


def scalar_omega(penalty, w: np.ndarray) -> np.ndarray:
    """Ω(w) point by point: bounded Brent on ln η (the usual implementation of an η-trick penalty)."""
    out = np.empty_like(w)
    for i, value in enumerate(w):
        centre = np.log(value**2)
        fit = minimize_scalar(lambda x: 0.5 * (value**2 / np.exp(x) + float(penalty.f(np.exp(x)))),
                              bounds=(centre - 40, centre + 40), method="bounded", options={"xatol": XATOL})
        out[i] = min(fit.fun, 0.5 * float(penalty.f(np.inf)))  # saturating families: η̂ = ∞ is allowed
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=positive_int, default=100_000, help="weights per call (default 10^5)")
    parser.add_argument("--scalar-points", type=positive_int, default=200,
                        help="points timed with the per-point minimiser, scaled to --points (default 200)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    w = np.exp(rng.uniform(np.log(1e-3), np.log(1e2), args.points)) * rng.choice((-1.0, 1.0), args.points)
    subset = w[: min(args.scalar_points, args.points)]

    print(f"penalty benchmark: {args.points} points, scalar baseline on {subset.size} points scaled, "
          f"repeats = {args.repeats} (times: min, median)")
    print_machine()
    print()
    header = ("family", "omega [s]", "eta_hat [s]", "scalar, scaled [s]", "speed-up", "max |ΔΩ|", f"≤ {TARGET_SECONDS:g} s")
    rows = []
    for name in SCALAR_FAMILIES:
        penalty = get_penalty(name)
        omega_min, omega_median, omega = timed(lambda: penalty.omega(w), args.repeats)
        eta_min, eta_median, _ = timed(lambda: penalty.eta_hat(w), args.repeats)
        scalar_min, _, scalar = timed(lambda: scalar_omega(penalty, subset), 1)
        scaled = scalar_min * args.points / subset.size
        rows.append((name, f"{omega_min:.3f} ({omega_median:.3f})", f"{eta_min:.3f} ({eta_median:.3f})",
                     f"{scaled:.1f}", f"{scaled / omega_min:.0f}x",
                     f"{np.max(np.abs(scalar - omega[: subset.size])):.1e}",
                     "met" if max(omega_min, eta_min) <= TARGET_SECONDS else "NOT met"))
    print_table(header, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
