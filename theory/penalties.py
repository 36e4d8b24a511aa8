"""Penalties in η-trick form and the adaptive-dropout keep rates they imply (claims E1, E4; [L]).

Convention (THEORY.md E1): a penalty is

    Ω(w) = ½·min_{η>0} [w²/η + f(η)],   minimiser η̂(w),   Ω′(w) = w/η̂(w)  (envelope theorem),

and dropout with keep rate α = η/(η + λ) applied with inverse scaling is the Tikhonov term
(λ/2)·||x||²w²/η (E2). So a penalty object offers, vectorised over arrays of any shape,
`omega(w)`, `f(eta)`, `eta_hat(w)`, `derivative(w)` = Ω′(w) and `keep_rate(w, lam)` = η̂/(η̂ + λ).
Conversely a keep-rate rule α(|w|) defines η̂ = λα/(1 − α) and Ω(w) = (1/λ)∫_0^{|w|} t(1−α)/α dt =
∫_0^{|w|} t/η̂(t) dt (E4); f is then f(η) = sup_w [2Ω(w) − w²/η]. η̂ = ∞ means "never dropped"
(keep rate 1, Ω′ = 0); f accepts η = ∞ and returns its limit.

Families (`get_penalty(name, **params)`):

  name            parameters (defaults)           Ω(w)                                η̂(w), f(η)
  lp              p ∈ (0, 2) (1)                  |w|^p/p                             |w|^{2−p};  η^q/q, q = p/(2−p)
  logsum          eps > 0 (1)                     ln(|w| + ε)                         |w|(|w|+ε); 2ln((ε+r)/2) − 1 + 2ε/(ε+r), r = √(ε²+4η)
  log2sum         eps > 0 (1)                     ln(w² + ε)                          (w²+ε)/2;  2ln(2η) + ε/η − 2
  scad            a > 2 (3.7), lam > 0 (1)        SCAD/λ: |w| on |w| ≤ λ;             |w|; (a−1)λ|w|/(aλ−|w|); ∞
                                                  (2aλ|w| − w² − λ²)/(2(a−1)λ) to aλ;  f = η on η ≤ λ, else
                                                  (a+1)λ/2 beyond                     λ((a+1)η − λ)/(η + (a−1)λ)
  mcp             a > 0 (3), lam > 0 (1)          |w| − w²/(2aλ) on |w| ≤ aλ, aλ/2    aλ|w|/(aλ−|w|), ∞ beyond;  aλη/(η+aλ)
  vardrop         —                               exact variational-dropout dual      f′(η) = D(√(η/2))/√(η/2), f(0) = 0
  vardrop_approx  —                               Molchanov et al. 2017 KL fit        f(η) = 2·KL_fit(1/η)
  standout        slope a > 0 (1), offset b (0)   e^{−b}/a²·P(2, a|w|)                 e^{a|w|+b}  (keep σ(a|w| + b − ln λ))
  hardconcrete    beta > 0 (2/3), gamma < 0       L0 gate of Louizos et al. 2018,     parametric in the gate location
                  (−0.1), zeta > 1 (1.1)          see `HardConcrete`
  topk            k ≥ 1 (1)                       vector penalty: 0 if ||w||₀ ≤ k else ∞  (last axis; see `TopK`)

MCP and SCAD are the usual penalties divided by λ, so that λ·Ω in the objective is the usual one.
Variational dropout (Kingma et al. 2015, Molchanov et al. 2017): multiplicative noise ξ ~ N(1, σ²) with
σ² = 1/η, whose data term is (by E2's computation) ½||x||²w²/η, plus the KL divergence to the
log-uniform prior, normalised to vanish as σ² → ∞:
    KL(σ²) = E log|1/σ + ε| − E log|ε|,  ε ~ N(0, 1),   dKL/d(1/σ) = √2·D(1/(σ√2)),
so f(η) = 2·KL(1/η) = 4∫_0^{√(η/2)} D(x) dx has f′(η) = D(√(η/2))/√(η/2), f(0) = 0 ("vardrop"), and the
Molchanov fit −KL ≈ k1σ(k2 + k3 ln σ²) − ½ ln(1 + 1/σ²) − k1 (k1 = 0.63576, k2 = 1.87320,
k3 = 1.48695) gives f(η) = 2k1·σ(k3 ln η − k2) + ln(1 + η) ("vardrop_approx"). A KL weight λ with
noise σ² = λ/η (the keep rate η/(η+λ) of E2) gives f(η/λ) instead, i.e. the penalty Ω(w/√λ).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
from scipy.special import dawsn, expit, gammainc, log_expit

from theory.penalty_duals import dawson_integral, gate_terms, solve_increasing
from theory.validation import real_values

MOLCHANOV_K = (0.63576, 1.87320, 1.48695)
PLATEAU_TOL = 1e-11  # rounding allowance for ln H on its plateau (see HardConcrete)
NEWTON_STEP_TOL = 1e-8  # parametric inversions stop at |δ| ≤ this and correct to first order: error O(δ²)


# --------------------------------------------------------------------------- validation


def _scales(value, name: str = "eta") -> np.ndarray:
    """η as a float64 array with every entry in (0, ∞]."""
    array = real_values(value, name, allow_inf=True)
    if np.any(~(array > 0)):
        raise ValueError(f"{name} must lie in (0, inf] (no NaN, no values ≤ 0)")
    return array


def _parameter(family: str, name: str, value, low: float, high: float = np.inf, *, low_open=True,
               high_open=True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{family}: {name} must be a real number, got {value!r}")
    value = float(value)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (np.isfinite(value) and above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{family}: {name} must lie in {interval}, got {value!r}")
    return value


# --------------------------------------------------------------------------- the interface


class Penalty:
    """Ω(w) = ½·min_{η>0}[w²/η + f(η)]; subclasses implement _omega, _eta_hat (of |w|) and _f."""

    name = ""

    @property
    def params(self) -> dict:
        return {key: getattr(self, key) for key in inspect.signature(type(self)).parameters}

    def __repr__(self) -> str:
        return f"get_penalty({self.name!r}, " + ", ".join(f"{k}={v!r}" for k, v in self.params.items()) + ")"

    def omega(self, w) -> np.ndarray:
        """Ω(w), elementwise."""
        return self._omega(np.abs(real_values(w, "w")))

    def eta_hat(self, w) -> np.ndarray:
        """η̂(w) = argmin_η [w²/η + f(η)] ∈ [0, ∞], elementwise (∞: the weight is never dropped)."""
        return self._eta_hat(np.abs(real_values(w, "w")))

    def f(self, eta) -> np.ndarray:
        """The dual f(η) for η ∈ (0, ∞] (η = ∞ gives the limit)."""
        return self._f(_scales(eta))

    def derivative(self, w) -> np.ndarray:
        """Ω′(w) = w/η̂(w); 0 where η̂ = ∞ and at w = 0 (the minimum-norm subgradient there)."""
        w = real_values(w, "w")
        eta = self._eta_hat(np.abs(w))
        return np.divide(w, eta, out=np.zeros_like(w, dtype=np.float64), where=eta > 0)

    def keep_rate(self, w, lam) -> np.ndarray:
        """α(w) = η̂(w)/(η̂(w) + λ), the dropout keep rate whose Tikhonov term (E2) has strength λ/η̂."""
        lam = real_values(lam, "lam")
        if np.any(lam <= 0):
            raise ValueError("lam must be positive")
        eta = self.eta_hat(w)
        with np.errstate(invalid="ignore"):
            return np.where(np.isinf(eta), 1.0, eta / (eta + lam))


# --------------------------------------------------------------------------- closed forms


class Lp(Penalty):
    """Ω = |w|^p/p, η̂ = |w|^{2−p}, f(η) = η^q/q with q = p/(2−p), 0 < p < 2."""

    name = "lp"

    def __init__(self, p: float = 1.0):
        self.p = _parameter("lp", "p", p, 0.0, 2.0)

    def _omega(self, a):
        return a**self.p / self.p

    def _eta_hat(self, a):
        return a ** (2 - self.p)

    def _f(self, eta):
        q = self.p / (2 - self.p)
        return eta**q / q


class LogSum(Penalty):
    """Ω = ln(|w| + ε), η̂ = |w|(|w| + ε), f(η) = 2 ln((ε + r)/2) − 1 + 2ε/(ε + r) with r = √(ε² + 4η)."""

    name = "logsum"

    def __init__(self, eps: float = 1.0):
        self.eps = _parameter("logsum", "eps", eps, 0.0)

    def _omega(self, a):
        return np.log(a + self.eps)

    def _eta_hat(self, a):
        return a * (a + self.eps)

    def _f(self, eta):
        r = np.sqrt(self.eps**2 + 4 * eta)
        return 2 * np.log((self.eps + r) / 2) - 1 + 2 * self.eps / (self.eps + r)


class Log2Sum(Penalty):
    """Ω = ln(w² + ε), η̂ = (w² + ε)/2, f(η) = 2 ln(2η) + ε/η − 2."""

    name = "log2sum"

    def __init__(self, eps: float = 1.0):
        self.eps = _parameter("log2sum", "eps", eps, 0.0)

    def _omega(self, a):
        return np.log(a**2 + self.eps)

    def _eta_hat(self, a):
        return (a**2 + self.eps) / 2

    def _f(self, eta):
        return 2 * np.log(2 * eta) + self.eps / eta - 2


class MCP(Penalty):
    """MCP/λ: Ω = |w| − w²/(2aλ) on |w| ≤ aλ, else aλ/2; η̂ = aλ|w|/(aλ − |w|) (∞ beyond aλ);
    f(η) = aλη/(η + aλ)."""

    name = "mcp"

    def __init__(self, a: float = 3.0, lam: float = 1.0):
        self.a = _parameter("mcp", "a", a, 0.0)
        self.lam = _parameter("mcp", "lam", lam, 0.0)

    def _omega(self, a):
        t = self.a * self.lam
        return np.where(a < t, a - a**2 / (2 * t), t / 2)

    def _eta_hat(self, a):
        t = self.a * self.lam
        inside = a < t
        return np.where(inside, t * a / np.where(inside, t - a, 1.0), np.inf)

    def _f(self, eta):
        t = self.a * self.lam
        return t / (1 + t / eta)


class SCAD(Penalty):
    """SCAD/λ (Fan & Li 2001): Ω = |w| on |w| ≤ λ, (2aλ|w| − w² − λ²)/(2(a−1)λ) on λ < |w| ≤ aλ,
    (a+1)λ/2 beyond. η̂ = |w| | (a−1)λ|w|/(aλ − |w|) | ∞; f(η) = η on η ≤ λ, λ((a+1)η − λ)/(η + (a−1)λ)
    beyond (the sup over w of 2Ω(w) − w²/η, attained at |w| = η̂⁻¹(η); sympy checks it, `derive_e1`)."""

    name = "scad"

    def __init__(self, a: float = 3.7, lam: float = 1.0):
        self.a = _parameter("scad", "a", a, 2.0)
        self.lam = _parameter("scad", "lam", lam, 0.0)

    def _omega(self, a):
        k, lam = self.a, self.lam
        middle = (2 * k * lam * a - a**2 - lam**2) / (2 * (k - 1) * lam)
        return np.where(a <= lam, a, np.where(a < k * lam, middle, (k + 1) * lam / 2))

    def _eta_hat(self, a):
        k, lam = self.a, self.lam
        inside = a < k * lam
        middle = (k - 1) * lam * a / np.where(inside, k * lam - a, 1.0)
        return np.where(a <= lam, a, np.where(inside, middle, np.inf))

    def _f(self, eta):
        k, lam = self.a, self.lam
        ratio = lam / eta
        return np.where(eta <= lam, eta, lam * ((k + 1) - ratio) / (1 + (k - 1) * ratio))


class Standout(Penalty):
    """Keep rate σ(a|w| + b − ln λ) (Ba & Frey 2013: a sigmoid of |w|), i.e. η̂ = e^{a|w| + b}.

    E4: Ω(w) = ∫_0^{|w|} t e^{−at−b} dt = e^{−b}/a²·[1 − (1 + a|w|)e^{−a|w|}] = e^{−b}/a²·P(2, a|w|)
    (P the regularised lower incomplete gamma function, accurate for small a|w|).
    f(η) = 0 for η ≤ e^b, else 2Ω(w_η) − w_η²/η with w_η = (ln η − b)/a.
    """

    name = "standout"

    def __init__(self, slope: float = 1.0, offset: float = 0.0):
        self.slope = _parameter("standout", "slope", slope, 0.0)
        self.offset = _parameter("standout", "offset", offset, -np.inf)

    def _omega(self, a):
        return np.exp(-self.offset) / self.slope**2 * gammainc(2, self.slope * a)

    def _eta_hat(self, a):
        with np.errstate(over="ignore"):
            return np.exp(self.slope * a + self.offset)

    def _f(self, eta):
        finite = np.where(np.isinf(eta), 1.0, eta)
        w_eta = np.maximum((np.log(finite) - self.offset) / self.slope, 0.0)
        value = 2 * self._omega(w_eta) - w_eta**2 / finite
        return np.where(np.isinf(eta), 2 * self._omega(np.inf), value)


# --------------------------------------------------------------------------- numerical duals


class VariationalDropout(Penalty):
    """Exact variational-dropout dual: f(η) = 4∫_0^{√(η/2)} D(x) dx, f′(η) = D(√(η/2))/√(η/2).

    η̂ solves w² = η²f′(η); with x = √(η/2) this is 4x³D(x) = w², increasing in x, solved by
    `solve_increasing` in ln x within the bracket [ln √(|w|/2), ln max(1, |w|/√2)] (D(x) ≤ x for all
    x, D(x) ≥ 1/(2x) for x ≥ 1). Ω = ½[w²/η̂ + f(η̂)]. Near 0, Ω ≈ |w|; for large |w|, Ω ≈ ln|w| + c.
    """

    name = "vardrop"

    def __init__(self):
        pass

    def _eta_hat(self, a):
        flat = a.ravel()
        out = np.zeros_like(flat)
        positive = np.flatnonzero(flat > 0)
        w = flat[positive]
        target = 2 * np.log(w)

        def residual(log_x, index):
            x = np.exp(log_x)
            d = dawsn(x)
            slope = np.clip(3 + x / d - 2 * x**2, 1.0, 5.0)  # d ln(x³D)/d ln x ∈ (2, 4)
            return np.log(4 * d) + 3 * log_x - target[index], slope

        lo = 0.5 * np.log(w / 2)
        hi = np.log(np.maximum(1.0, w / np.sqrt(2)))
        guess = np.where(w < 1, lo, np.log(w / np.sqrt(2)))
        out[positive] = 2 * np.exp(2 * solve_increasing(residual, lo, hi, guess))
        return out.reshape(a.shape)

    def _f(self, eta):
        return 4 * dawson_integral(np.sqrt(eta / 2))

    def _omega(self, a):
        eta = self._eta_hat(a)
        ratio = np.divide(a**2, eta, out=np.zeros_like(a), where=eta > 0)
        return 0.5 * (ratio + self._f(np.where(eta > 0, eta, 1.0)) * (eta > 0))


class VariationalDropoutApprox(Penalty):
    """Molchanov et al. 2017's KL fit as a dual: f(η) = 2k1·σ(k3 ln η − k2) + ln(1 + η).

    f(0) = 0 and f(η) = ln η + O(1) as η → ∞, like the exact dual. η̂ solves h(η) = η²f′(η) = w² with
    h = 2k1k3·ησ(1−σ) + η²/(1+η), increasing in η (checked on a grid in the tests); the bracket
    [w²/(1 + k1k3/2), w² + 1] follows from σ(1−σ) ≤ ¼ and η²/(1+η) ≥ η − 1.
    """

    name = "vardrop_approx"

    def __init__(self):
        pass

    def _eta_hat(self, a):
        k1, k2, k3 = MOLCHANOV_K
        flat = a.ravel()
        out = np.zeros_like(flat)
        positive = np.flatnonzero(flat > 0)
        w2 = flat[positive] ** 2

        def residual(log_eta, index):
            eta = np.exp(log_eta)
            s = expit(k3 * log_eta - k2)
            bump = 2 * k1 * k3 * s * (1 - s)
            h = bump * eta + eta**2 / (1 + eta)
            dh = bump * (1 + k3 * (1 - 2 * s)) + eta * (2 + eta) / (1 + eta) ** 2
            return np.log(h) - np.log(w2[index]), eta * dh / h

        lo = np.log(w2 / (1 + k1 * k3 / 2))
        hi = np.log(w2 + 1)
        out[positive] = np.exp(solve_increasing(residual, lo, hi, np.minimum(hi, np.log(w2) + 0.5 * np.log1p(1 / w2))))
        return out.reshape(a.shape)

    def _f(self, eta):
        k1, k2, k3 = MOLCHANOV_K
        with np.errstate(divide="ignore"):
            return 2 * k1 * expit(k3 * np.log(eta) - k2) + np.log1p(eta)

    def _omega(self, a):
        eta = self._eta_hat(a)
        ratio = np.divide(a**2, eta, out=np.zeros_like(a), where=eta > 0)
        return 0.5 * (ratio + self._f(np.where(eta > 0, eta, 1.0)) * (eta > 0))


GATE_NODE_COUNTS = (16, 24, 32, 48, 64, 96, 128)
GATE_QUADRATURE_TOL = 1e-13


@functools.lru_cache(maxsize=8)
def _gate_table(beta: float, gamma: float, zeta: float):
    """(grid of gate locations s, ln η(s), ln H(s), node count) for HardConcrete.

    The node count is the smallest in GATE_NODE_COUNTS whose ln η, ln H and f agree with the rule of
    twice as many nodes to GATE_QUADRATURE_TOL·max(1, |value|) on every 10th grid point.
    """
    s = np.arange(HardConcrete.S_MIN, HardConcrete.S_MAX + HardConcrete.S_STEP / 2, HardConcrete.S_STEP)
    for nodes in GATE_NODE_COUNTS:
        coarse, fine = (_gate_curve(s[::10], beta, gamma, zeta, count) for count in (nodes, 2 * nodes))
        if all(np.all(np.abs(coarse[k] - fine[k]) <= GATE_QUADRATURE_TOL * np.maximum(1, np.abs(fine[k])))
               for k in ("log_eta", "log_h", "f")):
            break
    else:
        raise ValueError(f"hardconcrete: gate moments for beta={beta}, gamma={gamma}, zeta={zeta} do not "
                         f"converge with {GATE_NODE_COUNTS[-1]} quadrature nodes")
    terms = _gate_curve(s, beta, gamma, zeta, nodes)
    return s, terms["log_eta"], terms["log_h"], nodes


def _gate_curve(s, beta, gamma, zeta, nodes) -> dict[str, np.ndarray]:
    """At gate locations s: ln η = ln(m1²/v), f = 2P(z ≠ 0) and f′, ln H = ln(η f′/(ln η)′), and the
    derivatives (ln η)′, (ln H)′ in s."""
    m = gate_terms(s, beta, gamma, zeta, nodes)
    c0 = beta * np.log(-gamma / zeta)
    r1, rv = m["dm1"] / m["m1"], m["dv"] / m["v"]
    e1 = 2 * r1 - rv  # (ln η)′
    de1 = 2 * (m["d2m1"] / m["m1"] - r1**2) - (m["d2v"] / m["v"] - rv**2)
    open_rate, closed_rate = expit(s - c0), expit(c0 - s)
    log_eta = 2 * np.log(m["m1"]) - np.log(m["v"])
    log_fprime = np.log(2.0) + log_expit(s - c0) + log_expit(c0 - s)
    return {"log_eta": log_eta, "dlog_eta": e1, "f": 2 * open_rate, "fprime": 2 * open_rate * closed_rate,
            "log_h": log_eta + log_fprime - np.log(e1), "dlog_h": e1 + (closed_rate - open_rate) - de1 / e1}


class HardConcrete(Penalty):
    """The effective penalty of an L0 hard-concrete gate (Louizos et al. 2018) on one weight.

    A gated weight z·θ with E z = m1, Var z = v has E_z ½||y − x zθ||² = ½||y − x m1θ||² + ½||x||²vθ²:
    in the effective weight w = m1θ, the Tikhonov term ½||x||²w²/η of E2 with η = m1²/v, i.e. the keep
    rate α = η/(η + 1) = m1²/E z² of the Bernoulli mask with the same coefficient of variation. Adding
    the L0 cost P(z ≠ 0) = σ(s − β ln(−γ/ζ)) (with the same weight λ = 1) gives the dual in parametric
    form over the gate location s = ln α_gate:
        η(s) = m1(s)²/v(s),   f(s) = 2P(z ≠ 0),   Ω(w) = ½·min_s [w²/η(s) + f(s)]   (λ ≠ 1: Ω(w/√λ)).
    dφ/ds for φ = w²/η + f has the sign of H(s) − w², H = η²(df/ds)/(dη/ds) = ηf′/(ln η)′. H rises to
    a peak H* and then falls to a finite limit (the gate can open fully: z ≡ 1, cost 2, no noise), or,
    for small β, rises monotonically to that limit; so for w² < H* the local minimiser s₁(w) solves
    H(s) = w² on the rising branch, and
        Ω(w) = min(½φ(s₁), 1),  η̂ = η(s₁) if ½φ(s₁) < 1 else ∞ (the keep rate jumps to 1 there).
    The peak is the first grid point after which ln H stops increasing; when H rises monotonically to
    its limit this happens on the plateau (s ≈ 30, where rounding noise takes over) and 2 − φ(s) =
    O(e^{-s}), so setting Ω = 1, η̂ = ∞ beyond it changes Ω by less than 1e-11. Parameters whose H is not
    unimodal (up to PLATEAU_TOL) are refused (ValueError).
    s₁ (and, for f(η), the s with η(s) = η) is found by `solve_increasing` in the bracket given by a
    table on a grid of s, with Newton steps from quadrature derivatives; the values at the last iterate
    are corrected to first order in the remaining Newton step, so their error is its square. Gate
    moments: `gate_terms` (Gauss–Legendre, no sampling, node count chosen by `_gate_table`). Below the table (|w| < w_min ≈ 1e-60) Ω and
    η̂ are extended linearly, f proportionally to η (relative error O(w_min)).
    """

    name = "hardconcrete"
    S_MIN, S_MAX, S_STEP = -150.0, 60.0, 0.02

    def __init__(self, beta: float = 2 / 3, gamma: float = -0.1, zeta: float = 1.1):
        self.beta = _parameter("hardconcrete", "beta", beta, 0.0)
        self.gamma = _parameter("hardconcrete", "gamma", gamma, -np.inf, 0.0)
        self.zeta = _parameter("hardconcrete", "zeta", zeta, 1.0)
        s, log_eta, log_h, self._nodes = _gate_table(self.beta, self.gamma, self.zeta)
        steps = np.diff(log_h)
        peak = int(np.argmax(steps <= 0)) if np.any(steps <= 0) else log_h.size - 1
        if (log_h[peak] < log_h.max() - PLATEAU_TOL or np.any(steps[peak:] > PLATEAU_TOL)
                or np.any(np.diff(log_eta) <= 0)):
            raise ValueError("hardconcrete: these beta, gamma, zeta give a stationarity map H(s) that is not "
                             "unimodal (or η(s) not increasing); only unimodal maps are supported")
        self._s, self._log_eta, self._log_h, self._peak = s, log_eta, log_h, peak

    def _curve(self, s) -> dict[str, np.ndarray]:
        return _gate_curve(s, self.beta, self.gamma, self.zeta, self._nodes)

    def _invert(self, key: str, table: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
        """The curve at s with curve[key](s) = targets (table: curve[key] on the grid, increasing), with
        ln η and f corrected to first order in the last Newton step δ = (target − value)/slope."""
        grid = self._s[: table.size]
        j = np.clip(np.searchsorted(table, targets) - 1, 0, table.size - 2)
        lo, hi = grid[j], grid[j + 1]
        guess = lo + (targets - table[j]) / (table[j + 1] - table[j]) * (hi - lo)
        cache = {name: np.empty_like(targets) for name in ("log_eta", "dlog_eta", "f", "fprime", "value", "slope")}

        def residual(x, index):
            curve = self._curve(x)
            for name in ("log_eta", "dlog_eta", "f", "fprime"):
                cache[name][index] = curve[name]
            cache["value"][index], cache["slope"][index] = curve[key] - targets[index], curve["d" + key]
            return cache["value"][index], cache["slope"][index]

        s = solve_increasing(residual, lo, hi, guess, xtol=NEWTON_STEP_TOL)
        delta = np.clip(-cache["value"] / cache["slope"], lo - s, hi - s)
        return {"log_eta": cache["log_eta"] + cache["dlog_eta"] * delta, "f": cache["f"] + cache["fprime"] * delta,
                "s": s + delta}

    def gate_location(self, w) -> np.ndarray:
        """s₁(w), the gate location that minimises w²/η(s) + f(s); +inf where the gate opens fully
        (η̂ = ∞) and −inf at w = 0 (the gate closes)."""
        return self._solve(np.abs(real_values(w, "w")))[2]

    def _solve(self, a):
        """(Ω, η̂, s₁) for |w| = a."""
        flat = a.ravel()
        omega, eta = np.zeros_like(flat), np.zeros_like(flat)
        location = np.full_like(flat, -np.inf)
        log_w2 = np.full_like(flat, -np.inf)
        np.log(flat**2, out=log_w2, where=flat > 0)
        floor, peak = self._log_h[0], self._log_h[self._peak]
        branch = np.flatnonzero((log_w2 >= floor) & (log_w2 < peak))
        curve = self._invert("log_h", self._log_h[: self._peak + 1], log_w2[branch])
        eta_branch = np.exp(curve["log_eta"])
        value = 0.5 * (flat[branch] ** 2 / eta_branch + curve["f"])
        open_gate = value >= 1
        omega[branch] = np.where(open_gate, 1.0, value)
        eta[branch] = np.where(open_gate, np.inf, eta_branch)
        location[branch] = np.where(open_gate, np.inf, curve["s"])
        beyond = log_w2 >= peak
        omega[beyond], eta[beyond], location[beyond] = 1.0, np.inf, np.inf
        tiny = np.flatnonzero((flat > 0) & (log_w2 < floor))
        if tiny.size:
            base = self._curve(self._s[:1])
            w0, eta0 = np.exp(floor / 2), np.exp(base["log_eta"][0])
            omega[tiny] = flat[tiny] / w0 * 0.5 * (w0**2 / eta0 + base["f"][0])
            eta[tiny] = flat[tiny] / w0 * eta0
            location[tiny] = self._s[0] + np.log(flat[tiny] / w0)  # η ∝ e^s and η̂ ∝ |w| there
        return omega.reshape(a.shape), eta.reshape(a.shape), location.reshape(a.shape)

    def _omega(self, a):
        return self._solve(a)[0]

    def _eta_hat(self, a):
        return self._solve(a)[1]

    def _f(self, eta):
        """f = 2P(z ≠ 0) at the location s(η) solving ln η(s) = ln η (η(s) increases from 0 to ∞)."""
        flat = eta.ravel()
        log_eta = np.log(flat)
        out = np.full_like(flat, 2.0)
        table = self._log_eta
        inside = np.flatnonzero((log_eta >= table[0]) & (log_eta <= table[-1]))
        out[inside] = self._invert("log_eta", table, log_eta[inside])["f"]
        below = log_eta < table[0]  # (ln η)′ → 1 and f ∝ η as s → −∞
        base = self._curve(self._s[:1])
        out[below] = base["f"][0] * np.exp(log_eta[below] - table[0])
        above = np.isfinite(log_eta) & (log_eta > table[-1])  # (ln η)′ → 1 as s → ∞
        c0 = self.beta * np.log(-self.gamma / self.zeta)
        out[above] = 2 * expit(self._s[-1] + log_eta[above] - table[-1] - c0)
        return out.reshape(eta.shape)


# --------------------------------------------------------------------------- hard thresholding


class TopK(Penalty):
    """Hard thresholding: keep the k largest |w_j| of each vector (last axis), drop the rest.

    As an η-trick it is a *vector* penalty: f(η) = 0 if at most k entries of η are non-zero, else ∞,
    with η_j ∈ {0, ∞}; then ½·min_η Σ_j[w_j²/η_j + f(η)] (0/0 = 0) is
        Ω(w) = 0 if ||w||₀ ≤ k, else ∞   (the indicator of the k-sparse vectors),
    and the minimiser η̂_j = ∞ on the k largest |w_j| (ties: the lower index first), 0 elsewhere, so the
    keep rate is 1 on the top k and 0 elsewhere for every λ. Ω is constant (0) on the k-sparse set, so
    `derivative` returns 0. Arrays must have at least one axis; the last is the vector.
    """

    name = "topk"

    def __init__(self, k: int = 1):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"topk: k must be a positive integer, got {k!r}")
        self.k = int(k)

    def _vector(self, w, name: str) -> np.ndarray:
        w = real_values(w, name)
        if w.ndim < 1:
            raise ValueError(f"topk: {name} must have at least one axis (the last is the vector)")
        return w

    def omega(self, w) -> np.ndarray:
        w = self._vector(w, "w")
        return np.where(np.count_nonzero(w, axis=-1) <= self.k, 0.0, np.inf)

    def eta_hat(self, w) -> np.ndarray:
        w = self._vector(w, "w")
        order = np.argsort(-np.abs(w), axis=-1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(w.shape[-1]), axis=-1)
        return np.where(ranks < self.k, np.inf, 0.0)

    def f(self, eta) -> np.ndarray:
        if np.iscomplexobj(eta):
            raise TypeError("eta must be real, got a complex value")
        eta = np.asarray(eta, dtype=np.float64)
        if eta.ndim < 1 or np.any(~((eta == 0) | np.isposinf(eta))):
            raise ValueError("topk: eta must be a vector (last axis) with entries in {0, inf}")
        return np.where(np.count_nonzero(eta, axis=-1) <= self.k, 0.0, np.inf)

    def derivative(self, w) -> np.ndarray:
        return np.zeros_like(self._vector(w, "w"))

    def keep_rate(self, w, lam) -> np.ndarray:
        lam = real_values(lam, "lam")
        if np.any(lam <= 0):
            raise ValueError("lam must be positive")
        return np.where(np.isinf(self.eta_hat(w)), 1.0, 0.0)


# --------------------------------------------------------------------------- the registry of families

FAMILIES: dict[str, type[Penalty]] = {
    cls.name: cls for cls in (Lp, LogSum, Log2Sum, SCAD, MCP, VariationalDropout, VariationalDropoutApprox,
                              Standout, HardConcrete, TopK)
}
SCALAR_FAMILIES = tuple(name for name in FAMILIES if name != "topk")


def get_penalty(name: str, **params) -> Penalty:
    """The penalty family `name` (see the module docstring) with the given parameters."""
    if name not in FAMILIES:
        raise ValueError(f"unknown penalty name {name!r}; valid names: {', '.join(FAMILIES)}")
    cls = FAMILIES[name]
    valid = tuple(inspect.signature(cls).parameters)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"{name}: unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(valid) or 'none'}")
    return cls(**params)
