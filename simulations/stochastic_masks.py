"""Stochastic-mask predictors for linear classifiers, and a problem whose true 0-1 risk is known (B3, B6).

A linear classifier with weights w (d entries) predicts sign(xᵀw). A stochastic mask predictor Q draws
m with independent entries m_j ~ Bernoulli(p_j) (p = keep probabilities) and predicts with m⊙w. The
0-1 loss of one masked predictor on (x, y), y ∈ {−1, +1}, is 1[y·xᵀ(m⊙w) ≤ 0] (a zero score counts as
an error), and the risks of Q average over m:

    L̂_S(Q) = E_m (1/n) Σ_i 1[y_i x_iᵀ(m⊙w) ≤ 0],      L(Q) = E_m P_{(x,y)}(y xᵀ(m⊙w) ≤ 0).

Gaussian mixture: y uniform on {−1, +1}, x | y ~ N(y·μ, σ²I). Then y·xᵀv ~ N(μᵀv, σ²||v||²) for any
fixed v, so one masked predictor has the closed-form risk

    L(m⊙w) = Φ(−μᵀ(m⊙w) / (σ·||m⊙w||)),   and L = 1 when m⊙w = 0,

and L(Q) = Σ_m P(m) L(m⊙w) exactly over the 2^d masks. Every function batches masks: the scores of
all masks of a chunk are one matrix product (masks⊙w) Xᵀ, and chunks keep the intermediates below
`max_bytes` (None: the default of simulations.memory, 2 GiB or $SPARSETHEORY_MAX_BYTES) for any number
of masks. Random draws come from `rng` arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from simulations.linear import all_masks as mask_table
from simulations.memory import rows_per_chunk
from theory.pac_bayes import kl_product_bernoulli, mc_risk_bound, seeger_bound
from theory.validation import design_and_labels, generator, keep_probabilities, real_array, real_scalar

MAX_ENUMERATION_D = 20


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _classification(X, y, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = design_and_labels(X, y)
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must hold labels −1 or +1")
    w = real_array(w, "w", 1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have d = {X.shape[1]} entries (columns of X), got {w.shape[0]}")
    return X, y, w


def _masks(masks, d: int) -> np.ndarray:
    masks = real_array(masks, "masks", 2)
    if masks.shape[1] != d:
        raise ValueError(f"masks must have d = {d} columns, got shape {masks.shape}")
    if not np.all((masks == 0) | (masks == 1)):
        raise ValueError("masks must hold 0/1 entries")
    return masks


def all_masks(d: int) -> np.ndarray:
    """The 2^d × d table of 0/1 masks; row k is the binary expansion of k (d ≤ MAX_ENUMERATION_D)."""
    d = _positive_int(d, "d")
    if d > MAX_ENUMERATION_D:
        raise ValueError(f"enumerating masks needs d ≤ {MAX_ENUMERATION_D}, got d = {d}")
    return mask_table(d)


def _enumerated_sum(d: int, row_bytes: int, max_bytes: int | None, term) -> np.ndarray:
    """Σ over the 2^d masks of term(chunk of masks), one chunk of rows_per_chunk(row_bytes, max_bytes) at a time."""
    if not 1 <= d <= MAX_ENUMERATION_D:
        raise ValueError(f"enumerating masks needs 1 ≤ d ≤ {MAX_ENUMERATION_D}, got d = {d}")
    rows = rows_per_chunk(row_bytes, max_bytes)
    return sum(term(mask_table(d, start, min(start + rows, 2**d))) for start in range(0, 2**d, rows))


def _keep_laws(keep) -> np.ndarray:
    """Keep probabilities as a 2-D array of laws (R × d); one law (d entries) becomes R = 1."""
    keep = real_array(keep, "keep", np.ndim(keep)) if np.ndim(keep) in (1, 2) else None
    if keep is None:
        raise ValueError("keep must be 1-D (one law) or 2-D (one law per row)")
    if not np.all((keep >= 0) & (keep <= 1)):
        raise ValueError(f"keep must lie in [0, 1], got values in [{keep.min()}, {keep.max()}]")
    return np.atleast_2d(keep)


def mask_probabilities(masks, keep) -> np.ndarray:
    """P(m) = Π_j p_j^{m_j}(1 − p_j)^{1−m_j} for each row m of `masks` (M × d).

    `keep` is one law (d entries; returns shape (M,)) or several (R × d; returns (R, M)).
    Computed as exp(m·ln p + (1 − m)·ln(1 − p)) for all laws and masks in two matrix products; a mask
    that keeps a weight with p_j = 0 or drops one with p_j = 1 has probability exactly 0.
    """
    laws = _keep_laws(keep)
    masks = _masks(masks, laws.shape[1])
    with np.errstate(divide="ignore"):
        log_keep = np.where(laws > 0, np.log(np.where(laws > 0, laws, 1.0)), 0.0)
        log_drop = np.where(laws < 1, np.log1p(-np.where(laws < 1, laws, 0.0)), 0.0)
    impossible = masks @ (laws == 0).T + (1 - masks) @ (laws == 1).T > 0
    probability = np.where(impossible, 0.0, np.exp(masks @ log_keep.T + (1 - masks) @ log_drop.T)).T
    return probability[0] if np.ndim(keep) == 1 else probability


def sample_masks(keep, n_masks: int, rng) -> np.ndarray:
    """n_masks masks (n_masks × d, entries 0.0/1.0) with m_j = [U_j < p_j], U uniform from `rng`."""
    if np.ndim(keep) != 1:
        raise ValueError(f"keep must be 1-D (one law), got shape {np.shape(keep)}")
    keep = _keep_laws(keep)[0]
    n_masks = _positive_int(n_masks, "n_masks")
    return (generator(rng).random((n_masks, keep.size)) < keep).astype(np.float64)


def risk_row_bytes(d: int, n: int) -> int:
    """Bytes per mask of a chunk of margins: the masked weights (8d), the margins (8n), their test (n)."""
    return 8 * d + 9 * n


def mask_risks(X, y, w, masks, *, max_bytes: int | None = None) -> np.ndarray:
    """Empirical 0-1 risk (1/n)Σ_i 1[y_i x_iᵀ(m⊙w) ≤ 0] of every mask m (row of `masks`), shape (M,).

    The margins of a chunk of masks are one product (masks⊙w)(y⊙X)ᵀ; chunks keep it below `max_bytes`.
    """
    X, y, w = _classification(X, y, w)
    masks = _masks(masks, X.shape[1])
    rows = rows_per_chunk(risk_row_bytes(*X.shape[::-1]), max_bytes)
    signed = (y[:, None] * X).T
    risks = np.empty(masks.shape[0])
    for start in range(0, masks.shape[0], rows):
        margins = (masks[start:start + rows] * w) @ signed
        risks[start:start + rows] = np.count_nonzero(margins <= 0, axis=1) / X.shape[0]
    return risks


def mc_empirical_risk(X, y, w, keep, n_masks: int, rng, *, max_bytes: int | None = None
                      ) -> tuple[float, np.ndarray]:
    """Monte Carlo estimate L̂_M = (1/M)Σ_k L̂_S(m_k⊙w) of L̂_S(Q) from M masks drawn from `rng`.

    Returns (L̂_M, the M per-mask risks). The per-mask risks are i.i.d. in [0, 1] with mean L̂_S(Q).
    Masks are drawn and scored a chunk at a time (intermediates below `max_bytes`, besides the M
    returned risks); the draws are those of sample_masks(keep, M, rng) whatever the chunk size.
    """
    X, y, w = _classification(X, y, w)
    keep = keep_probabilities(keep, X.shape[1], allow_zero=True)
    n_masks = _positive_int(n_masks, "n_masks")
    rng = generator(rng)
    rows = rows_per_chunk(risk_row_bytes(*X.shape[::-1]) + 9 * X.shape[1], max_bytes)
    risks = np.empty(n_masks)
    for start in range(0, n_masks, rows):
        size = min(rows, n_masks - start)
        risks[start:start + size] = mask_risks(X, y, w, sample_masks(keep, size, rng), max_bytes=max_bytes)
    return float(risks.mean()), risks


def exact_empirical_risk(X, y, w, keep, *, max_bytes: int | None = None) -> float:
    """L̂_S(Q) = Σ_m P(m)·L̂_S(m⊙w) over all 2^d masks (d ≤ MAX_ENUMERATION_D), chunked below `max_bytes`."""
    X, y, w = _classification(X, y, w)
    n, d = X.shape
    keep = keep_probabilities(keep, d, allow_zero=True)
    return float(_enumerated_sum(d, risk_row_bytes(d, n) + 8 * d + 16, max_bytes,
                                 lambda masks: mask_probabilities(masks, keep) @ mask_risks(X, y, w, masks,
                                                                                          max_bytes=max_bytes)))


def gaussian_mixture(n: int, mean, sigma: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """n samples (X n×d, y) with y uniform on {−1, +1} and x | y ~ N(y·mean, sigma²·I)."""
    n = _positive_int(n, "n")
    mean = real_array(mean, "mean", 1)
    sigma = real_scalar(sigma, "sigma", 0.0, low_open=True)
    rng = generator(rng)
    y = rng.choice(np.array([-1.0, 1.0]), size=n)
    X = y[:, None] * mean + sigma * rng.standard_normal((n, mean.size))
    return X, y


def mask_true_risks(w, masks, mean, sigma: float) -> np.ndarray:
    """Closed-form risk Φ(−μᵀ(m⊙w)/(σ||m⊙w||)) of every mask under the Gaussian mixture (1 if m⊙w = 0)."""
    w = real_array(w, "w", 1)
    mean = real_array(mean, "mean", 1)
    if mean.shape != w.shape:
        raise ValueError(f"mean must have the shape of w {w.shape}, got {mean.shape}")
    sigma = real_scalar(sigma, "sigma", 0.0, low_open=True)
    effective = _masks(masks, w.size) * w
    norm = np.linalg.norm(effective, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = ndtr(-(effective @ mean) / (sigma * norm))
    return np.where(norm > 0, risk, 1.0)


def true_stochastic_risk(w, keep, mean, sigma: float, *, max_bytes: int | None = None) -> np.ndarray:
    """L(Q) = Σ_m P(m)·Φ(−μᵀ(m⊙w)/(σ||m⊙w||)) exactly over all 2^d masks, chunked below `max_bytes`.

    `keep` is one law (d entries, returns a 0-d array) or several (R × d, returns (R,)).
    """
    w = real_array(w, "w", 1)
    laws = _keep_laws(keep).shape[0]
    total = _enumerated_sum(w.size, 8 * (3 * w.size + 8 * laws), max_bytes,
                            lambda masks: mask_probabilities(masks, keep) @ mask_true_risks(w, masks, mean, sigma))
    return np.asarray(total)


@dataclass(frozen=True)
class Certificate:
    """The certified bound of a stochastic mask predictor (B3), valid with probability ≥ 1 − δ_PB − δ_MC."""

    emp_risk_mc: float  # L̂_M, the mean risk of the sampled masks
    mc_upper: float  # kl⁻¹(L̂_M, ln(2/δ_MC)/M) ≥ L̂_S(Q) with probability ≥ 1 − δ_MC
    kl: float  # Σ_j kl(p_j‖p0_j)
    bound: float  # kl⁻¹(mc_upper, (KL + ln(2√n/δ_PB))/n)


def certify(X, y, w, keep, prior_keep, n_masks: int, delta_pb: float, delta_mc: float, rng) -> Certificate:
    """Certify Q = Bernoulli(keep) masks on w against the prior Bernoulli(prior_keep) on the sample (X, y).

    With δ = δ_PB + δ_MC:  L(Q) ≤ kl⁻¹(kl⁻¹(L̂_M, ln(2/δ_MC)/M), (KL + ln(2√n/δ_PB))/n), where L̂_M
    averages the risks of M masks drawn from `rng` (Langford & Caruana 2001; Seeger 2002, Maurer 2004).
    The prior (and w) must not depend on (X, y).
    """
    X, y, w = _classification(X, y, w)
    d = X.shape[1]
    keep = keep_probabilities(keep, d, allow_zero=True)
    prior_keep = keep_probabilities(prior_keep, d, allow_zero=True, name="prior_keep")
    delta_pb = real_scalar(delta_pb, "delta_pb", 0.0, 1.0, low_open=True, high_open=True)
    delta_mc = real_scalar(delta_mc, "delta_mc", 0.0, 1.0, low_open=True, high_open=True)
    divergence = float(kl_product_bernoulli(keep, prior_keep))
    emp_risk_mc, _ = mc_empirical_risk(X, y, w, keep, n_masks, rng)
    mc_upper = float(mc_risk_bound(emp_risk_mc, n_masks, delta_mc))
    bound = float(seeger_bound(mc_upper, divergence, X.shape[0], delta_pb)) if np.isfinite(divergence) else 1.0
    return Certificate(emp_risk_mc, mc_upper, divergence, bound)
