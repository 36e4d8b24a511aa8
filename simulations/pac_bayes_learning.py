"""Experiments of claims B4 (data-dependent priors), B5 (self-bounded learning) and B7 (the linear model).

Certificates (B2, B3; δ = δ_PB + δ_MC, union bound). For a posterior Q, prior P and the n_b points of
the bound set S_b,

    L(Q) ≤ kl⁻¹( kl⁻¹(L̂_N, ln(2/δ_MC)/N),  (KL(Q‖P) + ln(2√n_b/δ_PB))/n_b ),

with L̂_N the fraction of errors among N = n_b·draws independent (point, network) pairs
(`simulations.two_layer_masks.sampled_point_errors`). A sweep over a grid of A settings that is
read as one family (its minimum is quoted) splits both δ's by A.

B4/B5 pipeline (`self_bounded`): the training sample S (already shuffled) is split into S_α (the
first ⌊αn⌋ points) and S_b (the rest). Prior: from a data-free random network with uniform keep q and
noise scale σ, the means are trained on S_α under the masks (`train_means`); α = 0 keeps the
data-free network. Posterior: minimise the quadratic-form surrogate bound on S_b over the keep
logits and the means (`fit_posterior`). Only S_b enters the certificate; the prior never sees it.

B7 (`alignment_draws`): a linear classifier sign(x·(m⊙w)) with fixed weights w and masks whose
logits are u_j = β(w_j a_j − w_j²/2) with the alignment a = Xᵀy/n (M4's score). Prior: a on S_α;
posterior: a on all of S; so Δu = βw⊙Δa and, by kl(σ(u)‖σ(v)) ≤ (u − v)²/8,

    KL(Q‖P) ≤ (β²/8)·Σ_j w_j²Δa_j² ≤ (β²‖w‖∞²/8)·‖Δa‖².

Data: the Gaussian mixture of simulations.stochastic_masks, whose closed-form risks make the true
risk of Q exact by enumerating the 2^d masks; so is its empirical risk on S_b.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.datasets import load_digits

from simulations.stochastic_masks import exact_empirical_risk, gaussian_mixture, true_stochastic_risk
from simulations.two_layer_masks import (
    fit_posterior,
    kl_divergence,
    random_network,
    sampled_point_errors,
    train_means,
)
from theory.pac_bayes import mc_risk_bound, mc_seeger_bound, seeger_bound
from theory.pac_bayes_learning import DELTA_BOUND, DELTA_MC  # δ_PB, δ_MC: certificates hold w.p. ≥ 1 − 0.05
from theory.validation import generator, real_array, real_scalar

EPS = float(np.finfo(np.float64).eps)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _fraction(value, name: str, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not (0 < value < 1 if low_open else 0 <= value < 1):
        raise ValueError(f"{name} must lie in {'(0, 1)' if low_open else '[0, 1)'}, got {value!r}")
    return value


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Split:
    """Training and test data; labels in {−1, +1}."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits_split(rng, test_fraction: float = 0.3, subsample: int | None = None) -> Split:
    """scikit-learn's bundled digits as a binary task: y = +1 for digits 5–9, −1 for 0–4.

    Pixels are divided by 16 (a fixed, data-free scaling into [0, 1]; statistics of the sample would
    leak the bound set into the prior). The rows (or a random `subsample` of them) are shuffled
    with `rng` and the first ⌊test_fraction·n⌋ form the test set.
    """
    rng = generator(rng)
    digits = load_digits()
    order = rng.permutation(len(digits.target))
    if subsample is not None:
        order = order[:_positive_int(subsample, "subsample")]
    X, y = digits.data[order] / 16.0, np.where(digits.target[order] >= 5, 1.0, -1.0)
    n_test = int(_fraction(test_fraction, "test_fraction", low_open=True) * len(y))
    return Split(X[n_test:], y[n_test:], X[:n_test], y[:n_test])


def teacher_split(rng, n_train: int, n_test: int, d: int = 10, hidden: int = 4, flip: float = 0.05,
                  reference: int = 10_000) -> Split:
    """Synthetic task: x ~ N(0, I_d), y = sign(t(x) − median t) flipped with probability `flip`.

    The teacher t(x) = Σ_k c_k·relu(w_k·x) has w_k ~ N(0, I_d/d) and c_k = ±1 alternating; the median
    is estimated on `reference` extra draws (part of the task's definition). The Bayes risk is `flip`.
    """
    rng = generator(rng)
    n_train, n_test = _positive_int(n_train, "n_train"), _positive_int(n_test, "n_test")
    d, hidden = _positive_int(d, "d"), _positive_int(hidden, "hidden")
    flip = _fraction(flip, "flip")
    weights = rng.standard_normal((hidden, d)) / np.sqrt(d)
    signs = np.where(np.arange(hidden) % 2 == 0, 1.0, -1.0)

    def teacher(X):
        return np.maximum(X @ weights.T, 0.0) @ signs

    threshold = np.median(teacher(rng.standard_normal((_positive_int(reference, "reference"), d))))

    def sample(n):
        X = rng.standard_normal((n, d))
        clean = np.where(teacher(X) > threshold, 1.0, -1.0)
        return X, np.where(rng.random(n) < flip, -clean, clean)

    X_train, y_train = sample(n_train)
    X_test, y_test = sample(n_test)
    return Split(X_train, y_train, X_test, y_test)


# --------------------------------------------------------------------------- B4, B5: two-layer networks


def certify(posterior, prior, X, y, draws: int, rng, delta_bound: float = DELTA_BOUND,
            delta_mc: float = DELTA_MC) -> dict[str, float]:
    """The certified bound of `posterior` on the bound set (X, y) with `draws` fresh networks per point.

    Returns emp_risk (L̂_N), emp_upper (kl⁻¹(L̂_N, ln(2/δ_MC)/N)), kl, n and bound (module docstring).
    """
    delta_bound = real_scalar(delta_bound, "delta_bound", 0.0, 1.0, low_open=True, high_open=True)
    delta_mc = real_scalar(delta_mc, "delta_mc", 0.0, 1.0, low_open=True, high_open=True)
    errors = sampled_point_errors(posterior, X, y, draws, rng)
    samples = errors.size * draws
    kl = kl_divergence(posterior, prior)
    emp_risk = float(errors.mean())
    return dict(emp_risk=emp_risk, emp_upper=float(mc_risk_bound(emp_risk, samples, delta_mc)), kl=kl,
                n=float(errors.size), bound=float(mc_seeger_bound(emp_risk, samples, kl, errors.size, delta_bound,
                                                                  delta_mc)))


def held_out_error(network, X, y, draws: int, rng) -> tuple[float, float]:
    """Estimated risk of the stochastic predictor on a test set and its standard error.

    T̂ is the mean over n_t points of the fraction of `draws` fresh networks that err; given the
    test points' law, Var T̂ = Var_x π(x)/n_t + E[π(1 − π)]/(n_t·draws) ≤ R(1 − R)/n_t with
    π(x) = P_Q(error on x) and R = E π, so se = √(T̂(1 − T̂)/n_t) (plug-in).
    """
    errors = sampled_point_errors(network, X, y, draws, rng)
    value = float(errors.mean())
    return value, float(np.sqrt(value * (1 - value) / errors.size))


def self_bounded(split: Split, rng, *, alpha: float, keep: float, sigma: float, width: int, prior_iter: int,
                 posterior_iter: int, draws: int, test_draws: int, delta_bound: float = DELTA_BOUND,
                 delta_mc: float = DELTA_MC) -> dict[str, float]:
    """Prior on S_α, posterior by minimising the surrogate bound on S_b, certificate on S_b (module docstring).

    Returns floats: alpha, keep (the prior's uniform keep q), n_prior, n_bound; for the posterior
    bound, kl, emp_risk, emp_upper, test_error, test_se, mean_keep (1 − ρ) and the surrogate
    objective at the start (the prior) and end; and prior_bound, prior_emp_risk, prior_test_error: the certificate and test error of the
    prior itself (posterior = prior, KL = 0), each at the same confidence.
    """
    if not isinstance(split, Split):
        raise TypeError(f"split must be a simulations.pac_bayes_learning.Split, got {type(split).__name__}")
    rng = generator(rng)
    alpha = _fraction(alpha, "alpha")
    keep = real_scalar(keep, "keep", 0.0, 1.0, low_open=True, high_open=True)
    sigma = real_scalar(sigma, "sigma", 0.0)
    for name, count in (("width", width), ("prior_iter", prior_iter), ("posterior_iter", posterior_iter),
                        ("draws", draws), ("test_draws", test_draws)):
        _positive_int(count, name)
    for name, delta in (("delta_bound", delta_bound), ("delta_mc", delta_mc)):
        real_scalar(delta, name, 0.0, 1.0, low_open=True, high_open=True)
    n_prior = int(alpha * len(split.y_train))
    if len(split.y_train) - n_prior < 1:
        raise ValueError("alpha leaves no points for the bound set")
    base = random_network(rng, split.X_train.shape[1], width, keep, sigma)
    prior = base if n_prior == 0 else train_means(base, split.X_train[:n_prior], split.y_train[:n_prior],
                                                 max_iter=prior_iter)
    X_bound, y_bound = split.X_train[n_prior:], split.y_train[n_prior:]
    fit = fit_posterior(prior, X_bound, y_bound, learn_mean=sigma > 0, max_iter=posterior_iter, delta=delta_bound)
    posterior = fit.posterior
    result = certify(posterior, prior, X_bound, y_bound, draws, rng, delta_bound, delta_mc)
    baseline = certify(prior, prior, X_bound, y_bound, draws, rng, delta_bound, delta_mc)
    test, test_se = held_out_error(posterior, split.X_test, split.y_test, test_draws, rng)
    prior_test, _ = held_out_error(prior, split.X_test, split.y_test, test_draws, rng)
    return dict(alpha=alpha, keep=float(keep), n_prior=float(n_prior), n_bound=result["n"], kl=result["kl"],
                emp_risk=result["emp_risk"], emp_upper=result["emp_upper"], bound=result["bound"],
                test_error=test, test_se=test_se, mean_keep=float(posterior.keep.mean()),
                objective_start=fit.start.value, objective_end=fit.end.value,
                prior_bound=baseline["bound"], prior_emp_risk=baseline["emp_risk"], prior_test_error=prior_test)


def sweep(split: Split, rng, over: str, grid, **settings) -> dict[str, np.ndarray]:
    """`self_bounded` over a grid of values of the setting `over` ("alpha" or "keep"), the other
    settings fixed, with δ_PB and δ_MC divided by the grid size (a union bound: the whole curve, and
    so its minimum, holds at once). Independent streams per grid point (SeedSequence spawn).
    Returns each result field stacked over the grid."""
    if over not in ("alpha", "keep"):
        raise ValueError(f"over must be 'alpha' or 'keep', got {over!r}")
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 1:
        raise ValueError(f"grid must be a non-empty 1-D sequence, got shape {grid.shape}")
    delta_bound = settings.pop("delta_bound", DELTA_BOUND) / grid.size
    delta_mc = settings.pop("delta_mc", DELTA_MC) / grid.size
    rows = [self_bounded(split, stream, **{over: value}, delta_bound=delta_bound, delta_mc=delta_mc, **settings)
            for value, stream in zip(grid, generator(rng).spawn(grid.size))]
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


# --------------------------------------------------------------------------- B7: the linear model


def alignment(X, y) -> np.ndarray:
    """a = Xᵀy/n."""
    X = real_array(X, "X", 2)
    y = real_array(y, "y", 1)
    if y.shape[0] != X.shape[0] or X.shape[0] < 1:
        raise ValueError(f"y must have n = {X.shape[0]} ≥ 1 entries, got {y.shape[0]}")
    return X.T @ y / X.shape[0]


def alignment_logits(w, a, beta: float) -> np.ndarray:
    """u_j = β(w_j a_j − w_j²/2): M4's keep score, scaled by the inverse temperature β > 0."""
    w, a = real_array(w, "w", 1), real_array(a, "a", 1)
    if a.shape != w.shape:
        raise ValueError(f"a must have the shape of w {w.shape}, got {a.shape}")
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be finite and > 0, got {beta!r}")
    return beta * (w * a - w**2 / 2)


def kl_logits(u, v) -> np.ndarray:
    """kl(σ(u)‖σ(v)) = A(v) − A(u) − σ(u)(v − u), A(t) = ln(1 + e^t), elementwise.

    The Bernoulli divergence in natural parameters, i.e. the Bregman divergence of the log-partition
    A (A′ = σ, A″ = σ(1 − σ) ≤ 1/4, whence B1's kl ≤ (u − v)²/8). Unlike kl_bernoulli(σ(u), σ(v)) it
    stays finite where σ rounds to 0 or 1; absolute rounding error ≲ 4·eps·(|A(u)| + |A(v)| + |σ(u)(v − u)|).
    """
    u, v = np.broadcast_arrays(np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64))
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        raise ValueError("the logits u and v must be finite")
    return np.logaddexp(0, v) - np.logaddexp(0, u) - expit(u) * (v - u)


def alignment_draws(seed, *, d: int, sizes, alphas, repeats: int, beta: float, separation: float = 1.5,
                    pretrain: int = 50, delta: float = DELTA_BOUND + DELTA_MC) -> dict[str, np.ndarray]:
    """B7 over independent data sets: every (n, α) of `sizes` × `alphas`, `repeats` times.

    Data: the Gaussian mixture of simulations.stochastic_masks, y uniform on {−1, +1}, x | y ~ N(yμ, I),
    with ‖μ‖ = `separation` in a random direction, so that a = E[xy] = μ. One task is drawn first: μ
    and the weights w = a(S_pre), the alignment on an independent pretraining sample of `pretrain`
    points (fixed before S is drawn, pointing roughly along μ as trained weights would). Then each
    draw samples S of size n, puts the first ⌊αn⌋ points (at least one) in S_α, and computes
    a_prior = a(S_α), a_post = a(S), the logits, KL = Σ_j kl(σ(u_j)‖σ(v_j)) (`kl_logits`), its
    quadratic bound (β²/8)Σ_j w_j²Δa_j², the alignment bound (β²‖w‖∞²/8)‖Δa‖², the exact empirical
    risk on S_b and the exact true risk of the posterior (enumerating the 2^d masks), and the Seeger
    bound (confidence δ; the empirical risk is exact, so no Monte Carlo term) with the KL, with the
    alignment bound in its place, and with 0 (bound_free: the certificate without the KL term). Also
    returns, per draw, the coordinatewise slack min_j [(Δu_j)²/8 − kl_j] (≥ 0 by B1), the cubic
    remainder check |KL − ½Σ_j σ′(u_j)Δu_j²| against Σ_j|Δu_j|³/(36√3), and kl_rounding =
    4·eps·(Σ_j [A(u_j) + A(v_j) + |σ(u_j)Δu_j|] + alignment bound), a bound on the rounding error of the
    KL and of its bounds.
    """
    rng = np.random.default_rng(seed)
    d, repeats = _positive_int(d, "d"), _positive_int(repeats, "repeats")
    sizes = np.asarray(sizes, dtype=np.int64)
    alphas = np.asarray(alphas, dtype=np.float64)
    if sizes.ndim != 1 or np.any(sizes < 2) or alphas.ndim != 1 or np.any((alphas <= 0) | (alphas >= 1)):
        raise ValueError("sizes must be integers ≥ 2 and alphas must lie in (0, 1), both 1-D")
    if not (np.isfinite(beta) and beta > 0 and np.isfinite(separation) and separation > 0):
        raise ValueError(f"beta and separation must be finite and > 0, got {beta!r}, {separation!r}")
    direction = rng.standard_normal(d)
    mean = separation * direction / np.linalg.norm(direction)
    w = alignment(*gaussian_mixture(_positive_int(pretrain, "pretrain"), mean, 1.0, rng))
    plan = [(n, alpha) for n in sizes for alpha in alphas for _ in range(repeats)]
    fields = ("n", "alpha", "n_bound", "delta_norm", "kl", "kl_quadratic", "kl_alignment", "emp_risk", "true_risk",
              "bound", "bound_alignment", "bound_free", "min_slack", "remainder", "remainder_bound", "kl_rounding")
    out = {key: np.empty(len(plan)) for key in fields}
    for r, (n, alpha) in enumerate(plan):  # independent data sets, one exact enumeration each
        X, y = gaussian_mixture(n, mean, 1.0, rng)
        n_prior = max(1, int(alpha * n))
        a_prior, a_post = alignment(X[:n_prior], y[:n_prior]), alignment(X, y)
        u_prior, u_post = alignment_logits(w, a_prior, beta), alignment_logits(w, a_post, beta)
        step = u_post - u_prior  # = β w ⊙ Δa
        keep = expit(u_post)
        per_weight = kl_logits(u_post, u_prior)
        kl = float(per_weight.sum())
        delta_a = a_post - a_prior
        emp = exact_empirical_risk(X[n_prior:], y[n_prior:], w, keep)
        n_bound = n - n_prior
        kl_alignment = beta**2 * np.max(w**2) / 8 * (delta_a @ delta_a)
        row = dict(
            n=n, alpha=alpha, n_bound=n_bound, delta_norm=np.linalg.norm(delta_a), kl=kl,
            kl_quadratic=beta**2 / 8 * np.sum(w**2 * delta_a**2), kl_alignment=kl_alignment,
            emp_risk=emp, true_risk=float(true_stochastic_risk(w, keep, mean, 1.0)),
            bound=seeger_bound(emp, kl, n_bound, delta), bound_free=seeger_bound(emp, 0.0, n_bound, delta),
            bound_alignment=seeger_bound(emp, kl_alignment, n_bound, delta), min_slack=np.min(step**2 / 8 - per_weight),
            remainder=abs(kl - 0.5 * np.sum(keep * (1 - keep) * step**2)),
            remainder_bound=np.sum(np.abs(step) ** 3) / (36 * np.sqrt(3)),
            kl_rounding=4 * EPS * (np.sum(np.logaddexp(0, u_post) + np.logaddexp(0, u_prior) + np.abs(keep * step))
                                   + kl_alignment),
        )
        for key in fields:
            out[key][r] = row[key]
    return out | dict(w=w, mean=mean, beta=np.array(beta), delta=np.array(delta))
