"""The data behind the figures of claim family M (linear models under dropout and stochastic masks).

Each function has the registry's signature ``f(seed, **settings) -> dict[str, np.ndarray]``: every
random draw comes from ``np.random.default_rng(seed)``, values are NumPy arrays (scalars 0-d), so the
result can be cached as an ``.npz``. No plotting. Conventions (THEORY.md): L(w) = (1/n)||y − Xw||²,
keep p = the probability that a weight is kept.

fig_penalty_terms (M1, M2). Per weight, with energy e = ||x||²/n,
    dropout (mask m/p):   E_m L((m/p)w) − L(w)  = ((1−p)/p)·w²·e                     — an L2 term in w;
    mask (no rescaling):  E_m L(m w)   − L(p w) = p(1−p)·w²·e = (|θ||w| − θ²)·e,  θ = p w,
                                                                     |θ| ≤ |w|      — kinked at θ = 0 (L1).
  Monte Carlo points: a d = 1 problem with ||x||² = n; the penalty is estimated as the mean of L over
  sampled masks minus the exactly computed L(mean weight), so its standard error is that of the mean.

fig_keep_trajectories (M3, M4). Keep probabilities p(t) = σ(u(t)) along du/dt = −∇_u E_m L(m⊙σ(u)⊙w)
  from u = 0. The gradient in p_j is −2(s_j − κ_j(p)) with the score s_j = w_j a_j − w_j²/2,
  a = Xᵀy/n (columns scaled to ||x_j||² = n), and the coupling κ_j(p) = w_j Σ_{k≠j} (G_jk/n) p_k w_k,
  G = XᵀX. For an orthogonal design κ = 0 and weight j is kept iff s_j > 0 (M4).

fig_regularisation_paths (M5). Dropout with uniform keep q minimised over w is the generalised ridge
  w(q) = (G + ((1−q)/q)·diag G)⁻¹ Xᵀy. Masks minimised over p for fixed reference weights w: in
  θ = p⊙w, n·E_m L = ||y − Xθ||² − Σ_j G_jj θ_j² + Σ_j c_j|θ_j| with c_j = G_jj|w_j|; its L1 part
  gives the weighted-lasso path  min_θ (1/n)||y − Xθ||² + (λ/n)Σ_j c_j|θ_j|  (λ = 1 is M2's weight),
  and its exact minimiser over [0,1]^d is a vertex (M3): θ* = m*⊙w, m* the best of the 2^d masks.
"""

from __future__ import annotations

import numpy as np

from simulations.linear import logit_gradient_flow, monte_carlo_mask_loss, vertex_losses
from theory.dropout import dropout_optimal_weights

DROPOUT_KEEPS = (0.25, 0.5, 0.75)
MASK_WEIGHTS = (0.5, 1.0, 2.0)  # |w| for the mask-penalty curves
W_RANGE = 2.0
N_MC_POINTS = 9  # Monte Carlo points per curve, evenly spaced over the grid
PENALTY_N = 50  # rows of the d = 1 Monte Carlo problem
LASSO_GAP_TOL = 1e-12  # FISTA stops when every duality gap ≤ this · (||y||²/n)


def _column_scaled_gaussian(rng, n: int, d: int) -> np.ndarray:
    """A plain Gaussian design with every column rescaled to ||x_j||² = n."""
    X = rng.standard_normal((n, d))
    return X * (np.sqrt(n) / np.linalg.norm(X, axis=0))


def _sparse_teacher(rng, d: int) -> np.ndarray:
    """w* with max(1, d//4) non-zeros of magnitude U(1, 2) and random signs, at random positions."""
    k = max(1, d // 4)
    teacher = np.zeros(d)
    support = rng.choice(d, size=k, replace=False)
    teacher[support] = rng.uniform(1.0, 2.0, k) * rng.choice((-1.0, 1.0), k)
    return teacher


def _check_sizes(**sizes) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"{name} must be an integer ≥ 2, got {value!r}")


# --------------------------------------------------------------------------- fig_penalty_terms


def penalty_terms(seed: int, n_grid: int, n_samples: int) -> dict[str, np.ndarray]:
    """Dropout (L2 in w) and stochastic-mask (L1 in θ = p·w) penalty per weight, theory and Monte Carlo.

    Returns
      dropout_keep (K,), w_grid (G,), dropout_penalty (K, G) = ((1−p)/p)·w²·e;
      mask_weight (K,) = |w|, theta_grid (K, G) on [−|w|, |w|], mask_penalty (K, G) = (|θ||w| − θ²)·e;
      mc_index (M,) grid indices of the Monte Carlo points; dropout_mc, dropout_mc_se, mask_mc,
      mask_mc_se (K, M) estimates of the penalties there and their standard errors;
      dropout_mc_scale, mask_mc_scale (K, M) the largest loss a sampled mask gives there (the scale of
      the rounding error; the standard error is 0 where p ∈ {0, 1} or w = 0); energy = e = ||x||²/n and
      n_samples (0-d).
    """
    _check_sizes(n_grid=n_grid, n_samples=n_samples)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(PENALTY_N)
    x *= np.sqrt(PENALTY_N) / np.linalg.norm(x)
    y = 0.7 * x + rng.standard_normal(PENALTY_N)
    X = x[:, None]
    energy = x @ x / PENALTY_N

    keeps, magnitudes = np.array(DROPOUT_KEEPS), np.array(MASK_WEIGHTS)
    w_grid = np.linspace(-W_RANGE, W_RANGE, n_grid)
    theta_grid = magnitudes[:, None] * np.linspace(-1.0, 1.0, n_grid)
    dropout_penalty = ((1 - keeps) / keeps)[:, None] * w_grid**2 * energy
    mask_penalty = (np.abs(theta_grid) * magnitudes[:, None] - theta_grid**2) * energy

    def loss(weight: float) -> float:
        residual = y - weight * x
        return residual @ residual / PENALTY_N

    mc_index = np.unique(np.round(np.linspace(0, n_grid - 1, min(N_MC_POINTS, n_grid))).astype(np.int64))
    shape = (len(keeps), len(mc_index))
    dropout_mc, dropout_se, dropout_scale, mask_mc, mask_se, mask_scale = (np.empty(shape) for _ in range(6))
    for k, (keep, magnitude) in enumerate(zip(keeps, magnitudes)):
        for i, g in enumerate(mc_index):
            w = w_grid[g]
            mean, se = monte_carlo_mask_loss(X, y, [w], keep, n_samples, rng, rescale=True)
            dropout_mc[k, i], dropout_se[k, i] = mean - loss(w), se
            dropout_scale[k, i] = max(loss(0.0), loss(w / keep))
            theta = theta_grid[k, g]
            w = magnitude if theta >= 0 else -magnitude  # sign θ = sign w
            p = min(abs(theta) / magnitude, 1.0)
            mean, se = monte_carlo_mask_loss(X, y, [w], p, n_samples, rng, rescale=False)
            mask_mc[k, i], mask_se[k, i] = mean - loss(p * w), se
            mask_scale[k, i] = max(loss(0.0), loss(w))
    return dict(
        dropout_keep=keeps, w_grid=w_grid, dropout_penalty=dropout_penalty,
        mask_weight=magnitudes, theta_grid=theta_grid, mask_penalty=mask_penalty,
        mc_index=mc_index, dropout_mc=dropout_mc, dropout_mc_se=dropout_se, mask_mc=mask_mc,
        mask_mc_se=mask_se, dropout_mc_scale=dropout_scale, mask_mc_scale=mask_scale,
        energy=np.array(energy), n_samples=np.array(n_samples),
    )


# --------------------------------------------------------------------------- fig_keep_trajectories


def keep_trajectories(seed: int, n: int, d: int, n_times: int) -> dict[str, np.ndarray]:
    """Keep probabilities under gradient flow on the mask logits from u = 0 (p = ½), general design.

    X: n×d Gaussian, columns scaled to ||x_j||² = n; y = Xw* + ε with a sparse teacher w* and
    ε ~ N(0, 0.5²); w ~ N(0, 1) independently (an initialisation). Times are log-spaced from 10⁻²
    to t_end = 10⁴/median|s|. How long is long enough: if |∂E/∂p_j| ≥ 2m > 0 with a fixed sign on
    the whole box, then |dp_j/dt| ≥ 2m·p_j²(1 − p_j)², so p_j moves monotonically and is within
    0.05 of its vertex by t = 12.42/m (= ½∫_{0.5}^{0.95} dp/(p²(1−p)²)/m); s, κ: module docstring.

    Returns times (T,), keep (T, d), alignment a = Xᵀy/n, score s = w⊙a − w²/2, w, teacher (d,),
    X (n, d), y (n,).
    """
    _check_sizes(n=n, d=d, n_times=n_times)
    rng = np.random.default_rng(seed)
    X = _column_scaled_gaussian(rng, n, d)
    teacher = _sparse_teacher(rng, d)
    y = X @ teacher + 0.5 * rng.standard_normal(n)
    w = rng.standard_normal(d)
    alignment = X.T @ y / n
    score = w * alignment - w**2 / 2
    t_end = 1e4 / np.sqrt(np.median(score**2))
    times = np.geomspace(1e-2, t_end, n_times)
    keep = logit_gradient_flow(X, y, w, times)
    return dict(times=times, keep=keep, alignment=alignment, score=score, w=w, teacher=teacher, X=X, y=y)


# --------------------------------------------------------------------------- fig_regularisation_paths


def lasso_duality_gap(X, y, costs, lam, theta) -> np.ndarray:
    """Duality gap of F(θ) = (1/n)||y − Xθ||² + (λ/n)Σ_j c_j|θ_j| at each row θ of `theta`.

    (n/2)·F = ½||r||² + Σ_j μ_j|θ_j| with μ_j = λc_j/2 and r = y − Xθ; its dual is
    D(u) = ½||y||² − ½||y − u||² over |x_jᵀu| ≤ μ_j, and u = s·r with the largest feasible
    s ∈ [0, 1] is feasible. Returns (2/n)·(primal − D(u)) ≥ F(θ) − min F, per row.
    """
    lam = np.asarray(lam, dtype=np.float64)
    n = X.shape[0]
    residual = y - theta @ X.T  # (L, n)
    mu = lam[:, None] * costs / 2  # (L, d)
    correlation = np.abs(residual @ X)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(correlation > 0, mu / correlation, np.inf)
    scale = np.minimum(1.0, ratio.min(axis=1))[:, None]
    u = scale * residual
    primal = 0.5 * np.sum(residual**2, axis=1) + np.sum(mu * np.abs(theta), axis=1)
    dual = 0.5 * (y @ y) - 0.5 * np.sum((y - u) ** 2, axis=1)
    return 2 / n * np.maximum(primal - dual, 0.0)


def weighted_lasso_path(X, y, costs, lams, *, tol: float = LASSO_GAP_TOL, max_iter: int = 100_000):
    """Solve min_θ (1/n)||y − Xθ||² + (λ/n)Σ_j c_j|θ_j| for every λ in `lams` at once by FISTA.

    Step 1/L with L = 2·λ_max(XᵀX)/n; the prox is soft-thresholding at step·λ·c_j/n (exact zeros);
    momentum restarts when the objective rises (O'Donoghue & Candès 2015). Stops when every duality
    gap (`lasso_duality_gap`) is ≤ tol·||y||²/n. Returns (θ of shape (len(lams), d), gaps, iterations).
    """
    X, y, costs, lams = (np.asarray(a, dtype=np.float64) for a in (X, y, costs, lams))
    n, d = X.shape
    gram, xty = X.T @ X / n, X.T @ y / n
    step = 1 / (2 * np.linalg.eigvalsh(gram)[-1])
    threshold = step * lams[:, None] * costs / n
    target = tol * (y @ y) / n

    def objective(theta):
        residual = y - theta @ X.T
        return np.sum(residual**2, axis=1) / n + lams * (np.abs(theta) @ costs) / n

    theta = np.zeros((len(lams), d))
    point, momentum, value = theta.copy(), np.ones(len(lams)), objective(theta)
    for iteration in range(1, max_iter + 1):
        z = point - step * 2 * (point @ gram - xty)
        new = np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)
        new_value = objective(new)
        restart = new_value > value
        next_momentum = np.where(restart, 1.0, (1 + np.sqrt(1 + 4 * momentum**2)) / 2)
        beta = np.where(restart, 0.0, (momentum - 1) / next_momentum)[:, None]
        point = new + beta * (new - theta)
        theta, momentum, value = new, next_momentum, new_value
        if iteration % 10 == 0:
            gaps = lasso_duality_gap(X, y, costs, lams, theta)
            if np.all(gaps <= target):
                return theta, gaps, iteration
    raise RuntimeError(f"FISTA did not reach duality gap {target:.3g} in {max_iter} iterations")


def regularisation_paths(seed: int, n: int, d: int, n_path: int) -> dict[str, np.ndarray]:
    """Dropout shrinks (ridge path over keep q), masks select (weighted-lasso path and exact optimum).

    The reference weights w are a dense least-squares fit of the sparse teacher on a separate
    "pretraining" sample of 2d rows (on the same data the least-squares w would make the full mask
    optimal, m* = 1, and nothing would be selected). All paths use the main sample (X, y), n rows.

    Returns keep_grid q (P,) in (0, 1]; dropout_path (P, d) = (G + ((1−q)/q)diag G)⁻¹Xᵀy;
    lam_grid (P,) log-spaced in [10⁻³, 1.5]·λ_max, λ_max = max_j 2|x_jᵀy|/c_j (all zero above it);
    lasso_path (P, d); lasso_gap (P,) duality gaps; lasso_tol (0-d) the FISTA stopping gap;
    costs c = diag(G)⊙|w|; theta_star = m*⊙w and mask_star m* (d,) from all 2^d masks; w, teacher (d,);
    X (n, d), y (n,).
    """
    _check_sizes(n=n, d=d, n_path=n_path)
    rng = np.random.default_rng(seed)
    teacher = _sparse_teacher(rng, d)

    def sample(rows: int):
        X = rng.standard_normal((rows, d))
        return X, X @ teacher + rng.standard_normal(rows)

    X_ref, y_ref = sample(2 * d)
    w = np.linalg.lstsq(X_ref, y_ref, rcond=None)[0]
    X, y = sample(n)

    keep_grid = np.geomspace(1e-2, 1.0, n_path)
    dropout_path = np.stack([dropout_optimal_weights(X, y, q) for q in keep_grid])

    costs = np.einsum("ij,ij->j", X, X) * np.abs(w)
    lam_max = np.max(2 * np.abs(X.T @ y) / costs)
    lam_grid = lam_max * np.geomspace(1e-3, 1.5, n_path)
    lasso_path, lasso_gap, _ = weighted_lasso_path(X, y, costs, lam_grid)

    masks, losses = vertex_losses(X, y, w)
    mask_star = masks[np.argmin(losses)]
    return dict(
        keep_grid=keep_grid, dropout_path=dropout_path, lam_grid=lam_grid, lasso_path=lasso_path,
        lasso_gap=lasso_gap, lasso_tol=np.array(LASSO_GAP_TOL * (y @ y) / n), costs=costs,
        theta_star=mask_star * w, mask_star=mask_star, w=w, teacher=teacher, X=X, y=y,
    )
