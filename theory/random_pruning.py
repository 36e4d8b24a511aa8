"""Symbolic side of claims P1–P4: two-layer networks randomly pruned at initialisation on signal/noise patches.

Setting (Cao et al. 2022, Kou et al. 2023; pruned as in [Y]): x = [y·μ, ξ], ξ ~ N(0, σ_p²(I − μμᵀ/‖μ‖²)),
filters w_{j,r} ⊙ M_{j,r} with M entries Bernoulli(1 − ρ). Without pruning, gradient descent overfits
benignly when the signal-to-noise statistic κ = n‖μ‖⁴/(σ_p⁴ d) exceeds a constant C (Kou et al. 2023) and
harmfully (test error bounded away from 0) below it. What this module derives:

P1 (`derive_p1`)  A masked neuron sees noise of energy E‖M ⊙ ξ‖² = (1 − ρ)σ_p²(d − 1) (coordinate signal), so
    its noise coefficients grow (1 − ρ) times slower while a kept signal grows as fast: the condition of
    the unpruned analysis with d replaced by (1 − ρ)d, κ ≥ C(1 − ρ), i.e. ‖μ‖ ≥ σ_p(C(1 − ρ)d/n)^{1/4}.
P2 (`derive_p2`)  The boundary κ*(ρ) = C(1 − ρ) falls with ρ ([Y]: the bound improves). Two neurons with
    independent masks and the same memorised noise a give test-noise outputs with correlation 1 − ρ, so
    the averaged noise output has variance (1 − ρ)(1 + (m − 1)(1 − ρ))/m · σ_p²‖a‖². A fully random mask
    also removes the signal: a neuron keeps a coordinate signal with probability 1 − ρ, (1 − ρ)m per class
    on average, and the signal part of the output shrinks by the factor 1 − ρ.
P3 (`derive_p3`)  Memorisation needs nearly orthogonal masked noises: the cosine of ξ_i ⊙ M and ξ_k ⊙ M has
    standard deviation 1/√((1 − ρ)(d − 1)), small when (1 − ρ)d ≫ 1 and the n noises fit when (1 − ρ)d ≫ n;
    learning needs a neuron that keeps the signal, absent from the whole network with probability ρ^{2m}.
P4 (`derive_p4`)  The phase diagram in (ρ, κ): benign above κ = C(1 − ρ) while (1 − ρ)m ≳ 1 (learning) and
    (1 − ρ)d ≳ n (memorisation); the constants are fitted to the simulation at ρ = 0.
Statements of [Y] (only its abstract was available): P1's threshold on ρ and P2's improving bound; the
formulas above are this package's derivations in the Cao/Kou model.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.derivation import Derivation
from theory.validation import real_values

rho = sp.Symbol("rho", nonnegative=True)
n, d, m = sp.symbols("n d m", positive=True, integer=True)
sigma_p, mu_norm, C = sp.symbols("sigma_p mu C", positive=True)
kappa = sp.Symbol("kappa", positive=True)


def _bernoulli_moment(power: int) -> sp.Expr:
    """E M^power for M ~ Bernoulli(1 − ρ), summed over the two outcomes."""
    return sp.Integer(0) ** power * rho + sp.Integer(1) ** power * (1 - rho)


def _require_zero(expression: sp.Expr, what: str) -> None:
    if sp.simplify(expression) != 0:
        raise AssertionError(f"{what}: residual {sp.simplify(expression)}")


def derive_p1() -> Derivation:
    """The benign-overfitting condition of the pruned network: κ ≥ C(1 − ρ)."""
    der = Derivation("P1", "the signal-to-noise condition of benign overfitting under random pruning")
    statistic = n * mu_norm**4 / (sigma_p**4 * d)
    der.add("Kou et al. (2023): without pruning, gradient descent overfits benignly when the statistic", statistic)
    der.add("exceeds a constant C (harmful overfitting below it).")
    energy = (d - 1) * sigma_p**2 * _bernoulli_moment(2)
    der.add("A neuron with mask M (entries Bernoulli(1 − rho)) sees the masked noise M ⊙ ξ; ξ has variance "
            "sigma_p² in the d − 1 directions orthogonal to a coordinate signal, so E||M ⊙ ξ||² = Σ_k E M_k² E ξ_k² =",
            energy)
    noise_energy = (1 - rho) * sigma_p**2 * (d - 1)
    _require_zero(energy - noise_energy, "masked noise energy")
    der.add("The gradient moves a noise coefficient <w, ξ_i> by η·ℓ'_i·||M ⊙ ξ_i||²/(nm) and a kept signal "
            "coefficient by η·||μ||²/m: the pruned network is the unpruned one with d replaced by (1 − rho)d.")
    condition = sp.Ge(statistic, C * (1 - rho))
    der.add("Hence the condition of the pruned network (a constant C fitted to the simulation)", condition)
    closed = sigma_p * (C * (1 - rho) * d / n) ** sp.Rational(1, 4)
    _require_zero(statistic.subs(mu_norm, closed) - C * (1 - rho), "critical signal norm")
    der.add("equivalently the signal norm must exceed", closed)
    _require_zero(condition.rhs.subs(rho, 0) - C, "rho = 0 limit")
    der.add("At rho = 0 this is Kou et al.'s condition; the threshold on rho of [Y] is where (1 − rho)m neurons "
            "keeping the signal and (1 − rho)d ≫ n noise dimensions stop holding (P3).")
    der.results.update(statistic=statistic, noise_energy=noise_energy, condition=condition, critical_norm=closed)
    return der


def derive_p2() -> Derivation:
    """The boundary improves with ρ; decorrelation of test-noise outputs; the signal a fully random mask keeps."""
    der = Derivation("P2", "the bound improves with the pruning fraction; what a fully random mask costs")
    boundary = C * (1 - rho)
    slope = sp.diff(boundary, rho)
    der.add("The boundary of P1 in the statistic kappa is kappa*(rho) = C(1 − rho), with slope", slope)
    der.add("negative: the generalisation condition of [Y] gets weaker (the bound better) as rho grows.")
    r, s = sp.symbols("r s", positive=True, integer=True)
    variance = _bernoulli_moment(2)
    covariance = _bernoulli_moment(1) ** 2
    correlation = sp.simplify(covariance / variance)
    der.add("Two neurons r ≠ s with independent masks that memorised the same noise direction a give a fresh test "
            "noise ξ the outputs u = <M_r ⊙ a, ξ>, whose covariance over ξ and the masks is σ_p² Σ_k a_k² E[M_rk M_sk]; "
            "E M_rk² = 1 − rho and E M_rk M_sk = (1 − rho)², so their correlation is", correlation)
    _require_zero(correlation - (1 - rho), "correlation")
    mean_variance = sp.simplify((m * variance + m * (m - 1) * covariance) / m**2)
    der.add("The test-noise output averaged over m neurons, (1/m)Σ_r u_r, has variance (in units of σ_p²||a||²)",
            mean_variance)
    closed_variance = (1 - rho) * (1 + (m - 1) * (1 - rho)) / m
    _require_zero(mean_variance - closed_variance, "variance of the averaged noise output")
    kept = _bernoulli_moment(1)
    der.add("A fully random mask keeps a coordinate signal in a neuron with probability", kept)
    der.add("so (1 − rho)m neurons per class learn it and the signal part of the output, (1/m)Σ_r M_r1 σ(<w_r, μ>), "
            "shrinks by the factor 1 − rho; a signal-preserving mask keeps it whole while the noise energy and the "
            "correlation fall. The simulation decides which effect wins in each setting.")
    der.results.update(boundary=boundary, slope=slope, correlation=correlation, mean_noise_variance=closed_variance,
                       signal_fraction=kept)
    return der


def derive_p3() -> Derivation:
    """Noise memorisation at large ρ: orthogonality of masked noises; no neuron keeps the signal."""
    der = Derivation("P3", "memorisation without learning at large pruning fractions")
    second = sp.expand((d - 1) * _bernoulli_moment(2) * sigma_p**4)
    der.add("Two independent noises ξ, ζ under one mask: E<M ⊙ ξ, M ⊙ ζ>² = Σ_k E M_k² E ξ_k² E ζ_k² =", second)
    energy = (1 - rho) * sigma_p**2 * (d - 1)
    cosine_sd = sp.sqrt(second) / energy
    closed = 1 / sp.sqrt((1 - rho) * (d - 1))
    _require_zero(cosine_sd**2 - closed**2, "cosine standard deviation")
    der.add("against E||M ⊙ ξ||² = (1 − rho)σ_p²(d − 1): the masked noises have cosines of standard deviation", closed)
    der.add("The n noises are nearly orthogonal, and gradient descent can fit every label through its own noise "
            "(training loss → 0), while (1 − rho)d ≫ n.")
    no_signal = (1 - _bernoulli_moment(1)) ** (2 * m)
    der.add("A fully random mask removes a coordinate signal from all 2m neurons with probability", no_signal)
    der.add("and then the signal coefficients stay at their initial values: the test output is noise, the test "
            "error ≈ 1/2. Learning needs (1 − rho)m ≳ 1 neurons per class keeping the signal.")
    der.results.update(cosine_sd=closed, no_signal_probability=no_signal, signal_neurons=(1 - rho) * m)
    return der


def derive_p4() -> Derivation:
    """The phase diagram over (ρ, κ): the predicted boundaries with fitted constants."""
    der = Derivation("P4", "phase diagram of test error over the pruning fraction and the signal-to-noise ratio")
    benign = sp.Eq(kappa, C * (1 - rho))
    der.add("Benign (small test error) above the curve", benign)
    c_m, c_d = sp.symbols("c_m c_d", positive=True)
    learning = sp.Eq(rho, 1 - c_m / m)
    memorisation = sp.Eq(rho, 1 - c_d * n / d)
    der.add("left of the learning limit (enough neurons keep the signal)", learning)
    der.add("and, for training loss → 0 by memorisation, left of", memorisation)
    der.add("C is fitted where the simulated test error at rho = 0 crosses a stated level; c_m = c_d = 1 are the "
            "orders of magnitude drawn.")
    variance = derive_p2().results["mean_noise_variance"]
    der.add("Refinement (this package). A neuron memorises ξ_i ⊙ M_r at rate ∝ (1 − rho)σ_p²d/n and the signal at rate "
            "∝ ||μ||², so its signal coefficient is gamma = rho_bar·n||μ||²/((1 − rho)σ_p²d) for noise coefficients "
            "rho_bar; the memorised direction a = Σ_i rho_bar ξ_i/((1 − rho)σ_p²d) has ||a||² = n rho_bar²/((1 − rho)²σ_p²d) "
            "and the neuron-averaged test-noise output the variance σ_p²||a||²·v(rho) of P2, with", variance)
    ratio = sp.simplify((n * mu_norm**2 / ((1 - rho) * sigma_p**2 * d)) ** 2
                        / (n / ((1 - rho) ** 2 * sigma_p**2 * d) * sigma_p**2 * variance))
    der.add("The squared ratio of the signal output to the noise output's standard deviation is", ratio)
    preserving = sp.simplify(C * variance / variance.subs(rho, 0))
    _require_zero(sp.simplify(ratio.subs(mu_norm, sigma_p * (preserving * d / n) ** sp.Rational(1, 4)))
                  - C, "refined boundary")
    der.add("which equals C on the refined boundary of signal-preserving masks", sp.Eq(kappa, preserving))
    random = sp.simplify(preserving / _bernoulli_moment(1) ** 2)
    der.add("Under fully random masks only a fraction 1 − rho of the neurons carry the signal, dividing the signal "
            "output by 1 − rho and the statistic it needs by (1 − rho)²", sp.Eq(kappa, random))
    der.add("For large m the first is C(1 − rho)² and the second C: the improvement over rho comes from the "
            "decorrelation of the neurons' noise outputs, which a fully random mask pays back in lost signal.")
    der.results.update(benign_boundary=benign, learning_limit=learning, memorisation_limit=memorisation,
                       preserving_boundary=sp.Eq(kappa, preserving), random_boundary=sp.Eq(kappa, random))
    return der


def snr_statistic(n_samples, dimension, signal_norm, noise_sd):
    """κ = n‖μ‖⁴/(σ_p⁴ d) (broadcast over arrays)."""
    values = [real_values(v, name) for v, name in ((n_samples, "n_samples"), (dimension, "dimension"),
                                                   (signal_norm, "signal_norm"), (noise_sd, "noise_sd"))]
    if any(np.any(v <= 0) for v in values):
        raise ValueError("n_samples, dimension, signal_norm and noise_sd must be > 0")
    n_samples, dimension, signal_norm, noise_sd = values
    return n_samples * signal_norm**4 / (noise_sd**4 * dimension)


def _pruning_fraction(value, name: str = "rho") -> np.ndarray:
    value = real_values(value, name)
    if np.any((value < 0) | (value >= 1)):
        raise ValueError(f"{name} must lie in [0, 1)")
    return value


def benign_boundary(rho_values, constant):
    """κ*(ρ) = C·(1 − ρ): the statistic above which the pruned network overfits benignly."""
    constant = real_values(constant, "constant")
    if np.any(constant <= 0):
        raise ValueError(f"constant must be > 0, got {constant}")
    return constant * (1 - _pruning_fraction(rho_values))


def signal_norm_for(statistic, n_samples, dimension, noise_sd=1.0):
    """‖μ‖ = σ_p·(κ d/n)^{1/4}: the signal norm that gives the statistic κ (inverse of `snr_statistic`)."""
    statistic = real_values(statistic, "statistic")
    if np.any(statistic <= 0):
        raise ValueError("statistic must be > 0")
    return real_values(noise_sd, "noise_sd") * (statistic / snr_statistic(n_samples, dimension, 1.0, 1.0)) ** 0.25


def refined_boundary(rho_values, width, constant, preserving: bool):
    """κ*(ρ) = C·v(ρ) for signal-preserving masks and C·v(ρ)/(1 − ρ)² for fully random ones, with
    v(ρ) = (1 − ρ)(1 + (m − 1)(1 − ρ))/m the decorrelated noise-output variance (`derive_p4`)."""
    constant = real_values(constant, "constant")
    if np.any(constant <= 0):
        raise ValueError(f"constant must be > 0, got {constant}")
    variance = noise_output_variance(rho_values, width)
    return constant * (variance if preserving else variance / (1 - _pruning_fraction(rho_values)) ** 2)


def no_signal_probability(rho_values, width):
    """ρ^{2m}: the probability that a fully random mask removes a coordinate signal from all 2m neurons."""
    width = real_values(width, "width")
    if np.any(width < 1):
        raise ValueError("width must be ≥ 1")
    return _pruning_fraction(rho_values) ** (2 * width)


def noise_output_variance(rho_values, width):
    """(1 − ρ)(1 + (m − 1)(1 − ρ))/m: variance of the neuron-averaged test-noise output (units σ_p²‖a‖²)."""
    width = real_values(width, "width")
    if np.any(width < 1):
        raise ValueError("width must be ≥ 1")
    keep = 1 - _pruning_fraction(rho_values)
    return keep * (1 + (width - 1) * keep) / width
