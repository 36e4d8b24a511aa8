"""Differentiable binary gates with exact zeros and ones, and the L0 surrogate (claims G1–G3).

The family (G2). A standard base variable E (logistic, normal, Gumbel, …: CDF F_E), a location ℓ,
a scale s > 0, an increasing squash φ (the logistic sigmoid σ or the identity) and a stretch
interval (γ, ζ) ⊇ [0, 1] define the pre-clip variable and the gate

    V = γ + (ζ − γ)·φ(ℓ + s·E),        z = min(1, max(0, V)).

With F_V(v) = F_E((φ⁻¹((v − γ)/(ζ − γ)) − ℓ)/s) and S_V = 1 − F_V:

    P(z = 0) = F_V(0),  P(z = 1) = S_V(1),  P(z ≠ 0) = S_V(0)          (one gate's L0 surrogate),
    E z = ∫_0^1 S_V(v) dv,   E z² = ∫_0^1 2v·S_V(v) dv                   (E z^k = ∫ k v^{k−1} P(z > v) dv).

Hard concrete (G1; Louizos, Welling, Kingma 2018): logistic E = ln u − ln(1 − u), φ = σ, ℓ = ln α/β,
s = 1/β, (β, γ, ζ) = (2/3, −0.1, 1.1) by default:

    F_V(v) = (v − γ)^β / ((v − γ)^β + α(ζ − v)^β),
    P(z ≠ 0) = σ(ln α − β ln(−γ/ζ)),   P(z = 1) = σ(ln α − β ln((1 − γ)/(ζ − 1))),
    test-time gate ẑ = min(1, max(0, σ(ln α)(ζ − γ) + γ)).

Gaussian gate: normal E, φ = identity, (γ, ζ) = (0, 1), ℓ = μ, s = σ: z = clip(μ + σE), with closed
forms in Φ and φ (`gaussian_gate_moments`). Other bases enter only through their CDF; the moments of
the clipped gate are computed by adaptive quadrature of the identities above.

Group gates share one gate among the parameters of a group g (e.g. a neuron's fan-in); the L0
surrogate is then Σ_g |g|·P(z_g ≠ 0), the expected number of non-zero parameters.

Effective penalty (G3). For independent gates with mean E z_j and variance Var z_j and any design,
E_z L(θ⊙z) = L(w) + Σ_j e_j w_j² κ_j with w = θ⊙E z, e_j = ||x_j||²/n and κ = Var z/(E z)². So the
L0 objective E_z L(θ⊙z) + λΣ_j P(z_j ≠ 0), minimised over the gate parameters, is L(w) + Σ_j Ω(w_j):

    Ω(w) = min_ℓ [e·w²·κ(ℓ) + λ·P(z ≠ 0; ℓ)] = λ·ω(|w|·√(e/λ)),   ω(u) = min_ℓ [u²κ(ℓ) + π(ℓ)],

an η-trick penalty (1/η = 2eκ, f = 2λπ) with keep rate α = 1/(1 + κ(ℓ̂)) and
Ω(w) = 2e ∫_0^{|w|} t(1 − α(t))/α(t) dt (THEORY.md E4). ω rises with slope c₀ at 0 and equals 1
exactly for u ≥ u_max = √(sup_ℓ P(z = 0)/κ(ℓ)): an MCP-like shape.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np
import sympy as sp
from scipy.integrate import quad, quad_vec
from scipy.special import erf, expit, log_ndtr, logit, ndtri

from theory.derivation import Derivation
from theory.validation import broadcast, finite_result, real_scalar

BETA, GAMMA, ZETA = 2 / 3, -0.1, 1.1


class Base(NamedTuple):
    """A standard base variable E through its log CDF, log survival function, log density, quantile function
    and median."""

    log_cdf: Callable[[np.ndarray], np.ndarray]
    log_sf: Callable[[np.ndarray], np.ndarray]
    log_pdf: Callable[[np.ndarray], np.ndarray]
    ppf: Callable[[np.ndarray], np.ndarray]
    median: float


def _gumbel_log_sf(x):
    """ln(1 − exp(−e^{−x})); for x > 30, ln t − t/2 with t = e^{−x} (the next term, t²/24, is below 1e-27)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        t = np.exp(-x)
        direct = np.log(-np.expm1(-t))
    return np.where(x > 30, -x - t / 2, direct)


BASES = {
    "logistic": Base(lambda x: -np.logaddexp(0.0, -x), lambda x: -np.logaddexp(0.0, x),
                     lambda x: -np.abs(x) - 2 * np.log1p(np.exp(-np.abs(x))), logit, 0.0),
    "normal": Base(log_ndtr, lambda x: log_ndtr(-x), lambda x: -x**2 / 2 - np.log(2 * np.pi) / 2, ndtri, 0.0),
    "gumbel": Base(lambda x: -np.exp(-x), _gumbel_log_sf, lambda x: -x - np.exp(-x), lambda u: -np.log(-np.log(u)),
                   -np.log(np.log(2.0))),
}
SQUASHES = ("sigmoid", "identity")
QUAD_ABS_TOL = 1e-13  # absolute tolerance of the quadrature of conditional moments (values in [0, 1])
PROFILE_TAIL = 1e-16  # the profile grid spans P(z ≠ 0) ≥ PROFILE_TAIL to P(z = 1) ≥ 1 − 1e-12
PROFILE_POINTS = 2001
REFINE_STENCILS = (1e-2, 1e-3, 1e-4, 1e-4)  # Newton refinement of profile minima (`_refine`)
EPS = float(np.finfo(np.float64).eps)
MAX_PROFILE_BETA = 100.0  # the profile's grid of ln α spans a width ∝ β: cost grows with β
MIN_SCALED_WEIGHT = 1e-12  # ω(u) is computed for u = 0 and u ≥ this


# --------------------------------------------------------------------------- validation


def _real(value, name: str) -> np.ndarray:
    if np.iscomplexobj(value):
        raise TypeError(f"{name} must be real, got a complex value")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or array of real numbers") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    return array


def _positive(value, name: str) -> np.ndarray:
    array = _real(value, name)
    if not np.all(array > 0):
        raise ValueError(f"{name} must be > 0, got minimum {array.min()}")
    return array


def _stretch(gamma, zeta, *, strict: bool) -> tuple[float, float]:
    """The stretch interval (γ, ζ): γ < 0 and ζ > 1 when `strict` (else exact 0s and 1s are impossible),
    γ ≤ 0 and ζ ≥ 1 otherwise."""
    gamma, zeta = real_scalar(gamma, "gamma"), real_scalar(zeta, "zeta")
    if not (gamma < 0 if strict else gamma <= 0):
        raise ValueError(f"gamma must be {'<' if strict else '≤'} 0, got {gamma}")
    if not (zeta > 1 if strict else zeta >= 1):
        raise ValueError(f"zeta must be {'>' if strict else '≥'} 1, got {zeta}")
    return gamma, zeta


# --------------------------------------------------------------------------- the family (G2)


class GateMoments(NamedTuple):
    """E z, E z², Var z and an absolute error bound shared by the three (from the quadrature)."""

    mean: np.ndarray
    second: np.ndarray
    variance: np.ndarray
    error: np.ndarray


@dataclass(frozen=True)
class ClippedGate:
    """z = min(1, max(0, γ + (ζ − γ)·φ(loc + scale·E))) with E a standard `base` variable (module docstring).

    `squash` "sigmoid" needs γ < 0 < 1 < ζ (else z is never exactly 0 or 1); "identity" needs
    γ ≤ 0 and ζ ≥ 1. All methods broadcast their array arguments.
    """

    base: str = "logistic"
    squash: str = "sigmoid"
    gamma: float = GAMMA
    zeta: float = ZETA

    def __post_init__(self):
        if self.base not in BASES:
            raise ValueError(f"base must be one of {sorted(BASES)}, got {self.base!r}")
        if self.squash not in SQUASHES:
            raise ValueError(f"squash must be one of {SQUASHES}, got {self.squash!r}")
        _stretch(self.gamma, self.zeta, strict=self.squash == "sigmoid")

    @property
    def distribution(self) -> Base:
        return BASES[self.base]

    def _params(self, loc, scale):
        return _real(loc, "loc"), _positive(scale, "scale")

    def _standardised(self, v: float, loc, scale):
        """x(v) = (φ⁻¹((v − γ)/(ζ − γ)) − loc)/scale, so that P(V ≤ v) = F_E(x(v))."""
        if self.squash == "sigmoid":
            inverse = np.log((v - self.gamma) / (self.zeta - v))
        else:
            inverse = (v - self.gamma) / (self.zeta - self.gamma)
        return (inverse - loc) / scale

    def _log_cdf(self, v, loc, scale):
        return self.distribution.log_cdf(self._standardised(v, loc, scale))

    def _log_sf(self, v, loc, scale):
        return self.distribution.log_sf(self._standardised(v, loc, scale))

    def prob_zero(self, loc, scale) -> np.ndarray:
        """P(z = 0) = F_V(0)."""
        return np.exp(self._log_cdf(0.0, *self._params(loc, scale)))

    def prob_one(self, loc, scale) -> np.ndarray:
        """P(z = 1) = 1 − F_V(1)."""
        return np.exp(self._log_sf(1.0, *self._params(loc, scale)))

    def prob_nonzero(self, loc, scale) -> np.ndarray:
        """P(z ≠ 0) = 1 − F_V(0): the L0 surrogate of one gate."""
        return np.exp(self._log_sf(0.0, *self._params(loc, scale)))

    def interior_density(self, v, loc, scale) -> np.ndarray:
        """Density of z on 0 < v < 1 (where z = V): f_V(v) = f_E(x(v))·x′(v), with
        x′(v) = (ζ − γ)/(s(v − γ)(ζ − v)) for the sigmoid squash and 1/(s(ζ − γ)) for the identity."""
        v = _real(v, "v")
        if not np.all((v > 0) & (v < 1)):
            raise ValueError("v must lie in the open interval (0, 1), where z has a density")
        loc, scale = self._params(loc, scale)
        if self.squash == "sigmoid":
            slope = (self.zeta - self.gamma) / (scale * (v - self.gamma) * (self.zeta - v))
        else:
            slope = 1 / (scale * (self.zeta - self.gamma))
        return np.exp(self.distribution.log_pdf(self._standardised(v, loc, scale))) * slope

    def moments(self, loc, scale) -> GateMoments:
        """E z, E z², Var z by adaptive quadrature of E z^k = ∫_0^1 k v^{k−1} S_V(v) dv.

        The integrands are the conditional survival functions S_V(v)/S_V(0) (of z given z ≠ 0) and
        F_V(1 − v)/F_V(1) (of q = 1 − z given z ≠ 1), both in [0, 1]; then
        E z^k = π·c_k (π = P(z ≠ 0)) or, through q, E z = 1 − ρd₁, E z² = 1 − 2ρd₁ + ρd₂ (ρ = P(z ≠ 1)),
        and Var z = π(c₂ − πc₁²) = ρ(d₂ − ρd₁²). The branch with the smaller of π, ρ is used, so
        no result is a difference of nearly equal numbers. `error` bounds the absolute error of all three.
        """
        loc, scale = np.broadcast_arrays(*self._params(loc, scale))
        if loc.size == 0:
            return GateMoments(*(np.zeros(loc.shape) for _ in range(4)))
        log_s0, log_f1 = self._log_sf(0.0, loc, scale), self._log_cdf(1.0, loc, scale)

        def ratio(log_num, log_den):
            return np.exp(np.where(np.isfinite(log_den), log_num - log_den, -np.inf))

        def integrand(v):
            upper = ratio(self._log_sf(v, loc, scale), log_s0)
            lower = ratio(self._log_cdf(1.0 - v, loc, scale), log_f1)
            return np.stack([upper, 2 * v * upper, lower, 2 * v * lower])

        (c1, c2, d1, d2), quad_error = quad_vec(integrand, 0.0, 1.0, epsabs=QUAD_ABS_TOL, epsrel=0.0, norm="max")
        pi, rho = np.exp(log_s0), np.exp(log_f1)
        upper_branch = pi <= rho
        mean = np.where(upper_branch, pi * c1, 1 - rho * d1)
        second = np.where(upper_branch, pi * c2, 1 - 2 * rho * d1 + rho * d2)
        variance = np.where(upper_branch, pi * (c2 - pi * c1**2), rho * (d2 - rho * d1**2))
        error = 3 * np.minimum(pi, rho) * quad_error + 8 * EPS * np.maximum(mean, 1e-300)
        return GateMoments(mean, second, variance, error)

    def value(self, noise, loc, scale) -> np.ndarray:
        """z for base-noise values E = `noise` (draw them with `noise_from_uniform`)."""
        noise = _real(noise, "noise")
        loc, scale = self._params(loc, scale)
        return np.clip(self._pre_clip(loc + scale * noise), 0.0, 1.0)

    def value_grad(self, noise, loc, scale) -> np.ndarray:
        """∂z/∂loc = (ζ − γ)·φ′(loc + scale·E) where 0 < V < 1, and 0 where the gate is clipped."""
        noise = _real(noise, "noise")
        loc, scale = self._params(loc, scale)
        t = loc + scale * noise
        pre = self._pre_clip(t)
        slope = expit(t) * expit(-t) if self.squash == "sigmoid" else np.ones_like(t)
        return np.where((pre > 0) & (pre < 1), (self.zeta - self.gamma) * slope, 0.0)

    def median_gate(self, loc, scale) -> np.ndarray:
        """The deterministic gate clip(V at E = median E): the median of z, and its noise-free limit."""
        loc, scale = self._params(loc, scale)
        return np.clip(self._pre_clip(loc + scale * self.distribution.median), 0.0, 1.0)

    def noise_from_uniform(self, uniform) -> np.ndarray:
        """E = F_E⁻¹(u): base noise from uniforms u ∈ (0, 1) (Louizos: ln u − ln(1 − u))."""
        uniform = _real(uniform, "uniform")
        if not np.all((uniform > 0) & (uniform < 1)):
            raise ValueError("uniform must lie in the open interval (0, 1)")
        return self.distribution.ppf(uniform)

    def _pre_clip(self, t):
        squashed = expit(t) if self.squash == "sigmoid" else t
        return self.gamma + (self.zeta - self.gamma) * squashed


GAUSSIAN_GATE = ClippedGate("normal", "identity", 0.0, 1.0)


# --------------------------------------------------------------------------- hard concrete (G1)


def _hard_concrete(log_alpha, beta, gamma, zeta):
    log_alpha = _real(log_alpha, "log_alpha")
    beta = real_scalar(beta, "beta", 0.0, low_open=True)
    gamma, zeta = _stretch(gamma, zeta, strict=True)
    return log_alpha, beta, gamma, zeta


def hard_concrete_gate_family(gamma=GAMMA, zeta=ZETA) -> ClippedGate:
    """The hard-concrete gate as a member of the family: logistic base, sigmoid squash."""
    gamma, zeta = _stretch(gamma, zeta, strict=True)
    return ClippedGate("logistic", "sigmoid", gamma, zeta)


def hard_concrete_prob_nonzero(log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """P(z ≠ 0) = σ(ln α − β·ln(−γ/ζ)): the L0 surrogate of a hard-concrete gate (vectorised in ln α)."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    return expit(log_alpha - beta * np.log(-gamma / zeta))


def hard_concrete_prob_zero(log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """P(z = 0) = σ(β·ln(−γ/ζ) − ln α)."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    return expit(beta * np.log(-gamma / zeta) - log_alpha)


def hard_concrete_prob_one(log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """P(z = 1) = σ(ln α − β·ln((1 − γ)/(ζ − 1)))."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    return expit(log_alpha - beta * np.log((1 - gamma) / (zeta - 1)))


def hard_concrete_prob_nonzero_grad(log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """∂P(z ≠ 0)/∂ln α = π(1 − π) with π = P(z ≠ 0)."""
    pi = hard_concrete_prob_nonzero(log_alpha, beta, gamma, zeta)
    return pi * (1 - pi)


def hard_concrete_moments(log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> GateMoments:
    """E z, E z², Var z of the hard-concrete gate (`ClippedGate.moments` with loc = ln α/β, scale = 1/β)."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    return hard_concrete_gate_family(gamma, zeta).moments(log_alpha / beta, 1 / beta)


def hard_concrete_gate(noise, log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """z = min(1, max(0, σ((E + ln α)/β)(ζ − γ) + γ)) for logistic noise E = ln u − ln(1 − u)."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    noise, log_alpha = broadcast(noise=_real(noise, "noise"), log_alpha=log_alpha)
    return hard_concrete_gate_family(gamma, zeta).value(noise, log_alpha / beta, 1 / beta)


def hard_concrete_gate_grad(noise, log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """∂z/∂ln α = (ζ − γ)·s(1 − s)/β on 0 < z < 1 (s = σ((E + ln α)/β)), 0 where clipped."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    noise, log_alpha = broadcast(noise=_real(noise, "noise"), log_alpha=log_alpha)
    return hard_concrete_gate_family(gamma, zeta).value_grad(noise, log_alpha / beta, 1 / beta) / beta


def hard_concrete_gate_and_grad(noise, log_alpha, beta=BETA, gamma=GAMMA, zeta=ZETA):
    """(z, ∂z/∂ln α) in one pass: `hard_concrete_gate` and `hard_concrete_gate_grad` for training loops."""
    log_alpha, beta, gamma, zeta = _hard_concrete(log_alpha, beta, gamma, zeta)
    noise, log_alpha = broadcast(noise=_real(noise, "noise"), log_alpha=log_alpha)
    s = expit((noise + log_alpha) / beta)
    pre = gamma + (zeta - gamma) * s
    inside = (pre > 0) & (pre < 1)
    return np.clip(pre, 0.0, 1.0), np.where(inside, (zeta - gamma) * s * (1 - s) / beta, 0.0)


def hard_concrete_test_gate(log_alpha, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """Louizos et al.'s deterministic test-time gate ẑ = min(1, max(0, σ(ln α)(ζ − γ) + γ)).

    It is exactly 0 iff ln α ≤ ln(−γ/ζ) and exactly 1 iff ln α ≥ ln((1 − γ)/(ζ − 1)); it equals the
    median of z (`ClippedGate.median_gate`) at β = 1 only.
    """
    log_alpha, _, gamma, zeta = _hard_concrete(log_alpha, 1.0, gamma, zeta)
    return np.clip(expit(log_alpha) * (zeta - gamma) + gamma, 0.0, 1.0)


def hard_concrete_zero_slope(beta=BETA, gamma=GAMMA, zeta=ZETA) -> float:
    """c₀ = lim_{u→0} ω(u)/u = 2√m₂/m₁, with m_k = ∫_0^1 k v^{k−1} r(v)^β dv, r(v) = (−γ)(ζ − v)/(ζ(v − γ)).

    r(v)^β is the survival function of z given z ≠ 0 in the limit ln α → −∞ (the logistic tail
    beyond the threshold is exponential), so κ ≈ m₂/(m₁²π) and min_π [u²κ + π] = 2u√m₂/m₁.
    """
    _, beta, gamma, zeta = _hard_concrete(0.0, beta, gamma, zeta)
    _profile_beta(beta)

    def survival(v):
        return ((-gamma) * (zeta - v) / (zeta * (v - gamma))) ** beta

    m1 = quad(survival, 0.0, 1.0, epsabs=1e-15, epsrel=1e-13)[0]
    m2 = quad(lambda v: 2 * v * survival(v), 0.0, 1.0, epsabs=1e-15, epsrel=1e-13)[0]
    return float(2 * np.sqrt(m2) / m1)


# --------------------------------------------------------------------------- Gaussian gate and groups (G2)


def gaussian_gate_moments(mu, sigma) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(P(z = 0), P(z = 1), E z, E z²) of z = clip(μ + σN, 0, 1), closed forms from `derive_g2`.

    With a₀ = −μ/σ, a₁ = (1 − μ)/σ: P(z = 0) = Φ(a₀), P(z = 1) = 1 − Φ(a₁),
    E z = μ[Φ(a₁) − Φ(a₀)] + σ[φ(a₀) − φ(a₁)] + 1 − Φ(a₁),
    E z² = (μ² + σ²)[Φ(a₁) − Φ(a₀)] + σ[μφ(a₀) − (1 + μ)φ(a₁)] + 1 − Φ(a₁).
    """
    mu, sigma = broadcast(mu=_real(mu, "mu"), sigma=_positive(sigma, "sigma"))
    return tuple(finite_result(np.broadcast_to(f(mu, sigma), mu.shape).astype(np.float64), "mu and sigma")
                 for f in _gaussian_closed_forms())


def _groups(groups, n_groups: int, source: str) -> np.ndarray:
    """Group labels in [0, n_groups), with n_groups taken from `source` (named in the error)."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or not np.issubdtype(groups.dtype, np.integer):
        raise TypeError("groups must be a 1-D integer array of group labels")
    if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError(f"groups must hold labels in [0, {n_groups}) ({source}), "
                         f"got [{groups.min()}, {groups.max()}]")
    return groups


def group_sizes(groups, n_groups: int) -> np.ndarray:
    """|g| for each of `n_groups` groups; groups[j] is the group of parameter j."""
    if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 1:
        raise ValueError(f"n_groups must be an integer ≥ 1, got {n_groups!r}")
    return np.bincount(_groups(groups, n_groups, "n_groups"), minlength=n_groups)


def group_l0_surrogate(prob_nonzero, groups) -> np.ndarray:
    """Σ_g |g|·P(z_g ≠ 0) = E[number of non-zero parameters] when one gate is shared by each group.

    `prob_nonzero` has the groups on its last axis (length G); groups[j] ∈ [0, G) labels parameter j.
    """
    prob_nonzero = _real(prob_nonzero, "prob_nonzero")
    if prob_nonzero.ndim < 1 or np.any((prob_nonzero < 0) | (prob_nonzero > 1)):
        raise ValueError("prob_nonzero must be an array (groups on the last axis) of values in [0, 1]")
    n_groups = prob_nonzero.shape[-1]
    return prob_nonzero @ np.bincount(_groups(groups, n_groups, "the last axis of prob_nonzero"), minlength=n_groups)


def expand_group_gates(gates, groups) -> np.ndarray:
    """Parameter-level gates: gates[..., groups[j]] for parameter j (each group shares its gate)."""
    gates = _real(gates, "gates")
    if gates.ndim < 1:
        raise ValueError("gates must have the groups on its last axis")
    return gates[..., _groups(groups, gates.shape[-1], "the last axis of gates")]


# --------------------------------------------------------------------------- effective penalty (G3)


class PenaltyConstants(NamedTuple):
    """Shape constants of ω for one hard-concrete gate (β, γ, ζ).

    plateau_start u_max = √(sup_ℓ P(z = 0)/κ): ω(u) = 1 for u ≥ u_max; plateau_log_alpha: the ln α of
    that supremum; zero_slope c₀ = ω′(0⁺); band (u_max, c₀/2): for |â|√(e/λ) inside it both the pruned
    and the kept coordinate are local minima of the orthogonal-design objective.
    """

    plateau_start: float
    plateau_log_alpha: float
    zero_slope: float


class ProfileMinimum(NamedTuple):
    """ω(u), the minimiser ln α̂(u), an a-posteriori bound on |ln α̂ − argmin| and a bound on |ω − min|."""

    omega: np.ndarray
    log_alpha: np.ndarray
    log_alpha_error: np.ndarray
    omega_error: np.ndarray


@dataclass(frozen=True)
class _Profile:
    log_alpha: np.ndarray
    prob_nonzero: np.ndarray
    kappa: np.ndarray
    constants: PenaltyConstants


def _kappa(log_alpha, beta, gamma, zeta) -> tuple[np.ndarray, np.ndarray]:
    """κ = Var z/(E z)², the relative variance of the gate, and a bound on its absolute error."""
    moments = hard_concrete_moments(log_alpha, beta, gamma, zeta)
    kappa = moments.variance / moments.mean**2
    return kappa, kappa * (moments.error / moments.variance + 2 * moments.error / moments.mean)


def _refine(objective, center: np.ndarray):
    """Minimise a smooth objective near `center` by Newton steps ℓ ← ℓ − g′/g″, with g′, g″ central differences
    on the stencils REFINE_STENCILS (one vectorised call of `objective` per step).

    objective(ℓ) → (g, bound on the error of g). Returns (ℓ, δ, g″) with the a-posteriori bound
    δ = 2|last step| + ε/(d·g″): Newton converges quadratically, so the last step bounds the remaining
    error, and an evaluation error ε moves the central difference g′ by at most ε/d.
    """
    offsets = np.array([-1.0, 0.0, 1.0])
    for d in REFINE_STENCILS:
        values, errors = objective(center[:, None] + d * offsets)
        curvature = (values[:, 0] - 2 * values[:, 1] + values[:, 2]) / d**2
        slope = (values[:, 2] - values[:, 0]) / (2 * d)
        step = np.clip(np.where(curvature > 0, -slope / np.where(curvature > 0, curvature, 1.0), 0.0),
                       -10 * d, 10 * d)
        center = center + step
    if np.any(curvature <= 0):
        raise ArithmeticError("the profile objective is not locally convex at its grid minimum")
    return center, 2 * np.abs(step) + np.max(errors, axis=1) / (d * curvature), curvature


def _profile_beta(beta: float) -> None:
    if beta > MAX_PROFILE_BETA:
        raise ValueError(f"beta must be ≤ {MAX_PROFILE_BETA:g} for the penalty profile (its grid grows with beta), "
                         f"got {beta}")


@functools.cache
def _profile(beta: float, gamma: float, zeta: float) -> _Profile:
    """π(ln α) and κ(ln α) on a grid from P(z ≠ 0) = PROFILE_TAIL to P(z = 1) = 1 − 1e-12, plus constants."""
    _profile_beta(beta)
    low = beta * np.log(-gamma / zeta) + logit(PROFILE_TAIL)
    high = beta * np.log((1 - gamma) / (zeta - 1)) - logit(1e-12)
    grid = np.linspace(low, high, PROFILE_POINTS)
    kappa, _ = _kappa(grid, beta, gamma, zeta)

    def negative_ratio(log_alpha):
        kappa, error = _kappa(log_alpha, beta, gamma, zeta)
        zero = hard_concrete_prob_zero(log_alpha, beta, gamma, zeta)
        return -zero / kappa, zero / kappa * (error / kappa + 4 * EPS)

    best = np.array([grid[np.argmax(hard_concrete_prob_zero(grid, beta, gamma, zeta) / kappa)]])
    try:
        plateau_log_alpha, _, _ = _refine(negative_ratio, best)
    except ArithmeticError as exc:
        raise ValueError(f"beta, gamma, zeta = {beta}, {gamma}, {zeta} are outside the range this profile "
                         f"supports: {exc}") from None
    constants = PenaltyConstants(float(np.sqrt(-negative_ratio(plateau_log_alpha)[0][0])),
                                 float(plateau_log_alpha[0]), hard_concrete_zero_slope(beta, gamma, zeta))
    return _Profile(grid, hard_concrete_prob_nonzero(grid, beta, gamma, zeta), kappa, constants)


def hard_concrete_penalty_constants(beta=BETA, gamma=GAMMA, zeta=ZETA) -> PenaltyConstants:
    """u_max, the ln α attaining it and c₀ (see `PenaltyConstants`)."""
    _, beta, gamma, zeta = _hard_concrete(0.0, beta, gamma, zeta)
    return _profile(beta, gamma, zeta).constants


def scaled_gate_penalty(u, beta=BETA, gamma=GAMMA, zeta=ZETA) -> ProfileMinimum:
    """ω(u) = min_{ln α} [u²κ(ln α) + P(z ≠ 0)] for u = |w|√(e/λ), with its minimiser and error bounds.

    ω(0) = 0 (ln α̂ = −∞); ω(u) = 1 for u ≥ u_max (ln α̂ = +∞: the gate always open); in between the
    minimum is interior: the best point of the profile grid, refined by Newton steps (`_refine`); ω is
    the objective evaluated at the refined point (an upper bound of the minimum, within omega_error).
    """
    u = np.abs(_real(u, "u"))
    if np.any((u > 0) & (u < MIN_SCALED_WEIGHT)):
        raise ValueError(f"u (= |w|·√(energy/lam) for the unscaled penalty) must be 0 or at least "
                         f"{MIN_SCALED_WEIGHT} (below it the minimiser leaves the grid)")
    _, beta, gamma, zeta = _hard_concrete(0.0, beta, gamma, zeta)
    profile = _profile(beta, gamma, zeta)
    plateau = u >= profile.constants.plateau_start
    omega = np.where(plateau, 1.0, 0.0)
    log_alpha_hat = np.where(plateau, np.inf, -np.inf)
    log_alpha_error, omega_error = np.zeros_like(u), np.zeros_like(u)
    interior = (u > 0) & ~plateau
    if np.any(interior):
        ui = u[interior]
        index = np.argmin(ui[:, None] ** 2 * profile.kappa + profile.prob_nonzero, axis=1)
        if np.any(index == 0):
            raise ValueError("u is too small for the profile grid")

        def objective(log_alpha):
            kappa, error = _kappa(log_alpha, beta, gamma, zeta)
            scale = ui.reshape(-1, *[1] * (log_alpha.ndim - 1)) ** 2
            return scale * kappa + hard_concrete_prob_nonzero(log_alpha, beta, gamma, zeta), scale * error + 4 * EPS

        refined, error, curvature = _refine(objective, profile.log_alpha[index])
        value, value_error = objective(refined)
        omega[interior], log_alpha_hat[interior] = value, refined
        log_alpha_error[interior], omega_error[interior] = error, value_error + curvature * error**2 / 2
    return ProfileMinimum(omega, log_alpha_hat, log_alpha_error, omega_error)


def hard_concrete_penalty(w, lam, energy=1.0, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """Ω(w) = λ·ω(|w|√(e/λ)): the penalty on the mean weight w = θ·E z left by profiling out ln α."""
    w = _real(w, "w")
    lam, energy = real_scalar(lam, "lam", 0.0, low_open=True), real_scalar(energy, "energy", 0.0, low_open=True)
    return lam * scaled_gate_penalty(np.abs(w) * np.sqrt(energy / lam), beta, gamma, zeta).omega


def hard_concrete_keep_rate(w, lam, energy=1.0, beta=BETA, gamma=GAMMA, zeta=ZETA) -> np.ndarray:
    """α(|w|) = 1/(1 + κ(ln α̂(w))): the inverted-dropout keep rate with the gate's relative variance.

    Then Ω′(w) = 2e·w(1 − α)/α (envelope theorem), i.e. THEORY.md E4 with 1/λ_E = 2e. α = 0 at w = 0
    and 1 on the plateau |w| ≥ u_max√(λ/e).
    """
    w = _real(w, "w")
    lam, energy = real_scalar(lam, "lam", 0.0, low_open=True), real_scalar(energy, "energy", 0.0, low_open=True)
    log_alpha_hat = scaled_gate_penalty(np.abs(w) * np.sqrt(energy / lam), beta, gamma, zeta).log_alpha
    keep = np.where(np.isposinf(log_alpha_hat), 1.0, 0.0)
    finite = np.isfinite(log_alpha_hat)
    keep[finite] = 1 / (1 + _kappa(log_alpha_hat[finite], beta, gamma, zeta)[0])
    return keep


def orthogonal_gate_support(alignment, lam, energy=1.0) -> np.ndarray:
    """Global minimiser of the L0-gated objective for XᵀX = n·e·I keeps j iff e·â_j² > λ (hard thresholding).

    Per coordinate, min over w of e(w − â)² + e w²κ + λπ is e â²(1 − r) + λπ with r = (E z)²/E z² ≤ 1,
    and π/r = E[z²|z ≠ 0]/E[z|z ≠ 0]² ≥ 1 tends to 1 as ln α → ∞: pruning (value e â²) loses iff e â² > λ.
    """
    alignment = _real(alignment, "alignment")
    lam, energy = real_scalar(lam, "lam", 0.0, low_open=True), real_scalar(energy, "energy", 0.0, low_open=True)
    return energy * alignment**2 > lam


# --------------------------------------------------------------------------- symbolic derivations


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _vanishes(expr, positives=()) -> bool:
    """True when `expr` is identically 0: each positive symbol x is written e^X (so ln x = X and
    x^β = e^{βX}), exponentials of sums are split, and the rational function in the exponentials cancels."""
    exponentials = {x: sp.exp(sp.Dummy(real=True)) for x in positives}
    expanded = sp.expand(expr.subs(exponentials), power_exp=True, mul=True, log=False)
    return sp.cancel(sp.together(expanded)) == 0


def _copy(derivation: Derivation) -> Derivation:
    """A fresh Derivation (callers may add steps) over the cached, immutable sympy expressions."""
    return Derivation(derivation.claim, derivation.title, list(derivation.steps), dict(derivation.results))


LOG_ALPHA = sp.Symbol("ell", real=True)  # ℓ = ln α
ALPHA = sp.Symbol("alpha", positive=True)
BETA_S = sp.Symbol("beta", positive=True)
GAMMA_S = sp.Symbol("gamma", negative=True)
ZETA_S = sp.Symbol("zeta", positive=True)
V = sp.Symbol("v", real=True)


@functools.cache
def mean_beta_one():
    """E z at β = 1 in closed form: (expression, its value at α = 1, NumPy function of (α, γ, ζ)).

    The antiderivative of S_V(v) = α(ζ − v)/((v − γ) + α(ζ − v)) is checked by differentiation:
    E z = α/(α − 1)²·[(α − 1) − (ζ − γ)·ln((αζ − γ)/(α(ζ − 1) + 1 − γ))], removable at α = 1 where
    E z = (2ζ − 1)/(2(ζ − γ)). The NumPy function loses about eps/(α − 1)² relative accuracy near α = 1.
    """
    a, g, z, v = ALPHA, GAMMA_S, ZETA_S, V
    survival = a * (z - v) / ((v - g) + a * (z - v))
    antiderivative = a / (a - 1) ** 2 * ((a - 1) * v - (z - g) * sp.log((a * z - g) / ((1 - a) * v + a * z - g)))
    if sp.cancel(sp.together(sp.diff(antiderivative, v) - survival)) != 0 or antiderivative.subs(v, 0) != 0:
        raise AssertionError("β = 1 antiderivative fails")
    closed = antiderivative.subs(v, 1)
    at_one = sp.factor(sp.integrate(survival.subs(a, 1), (v, 0, 1)))
    return closed, at_one, sp.lambdify((a, g, z), closed, "numpy")


@functools.cache
def _gaussian_symbolic():
    """(P(z = 0), P(z = 1), E z, E z²) of z = clip(μ + σN): ∫_{a₀}^{a₁} (μ + σn)^k φ(n) dn + P(z = 1)
    with the antiderivatives Φ, −φ, Φ − nφ of φ, nφ, n²φ (checked by differentiation)."""
    n, mu, sigma = sp.Symbol("n", real=True), sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    density = sp.exp(-n**2 / 2) / sp.sqrt(2 * sp.pi)
    Phi = (1 + sp.erf(n / sp.sqrt(2))) / 2
    antiderivatives = {0: Phi, 1: -density, 2: Phi - n * density}
    for k, F in antiderivatives.items():
        if sp.expand(sp.diff(F, n) - n**k * density) != 0:
            raise AssertionError(f"antiderivative of n^{k}φ fails")
    a0, a1 = -mu / sigma, (1 - mu) / sigma

    def between(k):
        F = antiderivatives[k]
        return F.subs(n, a1) - F.subs(n, a0)

    prob_zero, prob_one = Phi.subs(n, a0), 1 - Phi.subs(n, a1)
    mean = mu * between(0) + sigma * between(1) + prob_one
    second = mu**2 * between(0) + 2 * mu * sigma * between(1) + sigma**2 * between(2) + prob_one
    return mu, sigma, prob_zero, prob_one, mean, second


@functools.cache
def _gaussian_closed_forms():
    mu, sigma, *expressions = _gaussian_symbolic()
    return tuple(sp.lambdify((mu, sigma), e, modules=[{"erf": erf}, "numpy"]) for e in expressions)


@functools.cache
def _derive_g1() -> Derivation:
    der = Derivation("G1", "the hard-concrete gate: exact zeros and ones, closed-form probabilities")
    u, l = sp.Symbol("u", positive=True), sp.Symbol("l", real=True)
    a, b, g, z, v = ALPHA, BETA_S, GAMMA_S, ZETA_S, V
    odds = (u / (1 - u)).subs(u, _sigmoid(l))
    if sp.cancel(sp.together(odds)) != sp.exp(l):
        raise AssertionError("logistic noise inversion fails")
    der.add("Noise L = ln u − ln(1 − u), u ~ U(0, 1), is increasing in u and L = l at u = σ(l) (sympy: the "
            "odds u/(1 − u) there are e^l), so P(L ≤ l) = σ(l): L is standard logistic.",
            sp.Eq(sp.Function("F_L")(l), _sigmoid(l)))
    pre_clip = g + (z - g) * _sigmoid((l + sp.log(a)) / b)
    der.add("Stretched gate before clipping, V(L) = γ + (ζ − γ)σ((L + ln α)/β):", pre_clip)
    p, q = sp.Symbol("p", positive=True), sp.Symbol("q", positive=True)  # p = v − γ, q = ζ − v on (γ, ζ)
    level = b * sp.log((v - g) / (z - v)) - sp.log(a)
    if not _vanishes(pre_clip.subs(l, level).subs({v: g + p, z: g + p + q}) - (g + p), (p, q, a)):
        raise AssertionError("inversion of V fails")
    der.add("V is increasing in L and V = v at L = l(v) (sympy: V(l(v)) − v = 0 for γ < v < ζ):", level)
    cdf_pq = p**b / (p**b + a * q**b)
    if not _vanishes(_sigmoid(b * sp.log(p / q) - sp.log(a)) - cdf_pq, (p, q, a)):
        raise AssertionError("rational CDF fails")
    cdf = cdf_pq.subs({p: v - g, q: z - v})
    der.add("so F_V(v) = σ(l(v)), which simplifies to", cdf)
    surrogate = _sigmoid(LOG_ALPHA - b * sp.log(-g / z))
    prob_zero = cdf.subs(v, 0)
    magnitude = sp.Symbol("G", positive=True)  # γ = −G
    if not _vanishes((1 - prob_zero - surrogate.subs(LOG_ALPHA, sp.log(a))).subs(g, -magnitude),
                     (magnitude, z, a)):
        raise AssertionError("P(z ≠ 0) fails")
    der.add("P(z = 0) = F_V(0):", prob_zero)
    der.add("P(z ≠ 0) = 1 − F_V(0), the L0 surrogate (sympy confirms the form in ℓ = ln α):", surrogate)
    prob_one = _sigmoid(LOG_ALPHA - b * sp.log((1 - g) / (z - 1)))
    excess, above = sp.Symbol("delta", positive=True), sp.Symbol("H", positive=True)  # ζ = 1 + δ, γ = 1 − H
    if not _vanishes((1 - cdf.subs(v, 1) - prob_one.subs(LOG_ALPHA, sp.log(a))).subs({z: 1 + excess, g: 1 - above}),
                     (excess, above, a)):
        raise AssertionError("P(z = 1) fails")
    der.add("P(z = 1) = 1 − F_V(1):", prob_one)
    mean_integral = sp.Integral(1 - cdf, (v, 0, 1))
    der.add("E z = ∫_0^1 P(z > v) dv (the identity of G2); for β = 2/3 it is computed by adaptive "
            "quadrature:", mean_integral)
    closed, at_one, _ = mean_beta_one()
    der.add("At β = 1 the integrand is rational and sympy's antiderivative (checked by differentiation) gives",
            closed)
    der.add("with the removable point α = 1, where E z =", at_one)
    pi = sp.Symbol("pi", positive=True)
    if not _vanishes((sp.diff(surrogate, LOG_ALPHA) - surrogate * (1 - surrogate)).subs(g, -magnitude),
                     (magnitude, z)):
        raise AssertionError("surrogate gradient fails")
    der.add("The surrogate's gradient ∂P(z ≠ 0)/∂ln α = π(1 − π):", pi * (1 - pi))
    limit_nonzero, limit_one = surrogate.subs(b, 0), prob_one.subs(b, 0)
    if limit_nonzero != limit_one:
        raise AssertionError("β → 0 limits differ")
    der.add("Both are continuous in β; at β → 0, P(z ≠ 0) and P(z = 1) both tend to σ(ln α): z becomes "
            "Bernoulli(σ(ln α)).", limit_nonzero)
    test_gate = sp.Min(1, sp.Max(0, _sigmoid(LOG_ALPHA) * (z - g) + g))
    median_gate = sp.Min(1, sp.Max(0, _sigmoid(LOG_ALPHA / b) * (z - g) + g))
    der.add("Test time (Louizos et al.): the deterministic gate", test_gate)
    der.add("The median of z (V at L = 0, also z's noise-free limit) is the same formula with ln α/β, so "
            "the two coincide at β = 1:", median_gate)
    zero_threshold = sp.log(-g / z)
    der.add("ẑ = 0 exactly iff ln α ≤", zero_threshold)
    der.results.update(cdf=cdf, prob_zero=prob_zero, prob_nonzero=surrogate, prob_one=prob_one,
                       mean_integral=mean_integral, mean_beta_one=closed, mean_alpha_one=at_one,
                       surrogate_grad=pi * (1 - pi), bernoulli_limit=limit_nonzero, test_gate=test_gate,
                       median_gate=median_gate, zero_threshold=zero_threshold)
    return der


def derive_g1() -> Derivation:
    return _copy(_derive_g1())


@functools.cache
def _derive_g2() -> Derivation:
    der = Derivation("G2", "clipped transformations of any real variable give gates with exact zeros")
    v = V
    F = sp.Function("F_V")
    der.add("z = min(1, max(0, V)) for any real V with CDF F_V; z = 0 iff V ≤ 0 and z = 1 iff V ≥ 1, so "
            "P(z = 0) = F_V(0), P(z = 1) = 1 − F_V(1), P(z ≠ 0) = 1 − F_V(0).")
    for k in (1, 2):
        product = v**k * (F(v) - 1)
        if sp.expand(sp.diff(product, v) - (k * v ** (k - 1) * (F(v) - 1) + v**k * sp.diff(F(v), v))) != 0:
            raise AssertionError("integration by parts fails")
    der.add("E z^k = ∫_0^1 v^k dF_V(v) + P(z = 1); integrating by parts with d/dv[v^k(F_V − 1)] = "
            "k v^{k−1}(F_V − 1) + v^k F_V′ (sympy) gives")
    mean = sp.Integral(1 - F(v), (v, 0, 1))
    second = sp.Integral(2 * v * (1 - F(v)), (v, 0, 1))
    der.add("E z =", mean)
    der.add("E z² =", second)
    _, _, prob_zero, prob_one, g_mean, g_second = _gaussian_symbolic()
    der.add("Gaussian gate V = μ + σN: with a₀ = −μ/σ, a₁ = (1 − μ)/σ and the antiderivatives Φ, −φ, Φ − nφ "
            "of φ, nφ, n²φ (sympy differentiates them back), P(z = 0) =", prob_zero)
    der.add("P(z = 1) =", prob_one)
    der.add("E z =", g_mean)
    der.add("E z² =", g_second)
    der.add("As σ → 0 these tend to the deterministic gate clip(μ, 0, 1) (checked numerically in G2).")
    sizes = sp.symbols("n_1:3", positive=True, integer=True)
    probs = sp.symbols("pi_1:3", positive=True)
    expectation = sum(sp.Mul(*[pk if bk else 1 - pk for bk, pk in zip(bits, probs)])
                      * sum(nk * bk for nk, bk in zip(sizes, bits))
                      for bits in ((0, 0), (0, 1), (1, 0), (1, 1)))
    surrogate = sum(nk * pk for nk, pk in zip(sizes, probs))
    if sp.expand(expectation - surrogate) != 0:
        raise AssertionError("group surrogate fails")
    der.add("Group gates: a gate shared by the |g| parameters of group g makes them zero together; "
            "the expected count of non-zero parameters (sympy: enumeration over two groups) is", surrogate)
    der.results.update(mean_identity=mean, second_identity=second, gaussian_prob_zero=prob_zero,
                       gaussian_prob_one=prob_one, gaussian_mean=g_mean, gaussian_second=g_second,
                       group_surrogate=surrogate)
    return der


def derive_g2() -> Derivation:
    return _copy(_derive_g2())


@functools.cache
def _derive_g3() -> Derivation:
    der = Derivation("G3", "L0-gated regression: an MCP-like effective penalty, hard thresholding at the optimum")
    m, s, theta, c, G, R = sp.symbols("m s theta c G R", real=True)
    w, e, lam = sp.symbols("w e lambda", positive=True)
    kappa, pi, a_hat = sp.symbols("kappa pi ahat", positive=True)
    coordinate = R - 2 * theta * c * m + theta**2 * G * s
    der.add("One coordinate of n·E_z L(θ⊙z) with the other gates independent (m = E z, s = E z², "
            "c = x_jᵀr, G = ||x_j||²; the others enter through r):", coordinate)
    penalty = G * w**2 * (s / m**2 - 1)
    if sp.cancel(coordinate.subs(theta, w / m) - (R - 2 * w * c + w**2 * G + penalty)) != 0:
        raise AssertionError("mean-weight form fails")
    der.add("In the mean weight w = θ·m it is the fit of w plus the penalty (κ = Var z/(E z)² = s/m² − 1):",
            penalty)
    profiled = e * w**2 * kappa + lam * pi
    der.add("With e = G/n and the L0 term λπ, profiling out ln α leaves Ω(w) = min over ln α of", profiled)
    eta = sp.Symbol("eta", positive=True)
    eta_form = sp.Rational(1, 2) * (w**2 / eta + 2 * lam * pi)
    if sp.cancel(eta_form.subs(eta, 1 / (2 * e * kappa)) - profiled) != 0:
        raise AssertionError("η form fails")
    der.add("an η-trick penalty ½(w²/η + f(η)) with η = 1/(2eκ), f = 2λπ:", eta_form)
    keep = 1 / (1 + kappa)
    der.add("Envelope theorem: Ω′(w) = 2ewκ(ln α̂(w)) = 2ew(1 − α)/α with the keep rate", keep)
    t = sp.Symbol("t", positive=True)
    alpha_t = sp.Function("alpha")(t)
    e4 = 2 * e * sp.Integral(t * (1 - alpha_t) / alpha_t, (t, 0, w))
    der.add("so Ω(w) = (E4 with 1/λ_E = 2e)", e4)
    m1, m2 = sp.symbols("m_1 m_2", positive=True)
    small = e * w**2 * m2 / (m1**2 * pi) + lam * pi
    best = w * sp.sqrt(e * m2 / lam) / m1
    if sp.cancel(sp.diff(small, pi).subs(pi, best)) != 0:
        raise AssertionError("small-weight minimiser fails")
    slope = sp.powsimp(sp.expand(small.subs(pi, best)), force=True)
    der.add("As ln α → −∞, E z^k ≈ π m_k (m_k: moments of z given z ≠ 0 in the limit), κ ≈ m₂/(m₁²π); "
            "the minimum over π (at π = w√(e m₂/λ)/m₁) gives the slope at 0:", slope)
    u_max = sp.Symbol("u_max", positive=True)
    plateau_point = sp.sqrt(lam / e) * u_max
    der.add("As ln α → +∞, κ → 0 and π → 1, so Ω ≤ λ; Ω = λ exactly once e w²κ ≥ λ(1 − π) for every ln α, "
            "i.e. for |w| ≥", plateau_point)
    fit = e * (w - a_hat) ** 2 + e * w**2 * kappa + lam * pi
    w_star = a_hat / (1 + kappa)
    value = lam * pi + e * a_hat**2 * kappa / (1 + kappa)
    if sp.cancel(sp.diff(fit, w).subs(w, w_star)) != 0 or sp.cancel(fit.subs(w, w_star) - value) != 0:
        raise AssertionError("orthogonal-design minimiser fails")
    der.add("Orthogonal design (XᵀX = n e I): per coordinate, minimising e(w − â)² + e w²κ + λπ over w gives "
            "w = â/(1 + κ) and", value)
    rule = sp.Gt(e * a_hat**2, lam)
    der.add("This is e â²(1 − r) + λπ with r = 1/(1 + κ) = (E z)²/E z², and π/r = E[z²|z ≠ 0]/E[z|z ≠ 0]² ≥ 1 "
            "with infimum 1 (ln α → ∞), so it is ≥ min(e â², λ), approached by closing or fully opening the "
            "gate: the optimum keeps j iff", rule)
    der.add("Both coordinate states are local minima in the band u_max < |â|√(e/λ) < c₀/2 (the pruned state "
            "while the slope c₀ beats 2|â|√(e/λ), the kept state while Ω is flat at â).")
    der.results.update(penalty=penalty, profiled=profiled, eta_form=eta_form, keep_rate=keep, e4_integral=e4,
                       zero_slope=slope, plateau_point=plateau_point, orthogonal_value=value, keep_rule=rule)
    return der


def derive_g3() -> Derivation:
    return _copy(_derive_g3())
