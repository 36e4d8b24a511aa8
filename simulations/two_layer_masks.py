"""Two-layer ReLU networks whose first-layer weights carry stochastic masks (claims B4, B5).

Network and stochastic predictor. Inputs get a constant feature, x̃ = (x, 1) ∈ R^D (D = d + 1, the
bias is the last input weight), first layer W̃ (h×D), fixed second layer v (h), output
f(x) = Σ_i v_i·relu((W̃x̃)_i), prediction sign f(x); a tie f(x) = 0 counts as an error. A
`MaskedNetwork` is a distribution Q over first layers,

    W̃ = M ⊙ (μ + σ·Ξ),   M_ij ~ Bernoulli(p_ij),  Ξ_ij ~ N(0, 1),  all independent,

with keep probabilities p = sigmoid(u) given by logits u, means μ and one noise scale σ ≥ 0 (σ = 0:
only the masks are random). Between two such laws with the same σ and v (product measures),

    KL(Q‖P) = Σ_ij kl(p_ij‖q_ij) + Σ_ij (μ_ij − μ^P_ij)²/(2σ²)      (the second sum is 0 if μ = μ^P).

Training surrogate (moment matching, as in fast dropout). Given x, the pre-activation z_i is a sum of
independent terms with mean and variance

    a_i = Σ_j p_ij μ_ij x̃_j,     s_i² = Σ_j [p_ij(1 − p_ij)μ_ij² + p_ij σ²]·x̃_j²;

for z_i ~ N(a_i, s_i²), t = a/s, the ReLU moments are m1 = aΦ(t) + sφ(t), m2 = (a² + s²)Φ(t) + asφ(t),
with ∂m1/∂a = Φ(t), ∂m1/∂s = φ(t), ∂m2/∂a = 2m1, ∂m2/∂s = 2sΦ(t). Units are independent given x (disjoint
rows of W̃), so f has mean F = Σ_i v_i m1_i and variance V = Σ_i v_i²(m2_i − m1_i²), and the
standardised margin is g = yF/√V. Two surrogate risks are means over the points of
  probit    Φ(−g): the Gaussian approximation of P_Q(y f(x) ≤ 0), a smooth stand-in for the 0-1 risk
            of the stochastic predictor, in [0, 1];
  logistic  log2(1 + e^{−g}) ≥ 1[g ≤ 0]: convex in g, used to train a prior's weights (ERM).
The posterior minimises the quadratic PAC-Bayes form (Rivasplata et al.) of the probit risk,

    J = (√(L̂ + c/2) + √(c/2))²,   c = (KL(Q‖P) + ln(2√n/δ))/n,

over the logits u (and the means μ when they are learned) by L-BFGS-B with |u_ij| ≤ 8. Gradients are
written out by hand (chain rule through g, F, V, m1, m2, a, s, p; dkl(p‖q)/du = (u − u_q)·p(1 − p)).
The approximations enter only the training objective: certification samples the true M and Ξ.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit, ndtr
from threadpoolctl import threadpool_limits

from simulations.memory import rows_per_chunk
from theory.pac_bayes import complexity, kl_gaussian_diag, kl_product_bernoulli, quadratic_bound
from theory.validation import generator, real_array, real_scalar

LOGIT_LIMIT = 8.0  # keep probabilities stay in [sigmoid(−8), sigmoid(8)] = [3.4e-4, 1 − 3.4e-4]
FAST_CHUNK_BYTES = 2**27  # larger chunks of (point, draw, unit, input) masks only add page faults


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _network(value, name: str) -> MaskedNetwork:
    if not isinstance(value, MaskedNetwork):
        raise TypeError(f"{name} must be a MaskedNetwork, got {type(value).__name__}")
    return value


def _confidence(delta) -> float:
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.floating)) or not 0 < delta < 1:
        raise ValueError(f"delta must be a number in (0, 1), got {delta!r}")
    return float(delta)


def with_bias(X) -> np.ndarray:
    """x̃ = (x, 1): the inputs with a constant last feature (so the last first-layer column is a bias)."""
    X = real_array(X, "X", 2)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def labels(y, n: int) -> np.ndarray:
    """Validate binary labels y ∈ {−1, +1}^n."""
    y = real_array(y, "y", 1)
    n = _positive_int(n, "n")
    if y.shape[0] != n:
        raise ValueError(f"y must have n = {n} entries (rows of X), got {y.shape[0]}")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must contain only −1 and +1")
    return y


@dataclass(frozen=True, eq=False)
class MaskedNetwork:
    """The law Q of a first layer M ⊙ (μ + σΞ) with keep logits u; v is the fixed second layer."""

    logits: np.ndarray  # u, h×D
    mean: np.ndarray  # μ, h×D
    sigma: float
    v: np.ndarray  # h

    def __post_init__(self):
        logits = real_array(self.logits, "logits", 2)
        mean = real_array(self.mean, "mean", 2)
        v = real_array(self.v, "v", 1)
        if mean.shape != logits.shape:
            raise ValueError(f"mean must have the shape of logits {logits.shape}, got {mean.shape}")
        if v.shape[0] != logits.shape[0]:
            raise ValueError(f"v must have h = {logits.shape[0]} entries (rows of logits), got {v.shape[0]}")
        if np.any(np.abs(logits) > LOGIT_LIMIT):
            raise ValueError(f"logits must lie in [−{LOGIT_LIMIT}, {LOGIT_LIMIT}]")
        sigma = real_scalar(self.sigma, "sigma", 0.0)
        for name, value in (("logits", logits), ("mean", mean), ("v", v), ("sigma", sigma)):
            object.__setattr__(self, name, value)

    @property
    def keep(self) -> np.ndarray:
        return expit(self.logits)

    @property
    def width(self) -> int:
        return self.logits.shape[0]

    @property
    def inputs(self) -> int:
        """D = d + 1 (the last input is the constant of `with_bias`)."""
        return self.logits.shape[1]


def random_network(rng, d: int, width: int, keep: float, sigma: float) -> MaskedNetwork:
    """A data-free law: μ ~ N(0, 2/D) (He initialisation), uniform keep, v = ±1/√h with random signs."""
    rng = generator(rng)
    d, width = _positive_int(d, "d"), _positive_int(width, "width")
    keep = real_scalar(keep, "keep", 0.0, 1.0, low_open=True, high_open=True)
    logit = float(np.log(keep) - np.log1p(-keep))
    mean = rng.standard_normal((width, d + 1)) * np.sqrt(2 / (d + 1))
    v = rng.choice((-1.0, 1.0), width) / np.sqrt(width)
    return MaskedNetwork(np.full((width, d + 1), np.clip(logit, -LOGIT_LIMIT, LOGIT_LIMIT)), mean, sigma, v)


def kl_divergence(posterior: MaskedNetwork, prior: MaskedNetwork) -> float:
    """KL(Q‖P) = Σ kl(p‖q) + Σ (μ − μ^P)²/(2σ²); infinite when σ = 0 and the means differ."""
    posterior, prior = _network(posterior, "posterior"), _network(prior, "prior")
    if posterior.logits.shape != prior.logits.shape or posterior.sigma != prior.sigma or \
            not np.array_equal(posterior.v, prior.v):
        raise ValueError("posterior and prior must share the shape, sigma and second layer v")
    masks = kl_product_bernoulli(posterior.keep.ravel(), prior.keep.ravel())
    if np.array_equal(posterior.mean, prior.mean):
        return float(masks)
    if posterior.sigma == 0:
        return float("inf")
    scale = np.full(posterior.mean.size, posterior.sigma)
    return float(masks + kl_gaussian_diag(posterior.mean.ravel(), scale, prior.mean.ravel(), scale))


def _data(network: MaskedNetwork, X, y) -> tuple[np.ndarray, np.ndarray]:
    _network(network, "network")
    Xb = with_bias(X)
    if Xb.shape[1] != network.inputs:
        raise ValueError(f"X must have d = {network.inputs - 1} columns, got {Xb.shape[1] - 1}")
    return Xb, labels(y, Xb.shape[0])


def sampled_point_errors(network: MaskedNetwork, X, y, draws: int, rng=None, *,
                         max_bytes: int | None = None) -> np.ndarray:
    """For each point i, the fraction of `draws` fresh networks from Q that err on it, shape (n,).

    Every (point, draw) pair gets its own first layer, so the n·draws indicators 1[y_i f(x_i) ≤ 0]
    are independent Bernoulli variables whose means average to the stochastic predictor's empirical
    risk L̂_S(Q) = (1/n)Σ_i P_Q(y_i f(x_i) ≤ 0); Hoeffding's kl-Chernoff bound holds for independent,
    not necessarily identical, [0, 1] variables, so `theory.pac_bayes.mc_risk_bound` applies to their
    pooled mean with n·draws samples. Given the mask m_i· of unit i, Σ_j m_ij σΞ_ij x̃_j is exactly
    N(0, σ²Σ_j m_ij x̃_j²), so one normal per unit replaces D. Masks and normals come from two
    generators spawned from `rng`, consumed point by point, so the draws do not depend on the chunk
    size set by `max_bytes` (a bound on the intermediates; None: the default of simulations.memory,
    2 GiB or $SPARSETHEORY_MAX_BYTES).
    """
    Xb, y = _data(network, X, y)
    n, D = Xb.shape
    draws = _positive_int(draws, "draws")
    mask_rng, noise_rng = generator(rng).spawn(2)
    keep, h = network.keep, network.width
    row_bytes = 24 * draws * h * D  # uniforms, the bool masks and one product per (draw, unit, input)
    rows = min(rows_per_chunk(row_bytes, max_bytes), rows_per_chunk(row_bytes, FAST_CHUNK_BYTES))
    errors = np.empty(n)
    for start in range(0, n, rows):
        x = Xb[start:start + rows]  # (c, D)
        masks = mask_rng.random((x.shape[0], draws, h, D)) < keep
        z = np.einsum("ckhd,chd->ckh", masks, network.mean[None] * x[:, None, :])
        if network.sigma > 0:
            energy = np.einsum("ckhd,cd->ckh", masks, x**2)
            z += network.sigma * np.sqrt(energy) * noise_rng.standard_normal(z.shape)
        outputs = np.maximum(z, 0.0) @ network.v  # (c, draws)
        errors[start:start + rows] = np.mean(y[start:start + rows, None] * outputs <= 0, axis=1)
    return errors


@dataclass(frozen=True)
class Objective:
    """The surrogate bound J and its parts at one point, with the gradient in the learned parameters."""

    value: float
    surrogate_risk: float
    kl: float
    gradient: np.ndarray


def _quadratic_partials(risk: float, c: float) -> tuple[float, float]:
    """∂J/∂L̂ and ∂J/∂c for J = (r + t)², r = √(L̂ + c/2), t = √(c/2)."""
    r, t = np.sqrt(risk + c / 2), np.sqrt(c / 2)
    return (r + t) / r, (r + t) * (1 / r + 1 / t) / 2


def _probit(g):
    return ndtr(-g), -np.exp(-g**2 / 2) / np.sqrt(2 * np.pi)


def _logistic(g):
    return -log_expit(g) / np.log(2), -expit(-g) / np.log(2)


SURROGATES = {"probit": _probit, "logistic": _logistic}  # g ↦ (loss, dloss/dg)
VARIANCE_FLOOR = 1e-300  # V is clipped here: a point whose every unit is surely off gets g = 0


def relu_moments(a, s):
    """E relu(z), E relu(z)² for z ~ N(a, s²), and their partials in a and s (s = 0: z = a exactly).

    Returns m1, m2, ∂m1/∂a = Φ(t), ∂m1/∂s = φ(t), ∂m2/∂a = 2m1, ∂m2/∂s = 2sΦ(t), t = a/s.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s > 0, a / s, np.where(a > 0, np.inf, -np.inf))
    cdf, pdf = ndtr(t), np.exp(-np.minimum(t**2, 1e4) / 2) / np.sqrt(2 * np.pi)
    m1 = a * cdf + s * pdf
    m2 = (a**2 + s**2) * cdf + a * s * pdf
    return m1, m2, cdf, pdf, 2 * m1, 2 * s * cdf


def _risk_partials(network: MaskedNetwork, Xb: np.ndarray, y: np.ndarray, surrogate: str):
    """The surrogate risk L̂ = mean ℓ(g) (module docstring) and ∂L̂/∂p, ∂L̂/∂μ.

    Chain: ∂g/∂F = y/√V, ∂g/∂V = −g/(2V); ∂F/∂m1 = v, ∂V/∂m1 = −2v²m1, ∂V/∂m2 = v²; then
    `relu_moments`' partials; ∂a/∂p = μx̃, ∂a/∂μ = px̃, ∂s²/∂p = ((1 − 2p)μ² + σ²)x̃², ∂s²/∂μ = 2p(1 − p)μx̃².
    """
    keep, mean, sigma, v = network.keep, network.mean, network.sigma, network.v
    spread = keep * (1 - keep)
    location = Xb @ (keep * mean).T  # a, (n, h)
    scale = np.sqrt((Xb**2) @ (spread * mean**2 + keep * sigma**2).T)  # s, (n, h)
    m1, m2, m1_a, m1_s, m2_a, m2_s = relu_moments(location, scale)
    variance = np.maximum((m2 - m1**2) @ v**2, VARIANCE_FLOOR)
    g = y * (m1 @ v) / np.sqrt(variance)
    loss, slope = SURROGATES[surrogate](g)
    d_g = slope / y.size
    d_mean_output = d_g * y / np.sqrt(variance)
    d_variance = np.where(variance > VARIANCE_FLOOR, -d_g * g / (2 * variance), 0.0)
    d_m1 = d_mean_output[:, None] * v - 2 * d_variance[:, None] * v**2 * m1
    d_m2 = d_variance[:, None] * v**2
    d_location = d_m1 * m1_a + d_m2 * m2_a
    d_scale = d_m1 * m1_s + d_m2 * m2_s
    d_square = np.divide(d_scale, 2 * scale, out=np.zeros_like(d_scale), where=scale > 0)
    d_first = d_location.T @ Xb  # ∂L̂/∂(p⊙μ), (h, D)
    d_second = d_square.T @ Xb**2  # ∂L̂/∂(p(1−p)μ² + pσ²)
    d_keep = d_first * mean + d_second * ((1 - 2 * keep) * mean**2 + sigma**2)
    d_mean = d_first * keep + d_second * 2 * spread * mean
    return float(np.mean(loss)), d_keep, d_mean


def surrogate_bound(network: MaskedNetwork, prior: MaskedNetwork, Xb: np.ndarray, y: np.ndarray,
                    delta: float, learn_mean: bool) -> Objective:
    """J (quadratic form of the probit risk) at `network` (the posterior) for the data (x̃ = Xb, y).

    Gradient: ∂J/∂L̂ times the partials of `_risk_partials`, chained through ∂p/∂u = p(1 − p); the KL
    adds (u − u_P)p(1 − p) in u and (μ − μ_P)/σ² in μ, and c = (KL + ln(2√n/δ))/n gives
    ∂J/∂KL = (∂J/∂c)/n. Returns the gradient flattened as (u, μ) or (u) in C order.
    """
    n = Xb.shape[0]
    network, prior = _network(network, "network"), _network(prior, "prior")
    risk, d_keep, d_mean = _risk_partials(network, Xb, y, "probit")
    kl = kl_divergence(network, prior)
    value = float(quadratic_bound(risk, kl, n, delta))
    d_risk, d_c = _quadratic_partials(risk, float(complexity(kl, n, delta)))
    spread = network.keep * (1 - network.keep)
    d_logits = (d_risk * d_keep + d_c / n * (network.logits - prior.logits)) * spread
    if not learn_mean:
        return Objective(value, risk, kl, d_logits.ravel())
    d_mean = d_risk * d_mean + d_c / n * (network.mean - prior.mean) / network.sigma**2
    return Objective(value, risk, kl, np.concatenate([d_logits.ravel(), d_mean.ravel()]))


def train_means(network: MaskedNetwork, X, y, *, max_iter: int = 200) -> MaskedNetwork:
    """Fit a prior's weights: minimise the logistic surrogate risk over the means μ with the keeps
    fixed (training under the masks, as DropConnect does), by L-BFGS from `network`'s means;
    `max_iter` stops it early (the only regularisation)."""
    Xb, y = _data(network, X, y)
    shape = network.mean.shape

    def objective(theta: np.ndarray):
        risk, _, d_mean = _risk_partials(replace(network, mean=theta.reshape(shape)), Xb, y, "logistic")
        return risk, d_mean.ravel()

    with threadpool_limits(limits=1, user_api="blas"):  # small products: threads only add overhead
        solution = minimize(objective, network.mean.ravel(), jac=True, method="L-BFGS-B",
                            options={"maxiter": _positive_int(max_iter, "max_iter")})
    return replace(network, mean=solution.x.reshape(shape))


@dataclass(frozen=True)
class Fit:
    """A posterior found by minimising the surrogate bound, with the objective before and after."""

    posterior: MaskedNetwork
    start: Objective
    end: Objective
    iterations: int


def fit_posterior(prior: MaskedNetwork, X, y, *, learn_mean: bool, max_iter: int = 200,
                  delta: float = 0.025) -> Fit:
    """Minimise J over the keep logits (and the means if `learn_mean`) by L-BFGS-B from the prior,
    with the box |u| ≤ LOGIT_LIMIT. J is deterministic (moment matching, no sampled noise)."""
    Xb, y = _data(_network(prior, "prior"), X, y)
    delta = _confidence(delta)
    if learn_mean and prior.sigma == 0:
        raise ValueError("learn_mean needs sigma > 0 (with sigma = 0 a moved mean has infinite KL)")
    shape, size = prior.logits.shape, prior.logits.size

    def unpack(theta: np.ndarray) -> MaskedNetwork:
        mean = theta[size:].reshape(shape) if learn_mean else prior.mean
        return replace(prior, logits=np.clip(theta[:size].reshape(shape), -LOGIT_LIMIT, LOGIT_LIMIT), mean=mean)

    def objective(theta: np.ndarray):
        result = surrogate_bound(unpack(theta), prior, Xb, y, delta, learn_mean)
        return result.value, result.gradient

    start = np.concatenate([prior.logits.ravel(), prior.mean.ravel()]) if learn_mean else prior.logits.ravel()
    bounds = [(-LOGIT_LIMIT, LOGIT_LIMIT)] * size + [(None, None)] * (start.size - size)
    with threadpool_limits(limits=1, user_api="blas"):
        solution = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": _positive_int(max_iter, "max_iter")})
    posterior = unpack(solution.x)
    return Fit(posterior, surrogate_bound(prior, prior, Xb, y, delta, learn_mean),
               surrogate_bound(posterior, prior, Xb, y, delta, learn_mean), int(solution.nit))
