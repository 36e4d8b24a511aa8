"""The record a claim's check returns, and the rules that set its tolerance.

Tolerances follow from statistics or from floating-point error bounds, never from taste:
- Monte Carlo: |estimate − exact| ≤ z·se with z the two-sided normal quantile of the
  stated false-failure rate (1e-6 by default, z ≈ 4.89).
- Exact arithmetic compared two ways: k·eps·scale, with k the number of rounded
  operations that reach the result and scale the sum of magnitudes that enter it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from scipy.stats import norm

FALSE_FAILURE_RATE = 1e-6
EPS = 2.0**-52


@dataclass(frozen=True)
class CheckResult:
    """One comparison: the theory's value, the simulation's, their error and the tolerance."""

    claim: str
    key: str  # short stable name, used by the paper to quote this value
    quantity: str
    method: str  # "sympy", "enumeration", "monte carlo", "finite difference", "optimisation", "limit", "statistic"
    theory: float
    simulation: float
    error: float
    tolerance: float
    passed: bool

    def as_dict(self) -> dict:
        return asdict(self)


def close(claim: str, key: str, quantity: str, method: str, theory: float, simulation: float,
          tolerance: float) -> CheckResult:
    """Pass when |theory − simulation| ≤ tolerance."""
    error = abs(float(theory) - float(simulation))
    return CheckResult(claim, key, quantity, method, float(theory), float(simulation), error, float(tolerance),
                       bool(error <= tolerance))


def at_least(claim: str, key: str, quantity: str, method: str, bound: float, value: float,
             tolerance: float = 0.0) -> CheckResult:
    """Pass when value ≥ bound − tolerance; error is the shortfall max(0, bound − value)."""
    shortfall = max(0.0, float(bound) - float(value))
    return CheckResult(claim, key, quantity, method, float(bound), float(value), shortfall, float(tolerance),
                       bool(shortfall <= tolerance))


def mc_z(false_failure_rate: float = FALSE_FAILURE_RATE) -> float:
    """Two-sided normal quantile z with P(|Z| > z) = false_failure_rate."""
    return float(norm.isf(false_failure_rate / 2))


def mc_tolerance(standard_error: float, false_failure_rate: float = FALSE_FAILURE_RATE) -> float:
    """z·se: a correct Monte Carlo estimate falls outside with probability ≈ false_failure_rate."""
    return mc_z(false_failure_rate) * float(standard_error)


def rounding_tolerance(scale: float, operations: int) -> float:
    """operations·eps·scale: a bound on the accumulated rounding error of a sum of that size."""
    return max(1, operations) * EPS * float(scale)



def at_most(claim: str, key: str, quantity: str, method: str, bound: float, value: float,
            tolerance: float = 0.0) -> CheckResult:
    """Pass when value ≤ bound + tolerance; error is the excess max(0, value − bound)."""
    excess = max(0.0, float(value) - float(bound))
    return CheckResult(claim, key, quantity, method, float(bound), float(value), excess, float(tolerance),
                       bool(excess <= tolerance))
