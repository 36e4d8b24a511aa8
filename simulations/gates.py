"""Sampling of clipped gates and training with the L0 surrogate (claims G1–G3). No plotting.

Gates are drawn as z = gate.value(E, loc, scale) with base noise E = F_E⁻¹(u), u uniform in (0, 1)
(`theory.gates.ClippedGate`). Training minimises a Monte Carlo estimate of the L0 objective of
Louizos et al. (2018) with hard-concrete gates (ln α per gate), by Adam on reparametrised samples:

    J(θ, ln α) = E_z L(θ⊙z) + λ·Σ_j |g_j|·P(z_j ≠ 0),      P(z ≠ 0) = σ(ln α − β ln(−γ/ζ)),

whose gradient is, per gate sample, ∂L/∂z ⊙ ∂z/∂ln α (`hard_concrete_gate_grad`) plus the
surrogate's exact gradient λ|g|π(1 − π). After training the model uses the deterministic test-time
gates ẑ = min(1, max(0, σ(ln α)(ζ − γ) + γ)), so pruned parameters are exactly zero.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize

from theory.gates import (
    BETA,
    GAMMA,
    ZETA,
    ClippedGate,
    hard_concrete_gate_and_grad,
    hard_concrete_penalty_constants,
    hard_concrete_prob_nonzero,
    hard_concrete_prob_nonzero_grad,
    hard_concrete_test_gate,
    orthogonal_gate_support,
)
from theory.penalties import get_penalty
from theory.validation import design_and_labels, generator, real_array, real_scalar

SIGNAL = (1.0, 2.0)  # |w*_j| on the support of the regression teachers
ADAM = (0.9, 0.999, 1e-8)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0 \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def open_uniform(rng: np.random.Generator, shape) -> np.ndarray:
    """Uniforms in the open interval (0, 1), so that the base quantile function is finite at every draw:
    rng.random() lies in [0, 1 − 2⁻⁵³]; a draw of exactly 0 (probability 2⁻⁵³) becomes the smallest normal."""
    return np.maximum(rng.random(shape), np.finfo(np.float64).tiny)


def sample_gates(gate: ClippedGate, loc, scale, n_samples: int, rng=None) -> np.ndarray:
    """`n_samples` independent draws of z for every entry of the broadcast (loc, scale): shape (n_samples, ...)."""
    if not isinstance(gate, ClippedGate):
        raise TypeError(f"gate must be a theory.gates.ClippedGate, got {type(gate).__name__}")
    n_samples = _positive_int(n_samples, "n_samples")
    rng = generator(rng)
    loc, scale = np.broadcast_arrays(np.asarray(loc, dtype=np.float64), np.asarray(scale, dtype=np.float64))
    noise = gate.noise_from_uniform(open_uniform(rng, (n_samples, *loc.shape)))
    return gate.value(noise, loc, scale)


def logistic_noise(rng: np.random.Generator, shape) -> np.ndarray:
    """E = ln u − ln(1 − u) with u uniform in (0, 1): the noise of a hard-concrete gate."""
    u = open_uniform(rng, shape)
    return np.log(u) - np.log1p(-u)


class Adam:
    """Adam (Kingma & Ba 2015) on a list of arrays, updated in place, with the learning rate held for the
    first half of `steps` and decayed linearly to 0 over the second half (so the last iterates settle)."""

    def __init__(self, params: list[np.ndarray], lr: float, steps: int):
        if not isinstance(params, list) or not all(isinstance(p, np.ndarray) for p in params):
            raise TypeError(f"params must be a list of arrays updated in place, got {type(params).__name__}")
        lr, steps = _positive_float(lr, "lr"), _positive_int(steps, "steps")
        self.params, self.lr, self.steps, self.t = params, lr, steps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        b1, b2, eps = ADAM
        self.t += 1
        lr = self.lr * min(1.0, 2 * (1 - (self.t - 1) / self.steps))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + eps)


# --------------------------------------------------------------------------- linear regression (G3)


class GatedLinearFit(NamedTuple):
    """One row per λ: weights θ, gate logits ln α, test-time weights θ⊙ẑ (exact zeros), the L0 surrogate
    Σ_j P(z_j ≠ 0) and the true L0 ||θ⊙ẑ||₀ of the test-time model."""

    lams: np.ndarray
    theta: np.ndarray
    log_alpha: np.ndarray
    test_weights: np.ndarray
    surrogate: np.ndarray
    l0: np.ndarray


def train_gated_linear(X, y, lams, rng=None, *, steps: int = 2000, n_gate_samples: int = 4, lr: float = 0.05,
                       theta0=None, log_alpha0: float = 0.0, beta: float = BETA, gamma: float = GAMMA,
                       zeta: float = ZETA) -> GatedLinearFit:
    """Minimise (1/n)E_z||y − X(θ⊙z)||² + λΣ_j P(z_j ≠ 0) for every λ in `lams` at once (module docstring).

    Per step and λ, `n_gate_samples` gate vectors z_k = hard_concrete_gate(E_k, ln α); with residuals
    r_k = y − X(θ⊙z_k) and c_k = −(2/n)Xᵀr_k the gradients are mean_k c_k⊙z_k (θ) and
    mean_k c_k⊙θ⊙∂z_k/∂ln α + λπ(1 − π) (ln α). θ starts at `theta0` (default: least squares), ln α at
    `log_alpha0`. Every random draw comes from `rng`.
    """
    X, y = design_and_labels(X, y)
    n, d = X.shape
    lams = real_array(np.atleast_1d(lams), "lams", 1)
    if np.any(lams < 0):
        raise ValueError("lams must be ≥ 0")
    steps, n_gate_samples = _positive_int(steps, "steps"), _positive_int(n_gate_samples, "n_gate_samples")
    lr = _positive_float(lr, "lr")
    rng = generator(rng)
    theta0 = np.linalg.lstsq(X, y, rcond=None)[0] if theta0 is None else real_array(theta0, "theta0", 1)
    if theta0.shape != (d,):
        raise ValueError(f"theta0 must have d = {d} entries, got shape {theta0.shape}")
    theta = np.tile(theta0, (len(lams), 1))
    log_alpha = np.full((len(lams), d), float(real_array(log_alpha0, "log_alpha0", 0)))
    optimiser = Adam([theta, log_alpha], lr, steps)
    for _ in range(steps):
        noise = logistic_noise(rng, (len(lams), n_gate_samples, d))
        z, dz = hard_concrete_gate_and_grad(noise, log_alpha[:, None, :], beta, gamma, zeta)
        residual = y - (theta[:, None, :] * z) @ X.T
        c = (-2 / n) * (residual @ X)
        grad_theta = np.mean(c * z, axis=1)
        grad_log_alpha = np.mean(c * theta[:, None, :] * dz, axis=1) + lams[:, None] * \
            hard_concrete_prob_nonzero_grad(log_alpha, beta, gamma, zeta)
        optimiser.step([grad_theta, grad_log_alpha])
    test_weights = theta * hard_concrete_test_gate(log_alpha, gamma, zeta)
    surrogate = hard_concrete_prob_nonzero(log_alpha, beta, gamma, zeta).sum(axis=1)
    return GatedLinearFit(lams, theta, log_alpha, test_weights, surrogate, np.count_nonzero(test_weights, axis=1))


def sparse_teacher(rng, d: int) -> np.ndarray:
    """w* with max(1, d/8) non-zeros of magnitude U(SIGNAL) and random signs at random positions."""
    rng, d = generator(rng), _positive_int(d, "d")
    teacher = np.zeros(d)
    support = rng.choice(d, size=max(1, d // 8), replace=False)
    teacher[support] = rng.uniform(*SIGNAL, support.size) * rng.choice((-1.0, 1.0), support.size)
    return teacher


def orthogonal_problem(rng, n: int, d: int):
    """X with XᵀX = nI (e_j = 1), a `sparse_teacher` w* and y = Xw* + N(0, 1)."""
    rng, n, d = generator(rng), _positive_int(n, "n"), _positive_int(d, "d")
    q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = np.sqrt(n) * q
    teacher = sparse_teacher(rng, d)
    return X, X @ teacher + rng.standard_normal(n), teacher


def correlated_problem(rng, n: int, d: int, correlation: float = 0.3):
    """Equicorrelated Gaussian rows, a `sparse_teacher` w* and y = Xw* + N(0, 1)."""
    rng, n, d = generator(rng), _positive_int(n, "n"), _positive_int(d, "d")
    correlation = real_scalar(correlation, "correlation", 0.0, 1.0)
    shared = rng.standard_normal((n, 1))
    X = np.sqrt(1 - correlation) * rng.standard_normal((n, d)) + np.sqrt(correlation) * shared
    teacher = sparse_teacher(rng, d)
    return X, X @ teacher + rng.standard_normal(n), teacher


def band_disagreements(alignment, fit, energy: float = 1.0):
    """Per λ of a `GatedLinearFit` on an orthogonal design: (disagreements with the ℓ0 rule e â² > λ among
    coordinates outside the band u_max ≤ |â|√(e/λ) ≤ c₀/2, number of coordinates inside the band)."""
    constants = hard_concrete_penalty_constants()
    u = np.abs(alignment)[None, :] * np.sqrt(energy / fit.lams[:, None])
    inside = (u >= constants.plateau_start) & (u <= constants.zero_slope / 2)
    predicted = np.stack([orthogonal_gate_support(alignment, lam, energy) for lam in fit.lams])
    disagree = (fit.test_weights != 0) != predicted
    return np.sum(disagree & ~inside, axis=1), np.sum(inside, axis=1)


# --------------------------------------------------------------------------- a small MLP with input gates (G3)


class GatedMLP(NamedTuple):
    """f(x) = v·tanh(W(ẑ⊙x) + b) + c with one gate per input, shared by that input's fan-out (a column of W)."""

    W: np.ndarray  # (hidden, d)
    b: np.ndarray
    v: np.ndarray
    c: float
    log_alpha: np.ndarray  # (d,)
    gamma: float
    zeta: float

    def input_gates(self) -> np.ndarray:
        return hard_concrete_test_gate(self.log_alpha, self.gamma, self.zeta)

    def effective_first_layer(self) -> np.ndarray:
        """W with each column multiplied by its test-time gate: pruned inputs leave exact zero columns."""
        return self.W * self.input_gates()

    def predict(self, X) -> np.ndarray:
        X = real_array(X, "X", 2)
        return np.tanh(X @ self.effective_first_layer().T + self.b) @ self.v + self.c


def _mlp_forward_backward(X, y, W, b, v, c, z):
    """Loss (1/n)||f − y||² and its gradients for gate samples z of shape (K, d), averaged over K.

    Returns (loss, dW, db, dv, dc, dz) with dz of shape (K, d): ∂loss_k/∂z_k for each sample."""
    n = X.shape[0]
    Xz = X[None, :, :] * z[:, None, :]  # (K, n, d)
    H = np.tanh(Xz @ W.T + b)  # (K, n, h)
    residual = H @ v + c - y  # (K, n)
    d_out = 2 * residual / n
    dH = d_out[:, :, None] * v  # (K, n, h)
    dA = dH * (1 - H**2)
    K, hidden = z.shape[0], W.shape[0]
    dW = dA.reshape(-1, hidden).T @ Xz.reshape(-1, X.shape[1]) / K
    dz = np.sum((dA @ W) * X, axis=1)
    dv = d_out.reshape(-1) @ H.reshape(-1, hidden) / K
    return np.mean(residual**2), dW, dA.sum(axis=(0, 1)) / K, dv, d_out.sum() / K, dz


def train_gated_mlp(X, y, lam: float, rng=None, *, hidden: int = 16, steps: int = 2000, n_gate_samples: int = 4,
                    lr: float = 0.02, log_alpha0: float = 0.0, beta: float = BETA, gamma: float = GAMMA,
                    zeta: float = ZETA) -> GatedMLP:
    """Train the input-gated MLP on (1/n)E_z||f(z⊙x) − y||² + λ·Σ_j hidden·P(z_j ≠ 0) with Adam.

    The L0 term counts the expected non-zero first-layer weights (each input gate is shared by its
    `hidden` fan-out weights: `theory.gates.group_l0_surrogate`). Weights start Gaussian with
    variance 1/fan-in, gates at ln α = `log_alpha0`; every draw comes from `rng`.
    """
    X, y = design_and_labels(X, y)
    d = X.shape[1]
    lam = float(real_array(lam, "lam", 0))
    if lam < 0:
        raise ValueError(f"lam must be ≥ 0, got {lam}")
    hidden, steps = _positive_int(hidden, "hidden"), _positive_int(steps, "steps")
    n_gate_samples, lr = _positive_int(n_gate_samples, "n_gate_samples"), _positive_float(lr, "lr")
    rng = generator(rng)
    W = rng.standard_normal((hidden, d)) / np.sqrt(d)
    b, v, c = np.zeros(hidden), rng.standard_normal(hidden) / np.sqrt(hidden), np.zeros(1)
    log_alpha = np.full(d, float(log_alpha0))
    optimiser = Adam([W, b, v, c, log_alpha], lr, steps)
    for _ in range(steps):
        noise = logistic_noise(rng, (n_gate_samples, d))
        z, z_grad = hard_concrete_gate_and_grad(noise, log_alpha, beta, gamma, zeta)
        _, dW, db, dv, dc, dz = _mlp_forward_backward(X, y, W, b, v, c[0], z)
        grad_log_alpha = np.mean(dz * z_grad, axis=0) \
            + lam * hidden * hard_concrete_prob_nonzero_grad(log_alpha, beta, gamma, zeta)
        optimiser.step([dW, db, dv, np.atleast_1d(dc), grad_log_alpha])
    return GatedMLP(W, b, v, float(c[0]), log_alpha, gamma, zeta)


def teacher_student_data(rng, n: int, d: int, relevant: int, noise: float = 0.1):
    """x ~ N(0, I_d); y = Σ_{j∈S} a_j tanh(1.5x_j) + tanh(x_s x_t) + noise·N(0, 1) on `relevant` ≥ 2 inputs S.

    a_j = ±U(1, 2), so every input of S carries variance ≥ Var tanh(1.5N) ≈ 0.6 and the pair (s, t), the
    first two of S, interacts. Returns (X, y, support) with support a boolean mask of S.
    """
    rng, n, d = generator(rng), _positive_int(n, "n"), _positive_int(d, "d")
    relevant, noise = _positive_int(relevant, "relevant"), real_scalar(noise, "noise", 0.0)
    if not 2 <= relevant <= d:
        raise ValueError(f"relevant must lie in [2, d = {d}], got {relevant}")
    support = np.zeros(d, dtype=bool)
    inputs = rng.choice(d, size=relevant, replace=False)
    support[inputs] = True
    a = rng.choice((-1.0, 1.0), relevant) * rng.uniform(1.0, 2.0, relevant)
    X = rng.standard_normal((n, d))
    y = np.tanh(1.5 * X[:, inputs]) @ a + np.tanh(X[:, inputs[0]] * X[:, inputs[1]]) + noise * rng.standard_normal(n)
    return X, y, support


# --------------------------------------------------------------------------- penalty shapes (G3)

SHAPES = ("mcp", "capped_l1", "log_sum")


def penalty_shape(name: str, u, params) -> np.ndarray:
    """Two-parameter penalty shapes on u ≥ 0 (scaled units of `theory.gates.scaled_gate_penalty`):

    "mcp" (slope c, plateau P): c·Ω_MCP(u; a, λ = 1) with aλ = 2P/c, i.e. cu − c²u²/(4P) up to u = 2P/c,
    then P (`theory.penalties`, family E); "capped_l1" (c, P): min(cu, P); "log_sum" (c, ε): c·ln(1 + u/ε).
    """
    u = real_array(np.atleast_1d(u), "u", 1)
    first, second = (float(p) for p in params)
    if name == "mcp":
        return first * get_penalty("mcp", a=2 * second / first, lam=1.0).omega(u)
    if name == "capped_l1":
        return np.minimum(first * u, second)
    if name == "log_sum":
        return first * np.log1p(u / second)
    raise ValueError(f"name must be one of {SHAPES}, got {name!r}")


def fit_penalty_shape(name: str, u, omega, start) -> tuple[np.ndarray, float]:
    """Parameters (both > 0) minimising max_i |shape(u_i) − ω_i| (Nelder–Mead in log-parameters from
    `start`, restarted once from its result); returns (parameters, sup error)."""
    u, omega = real_array(np.atleast_1d(u), "u", 1), real_array(np.atleast_1d(omega), "omega", 1)

    def sup_error(log_params):
        return float(np.max(np.abs(penalty_shape(name, u, np.exp(log_params)) - omega)))

    point = np.log(np.asarray(start, dtype=np.float64))
    for _ in range(2):
        point = minimize(sup_error, point, method="Nelder-Mead",
                         options=dict(xatol=1e-10, fatol=1e-13, maxiter=4000)).x
    return np.exp(point), sup_error(point)
