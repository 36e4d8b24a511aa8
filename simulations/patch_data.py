"""Signal/noise-patch data (claims P1–P4; the model of Cao et al. 2022 and Kou et al. 2023).

A labelled example is y ~ Uniform{−1, +1} and two patches x = [y·μ, ξ] with

    ξ ~ N(0, σ_p²·(I − μμᵀ/‖μ‖²)),

noise orthogonal to the signal μ. The signal is s-sparse with equal entries on the first s
coordinates, μ = (‖μ‖/√s)·(e_1 + … + e_s): s = 1 is the coordinate signal ‖μ‖·e_1, s = d is dense.
Only the noise patch is stored; the signal patch is y·μ.
"""

from __future__ import annotations

import numpy as np

from theory.validation import real_values


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {value}")
    return int(value)


def _positive_real(value, name: str) -> float:
    value = real_values(value, name)
    if value.ndim != 0 or value <= 0:
        raise ValueError(f"{name} must be a real number > 0, got {value}")
    return float(value)


def signal_vector(d: int, norm: float, sparsity: int = 1) -> np.ndarray:
    """μ = (norm/√s)·Σ_{k<s} e_k in R^d with s = `sparsity` ∈ [1, d] (s = d: a dense signal)."""
    d = _positive_int(d, "d")
    norm = _positive_real(norm, "norm")
    sparsity = _positive_int(sparsity, "sparsity")
    if sparsity > d:
        raise ValueError(f"sparsity must lie in [1, d = {d}], got {sparsity}")
    mu = np.zeros(d)
    mu[:sparsity] = norm / np.sqrt(sparsity)
    return mu


def sample_patch_data(n: int, mu, sigma_p: float, rng, batch: tuple[int, ...] = ()
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Labels y (batch + (n,)) and noise patches ξ (batch + (n, d)), ξ = P·z, z ~ N(0, σ_p² I),
    P = I − μμᵀ/‖μ‖² (so ξ ⟂ μ exactly up to rounding); independent over the batch axes."""
    n = _positive_int(n, "n")
    mu = real_values(mu, "mu")
    if mu.ndim != 1 or not np.any(mu):
        raise ValueError(f"mu must be a non-zero vector, got shape {mu.shape}")
    sigma_p = _positive_real(sigma_p, "sigma_p")
    batch = tuple(_positive_int(size, "batch") for size in batch)
    rng = np.random.default_rng(rng)
    y = rng.choice(np.array([-1.0, 1.0]), size=batch + (n,))
    z = sigma_p * rng.standard_normal(batch + (n, mu.size))
    direction = mu / np.linalg.norm(mu)
    return y, z - (z @ direction)[..., None] * direction
