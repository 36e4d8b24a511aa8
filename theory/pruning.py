"""Symbolic side of claims K1 (pruners at initialisation) and K2 (probabilistic fine-tuning of masks).

K1 (`derive_k1`)  Population gradient descent in the linear teacher–student model y = xᵀw* + ε,
    x ~ N(0, I): sympy's rsolve gives w_t = w* + (1 − 2η)^t (w_0 − w*), so every weight moves by
    c_t(w* − w_0) with c_t = 1 − (1 − 2η)^t. The relative change |w_t − w_0|/|w_0| that dissipating
    gradients ranks is then the same c_t for every weight outside the teacher's support, and SNIP's
    score |g_j w_0j| is 2w_0² off the support and about 2|w_0||w*| on it.
K2 (`derive_k2`)  F(p) = E_m f(m) is multilinear in the keep probabilities, so ∂F/∂p_j is the mean
    flip difference E[f(m^{j→1}) − f(m^{j→0})] (checked on all 2³ masks with symbolic f). With
    p_j = σ(u_j + τ) and τ(u) fixed by Σ_j p_j = k, implicit differentiation gives, with
    s_j = p_j(1 − p_j) and g = ∇_p F,

        ∂F/∂u_j = s_j g_j − s_j (Σ_i s_i g_i)/(Σ_i s_i);

    in the linear model the mean flip difference is M4's gradient, and for an orthogonal design with
    least-squares weights n·E_m L = ||y||² − n Σ_j p_j w_j² is linear in p, so the constrained
    minimiser is magnitude pruning.

The numerical pruners and the fine-tuning live in simulations/pruners.py and simulations/fine_tuning.py.
"""

from __future__ import annotations

import itertools

import sympy as sp

from theory.derivation import Derivation


def derive_k1() -> Derivation:
    """Dissipating gradients and SNIP in the linear teacher–student model, population gradient descent."""
    der = Derivation("K1", "what dissipating gradients keeps in the linear teacher–student model")
    eta, f = sp.symbols("eta f", positive=True)
    t = sp.Symbol("t", integer=True, nonnegative=True)
    w0, target = sp.symbols("w_0 w^*", real=True)
    trajectory = sp.Function("w")
    der.add("Population loss of y = x^T w* + eps with x ~ N(0, I): L(w) = ||w − w*||² + σ², so a gradient "
            "step of size eta on weight j is", sp.Eq(trajectory(t + 1), trajectory(t) - 2 * eta * (trajectory(t) - target)))
    solved = sp.rsolve(trajectory(t + 1) - trajectory(t) + 2 * eta * (trajectory(t) - target), trajectory(t),
                       {trajectory(0): w0})
    closed = target + (1 - 2 * eta) ** t * (w0 - target)
    if sp.simplify(solved - closed) != 0:
        raise AssertionError(f"recursion solved to {solved}, expected {closed}")
    der.add("sympy's rsolve gives the trajectory", sp.Eq(trajectory(t), closed))
    contraction = 1 - (1 - 2 * eta) ** t
    displacement = sp.factor(closed - w0)
    if sp.simplify(displacement - contraction * (target - w0)) != 0:
        raise AssertionError("displacement mismatch")
    der.add("so after t steps every weight has moved by c_t(w* − w_0) with c_t = 1 − (1 − 2 eta)^t:",
            sp.Eq(trajectory(t) - w0, contraction * (target - w0)))
    c_t = sp.Symbol("c_t", positive=True)
    relative = c_t * sp.Abs(target - w0) / sp.Abs(w0)
    null = sp.simplify(relative.subs(target, 0))
    der.add("The relative change that dissipating gradients ranks, |w_t − w_0|/|w_0|, is", relative)
    der.add("for a weight outside the teacher's support (w* = 0) it is the same for every such weight:", null)
    der.add("so with c_t ≤ f every weight outside the support is removed, while a support weight is "
            "removed only when c_t|w*/w_0 − 1| ≤ f; with |w_0| ≪ |w*| (a small initialisation) the support survives.")
    snip = 2 * sp.Abs(w0) * sp.Abs(w0 - target)
    der.add("SNIP's score at initialisation, |g_j w_0j| with g = 2(w_0 − w*), is", snip)
    der.add("2w_0² off the support and about 2|w_0||w*| on it: SNIP also ranks the support first unless a "
            "support weight starts much smaller than the others, and magnitude pruning ignores w*. With finite "
            "data the gradient carries noise of order ||w − w*||/√n off the support, which the relative change "
            "divides by |w_0| and SNIP multiplies by it.")
    der.results.update(trajectory=sp.Eq(trajectory(t), closed), displacement=contraction * (target - w0),
                       relative_change=relative, null_relative_change=null, snip_score=snip,
                       support_rule=sp.Gt(sp.Abs(target / w0 - 1), f / c_t))
    return der


def _multilinear_identity(d: int) -> sp.Expr:
    """∂F/∂p_1 − E_{m_−1}[f(1, m_−1) − f(0, m_−1)] for F(p) = Σ_m P(m) f(m) with symbolic f(m); expands to 0."""
    ps = sp.symbols(f"p_1:{d + 1}", positive=True)
    values = {bits: sp.Symbol("f_" + "".join(map(str, bits))) for bits in itertools.product((0, 1), repeat=d)}

    def prob(bits, probabilities):
        return sp.Mul(*[q if b else 1 - q for b, q in zip(bits, probabilities)])

    expected = sum(prob(bits, ps) * value for bits, value in values.items())
    flips = sum(prob(rest, ps[1:]) * (values[(1, *rest)] - values[(0, *rest)])
                for rest in itertools.product((0, 1), repeat=d - 1))
    return sp.expand(sp.diff(expected, ps[0]) - flips)


class _Sigmoid(sp.Function):
    """σ with σ′ = σ(1 − σ), so that derivatives stay rational in the keep probabilities."""

    def fdiff(self, argindex=1):
        return self * (1 - self)


def _constrained_gradient_residual(d: int) -> sp.Expr:
    """Implicit differentiation of F(σ(u + τ(u))) with Σ σ(u_j + τ) = k, minus the stated formula, at u_1."""
    us = sp.symbols(f"u_1:{d + 1}", real=True)
    tau = sp.Function("tau")(*us)
    sigmoids = [_Sigmoid(u + tau) for u in us]
    ps = sp.symbols(f"p_1:{d + 1}", positive=True)
    grads = sp.symbols(f"g_1:{d + 1}", real=True)  # g = ∇_p F at the current p
    to_keep = dict(zip(sigmoids, ps))
    dtau = sp.solve(sp.Eq(sp.diff(sum(sigmoids), us[0]).subs(to_keep), 0), sp.diff(tau, us[0]))[0]
    chain = sum(g * sp.diff(q, us[0]) for g, q in zip(grads, sigmoids)).subs(to_keep).subs(sp.diff(tau, us[0]), dtau)
    slopes = [q * (1 - q) for q in ps]
    stated = slopes[0] * grads[0] - slopes[0] * sum(s * g for s, g in zip(slopes, grads)) / sum(slopes)
    return sp.cancel(sp.together(chain - stated))


def _linear_flip_residual(n: int, d: int) -> sp.Expr:
    """E_m[L(m^{1→1}) − L(m^{1→0})] − n⁻¹[−2w_1 x_1ᵀ(y − X(p⊙w)) + (1 − 2p_1)w_1²||x_1||²], all masks."""
    X = sp.Matrix(n, d, lambda i, k: sp.Symbol(f"x_{i}{k}", real=True))
    y = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"y_{i}", real=True))
    w = sp.Matrix(d, 1, lambda k, _: sp.Symbol(f"w_{k}", real=True))
    ps = sp.symbols(f"p_0:{d}", positive=True)

    def loss(bits):
        r = y - X * sp.Matrix([b * w[k] for k, b in enumerate(bits)])
        return (r.T * r)[0, 0] / n

    mean = sum(sp.Mul(*[q if b else 1 - q for b, q in zip(rest, ps[1:])]) * (loss((1, *rest)) - loss((0, *rest)))
               for rest in itertools.product((0, 1), repeat=d - 1))
    residual = y - X * sp.Matrix([q * w[k] for k, q in enumerate(ps)])
    column = X[:, 0]
    stated = (-2 * w[0] * (column.T * residual)[0, 0] + (1 - 2 * ps[0]) * w[0] ** 2 * (column.T * column)[0, 0]) / n
    return sp.expand(mean - stated)


def derive_k2() -> Derivation:
    der = Derivation("K2", "probabilistic fine-tuning of pruning masks at a fixed expected density")
    j, i, dim = sp.symbols("j i d", integer=True, positive=True)
    p = sp.IndexedBase("p")
    der.add("F(p) = E_m f(m) = Σ_m Π_j p_j^{m_j}(1 − p_j)^{1 − m_j} f(m) is affine in each p_j, so "
            "∂F/∂p_j = E[f(m with m_j = 1) − f(m with m_j = 0)], the others drawn from p (sympy: all 2^3 "
            "masks, symbolic f, the difference expands to 0).")
    if _multilinear_identity(3) != 0:
        raise AssertionError("multilinear identity failed")
    s, g = sp.IndexedBase("s"), sp.IndexedBase("g")
    gradient = s[j] * g[j] - s[j] * sp.Sum(s[i] * g[i], (i, 1, dim)) / sp.Sum(s[i], (i, 1, dim))
    der.add("With p_j = σ(u_j + τ) and τ(u) fixed by Σ_j p_j = k, implicit differentiation gives "
            "(s_j = p_j(1 − p_j), g = ∇_p F; sympy, d = 3):", sp.Eq(sp.Symbol("dF/du_j"), gradient))
    if _constrained_gradient_residual(3) != 0:
        raise AssertionError("constrained gradient mismatch")
    n_sym, w, corr = sp.symbols("n w_j b_j", real=True)
    energy = sp.Symbol("G_jj", nonnegative=True)
    flip_mean = (-2 * w * corr + (1 - 2 * p[j]) * w**2 * energy) / n_sym
    der.add("Linear model L(w) = (1/n)||y − Xw||²: the mean flip difference is M4's gradient, with "
            "b_j = x_jᵀ(y − X(p⊙w)) and G_jj = ||x_j||² (sympy: all masks, n = 2, d = 2):", flip_mean)
    if _linear_flip_residual(2, 2) != 0:
        raise AssertionError("linear flip difference mismatch")
    der.add("For an orthogonal design (XᵀX = nI) and least-squares weights w = Xᵀy/n, M2's θ-form gives "
            "n·E_m L = ||y||² − n Σ_j p_j w_j²: linear in p, so under Σ_j p_j = k the minimiser keeps the k "
            "largest |w_j| — magnitude pruning, which fine-tuning therefore cannot improve.")
    y_norm = sp.Symbol(r"\|y\|^2", nonnegative=True)
    objective = y_norm - n_sym * sp.Sum(p[j] * sp.Indexed("w", j) ** 2, (j, 1, dim))
    der.results.update(logit_gradient=gradient, flip_mean=flip_mean,
                       orthogonal_objective=objective)
    return der
