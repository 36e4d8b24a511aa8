"""Linear models under stochastic masks: exact enumeration, Monte Carlo, and optimisation of keeps.

Conventions (THEORY.md): X is n×d, L(w) = (1/n)||y − Xw||², keep p_j is the probability
that weight j is kept, masks have independent entries m_j ~ Bernoulli(p_j). With
`rescale=True` the mask is applied as m/p (inverted dropout).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import expit

from simulations.memory import rows_per_chunk
from theory.masks import expected_mask_loss_grad
from theory.validation import generator, keep_probabilities, linear_problem, real_array

CACHE_FRIENDLY_ROWS = 2048  # larger chunks only add page faults; the matrix product is already efficient
MAX_ENUMERATION_D = 24


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def monte_carlo_row_bytes(d: int, n: int) -> int:
    """Bytes per mask of a Monte Carlo chunk: uniforms turned masked weights (8d), their bool test (d),
    the fitted values turned residuals (8n), with room to spare: 8(2d + 2n)."""
    return 8 * (2 * d + 2 * n)


def enumeration_row_bytes(d: int, n: int) -> int:
    """Bytes per mask of an enumeration chunk: at most the mask (8d), its probability factors or the
    masked weights (8d + d), the product and the residual (16n): 8(3d + 2n)."""
    return 8 * (3 * d + 2 * n)


def all_masks(d: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rows start..stop−1 of the 2^d × d table of 0/1 masks; row k is the binary expansion of k."""
    stop = 2**d if stop is None else stop
    codes = np.arange(start, stop, dtype=np.int64)
    return ((codes[:, None] >> np.arange(d)) & 1).astype(np.float64)


def _low_bits(d: int, rows: int) -> int:
    """b: the 2^b masks of one low part fit in a chunk of `rows` masks."""
    return min(d, rows.bit_length() - 1)


def _loss_blocks(X: np.ndarray, y: np.ndarray, scale: np.ndarray, rows: int):
    """Yield (first mask, L(m⊙scale) of each mask of the block) over consecutive blocks of all 2^d masks.

    Mask k = hi·2^b + lo has low bits lo (columns < b) and high bits hi, so the residual splits as
    y − X(m⊙s) = [y − X_hi(m_hi⊙s_hi)] − X_lo(m_lo⊙s_lo): the fitted values of the 2^b low parts are
    one table (2^b × n), and a block of high parts costs a small product and one broadcast subtraction.
    A block holds at most `rows` masks (one high part when 2^b = rows).
    """
    n, d = X.shape
    low = _low_bits(d, rows)
    highs = max(1, rows >> low)
    low_fits = (all_masks(low) * scale[:low]) @ X[:, :low].T
    for first in range(0, 2 ** (d - low), highs):
        high = all_masks(d - low, first, min(first + highs, 2 ** (d - low)))
        yield first << low, _residual_norms(y - (high * scale[low:]) @ X[:, low:].T, low_fits)


def _residual_norms(high_residuals: np.ndarray, low_fits: np.ndarray) -> np.ndarray:
    """||r_h − f_l||²/n for every pair (h, l) of rows, h-major (the block's residuals are freed on return)."""
    residual = high_residuals[:, None, :] - low_fits
    return np.einsum("hln,hln->hl", residual, residual).ravel() / low_fits.shape[1]


def _mask_probabilities(masks: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return np.prod(np.where(masks > 0, keep, 1 - keep), axis=1)


def enumerate_mask_loss(X, y, w, keep, *, rescale: bool = False, max_bytes: int | None = None) -> float:
    """Σ over all 2^d masks of P(m)·L(m⊙w) (or L((m/p)⊙w) with `rescale`), exactly.

    P(m) = Π_j p_j^{m_j}(1−p_j)^{1−m_j}. Chunked so no intermediate exceeds `max_bytes`
    (None: the default of simulations.memory, 2 GiB or $SPARSETHEORY_MAX_BYTES).
    """
    X, y, w = linear_problem(X, y, w)
    n, d = X.shape
    if d > MAX_ENUMERATION_D:
        raise ValueError(f"exact enumeration needs d ≤ {MAX_ENUMERATION_D}, got d = {d}")
    keep = keep_probabilities(keep, d, allow_zero=not rescale)
    rows = rows_per_chunk(enumeration_row_bytes(d, n), max_bytes, CACHE_FRIENDLY_ROWS)
    low = _low_bits(d, rows)
    low_prob = _mask_probabilities(all_masks(low), keep[:low])
    total = 0.0
    for first, losses in _loss_blocks(X, y, w / keep if rescale else w, rows):
        high = all_masks(d - low, first >> low, (first >> low) + losses.size // low_prob.size)
        prob = _mask_probabilities(high, keep[low:])[:, None] * low_prob
        total += prob.ravel() @ losses
    return float(total)


def monte_carlo_mask_loss(
    X, y, w, keep, n_samples: int, rng=None, *, rescale: bool = False, max_bytes: int | None = None
) -> tuple[float, float]:
    """Monte Carlo estimate of E_m L(m⊙w) (or of E_m L((m/p)⊙w) with `rescale`) and its standard error.

    Draws `n_samples` masks m_j = [U_j < p_j] from `rng` (a Generator or a seed). A chunk of
    masks is evaluated in one matrix product (masks ⊙ w) Xᵀ; chunks are sized so that no
    intermediate exceeds `max_bytes` (None: the default of simulations.memory, 2 GiB or
    $SPARSETHEORY_MAX_BYTES), and the random stream does not depend on the chunking.
    Returns (mean loss, sample standard deviation / √n_samples).
    """
    X, y, w = linear_problem(X, y, w)
    n, d = X.shape
    keep = keep_probabilities(keep, d, allow_zero=not rescale)
    if _positive_int(n_samples, "n_samples") < 2:
        raise ValueError(f"n_samples must be an integer ≥ 2, got {n_samples!r}")
    rng = generator(rng)
    rows = min(rows_per_chunk(monte_carlo_row_bytes(d, n), max_bytes, CACHE_FRIENDLY_ROWS), n_samples)
    scale = w / keep if rescale else w
    design_t = np.ascontiguousarray(X.T)
    masked = np.empty((rows, d))  # uniforms, then the masked weights, in place
    fitted = np.empty((rows, n))
    count, mean, sum_sq = 0, 0.0, 0.0
    for start in range(0, n_samples, rows):
        size = min(rows, n_samples - start)
        weights, residual = masked[:size], fitted[:size]
        rng.random(out=weights)
        np.multiply(weights < keep, scale, out=weights)
        np.matmul(weights, design_t, out=residual)
        residual -= y
        losses = np.einsum("ij,ij->i", residual, residual) / n
        chunk_mean = losses.mean()
        chunk_sq = np.sum((losses - chunk_mean) ** 2)
        delta = chunk_mean - mean
        total = count + size
        sum_sq += chunk_sq + delta**2 * count * size / total  # Chan et al.'s pairwise update
        mean += delta * size / total
        count = total
    return float(mean), float(np.sqrt(sum_sq / (count - 1) / count))


def vertex_losses(X, y, w, *, max_bytes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 2^d deterministic masks and L(m⊙w) for each (the values of E_m L at the vertices).

    The returned 2^d × d table is built in chunks whose intermediates stay below `max_bytes`.
    """
    X, y, w = linear_problem(X, y, w)
    if X.shape[1] > MAX_ENUMERATION_D:
        raise ValueError(f"vertex enumeration needs d ≤ {MAX_ENUMERATION_D}, got d = {X.shape[1]}")
    n, d = X.shape
    masks = np.empty((2**d, d))
    losses = np.empty(2**d)
    rows = rows_per_chunk(enumeration_row_bytes(d, n), max_bytes, CACHE_FRIENDLY_ROWS)
    for first, block in _loss_blocks(X, y, w, rows):
        losses[first:first + block.size] = block
        masks[first:first + block.size] = all_masks(d, first, first + block.size)
    return masks, losses


def keep_hessian_norm(X, w) -> float:
    """Spectral norm of ∇²_p E_m L = (2/n)·D_w(XᵀX − diag XᵀX)D_w (constant in p)."""
    gram = X.T @ X
    hessian = 2 / X.shape[0] * (w[:, None] * (gram - np.diag(np.diag(gram))) * w[None, :])
    return float(np.linalg.norm(hessian, 2))


def projected_gradient_descent(X, y, w, keep0, *, max_iter: int = 10_000, tol: float = 1e-12):
    """Minimise E_m L(m⊙w) over p ∈ [0,1]^d by projected gradient descent with step 1/‖∇²‖.

    Stops when an iteration moves p by less than `tol` (max norm). Returns (p, iterations);
    iterations == max_iter means it stopped before converging.
    """
    X, y, w = linear_problem(X, y, w)
    keep = keep_probabilities(keep0, X.shape[1], allow_zero=True)
    max_iter = _positive_int(max_iter, "max_iter")
    step = 1 / max(keep_hessian_norm(X, w), 1e-300)
    for iteration in range(1, max_iter + 1):
        updated = np.clip(keep - step * expected_mask_loss_grad(X, y, w, keep), 0.0, 1.0)
        moved = np.max(np.abs(updated - keep))
        keep = updated
        if moved < tol:
            break
    return keep, iteration


def round_to_vertex(X, y, w, keep) -> np.ndarray:
    """M3's construction: set each p_j in turn to the endpoint of smaller E_m L.

    E_m L is affine in p_j with the others fixed, so each step does not increase it and the
    result is a vertex of [0,1]^d with E_m L no larger than at `keep`.
    """
    X, y, w = linear_problem(X, y, w)
    keep = keep_probabilities(keep, X.shape[1], allow_zero=True)
    for j in range(X.shape[1]):  # sequential by construction: each choice changes the next slope
        keep[j] = 0.0 if expected_mask_loss_grad(X, y, w, keep)[j] > 0 else 1.0
    return keep


def logit_gradient_flow(X, y, w, times, logits0=None, *, rtol: float = 1e-8, atol: float = 1e-10) -> np.ndarray:
    """Keep probabilities p(t) = σ(u(t)) along the gradient flow du/dt = −∇_u E_m L(m⊙σ(u)⊙w).

    ∇_u = σ′(u)⊙∇_p E_m L with σ′ = p(1−p). Returns an array of shape (len(times), d).
    """
    X, y, w = linear_problem(X, y, w)
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size < 1 or np.any(np.diff(times) <= 0) or times[0] < 0:
        raise ValueError("times must be a non-empty increasing 1-D array of non-negative values")
    logits0 = np.zeros(X.shape[1]) if logits0 is None else real_array(logits0, "logits0", 1)
    if logits0.shape[0] != X.shape[1]:
        raise ValueError(f"logits0 must have d = {X.shape[1]} entries, got {logits0.shape[0]}")

    def velocity(_, logits):
        keep = expit(logits)
        return -keep * (1 - keep) * expected_mask_loss_grad(X, y, w, keep)

    solution = solve_ivp(velocity, (0.0, times[-1]), logits0, t_eval=times, method="LSODA", rtol=rtol, atol=atol)
    if not solution.success:
        raise RuntimeError(f"gradient flow failed: {solution.message}")
    return expit(solution.y.T)
