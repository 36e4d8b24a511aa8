"""Exercises of the lessons (lessons/*.py) and a checker for the answers.

`question(id)` states an exercise, `data(id)` gives its inputs (fresh arrays), and `check(id, answer)`
computes the correct answer itself from the theory modules (never a stored number), compares it with
the tolerance stated for the exercise, prints a one-line verdict and returns True or False. Every
call of `check` is appended to `RESULTS` as (id, verdict), so a test can see what a lesson checked.

Heavy imports (numpy, scipy, the theory and simulation modules) happen inside the functions, so
importing this module stays instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

RESULTS: list[tuple[str, bool]] = []

FALSE_FAILURE_RATE = 1e-6  # Monte Carlo answers: two-sided z at this rate


@dataclass(frozen=True)
class Exercise:
    id: str
    question: str
    tolerance: str  # the rule, in words
    data: Callable[[], dict[str, Any]]
    expected: Callable[[dict[str, Any]], Any]  # the correct answer, computed from the package
    tol: Callable[[dict[str, Any], Any], float]  # absolute tolerance given the correct answer
    exact: bool = False  # integer / boolean answers: equality


def _np():
    import numpy as np

    return np


def _eps() -> float:
    return float(_np().finfo(float).eps)


def _z() -> float:
    from scipy.stats import norm

    return float(norm.isf(FALSE_FAILURE_RATE / 2))


def _rounding(k: float):
    """Rounding bound k·eps·scale with scale = max(1, |expected|)."""
    return lambda d, expected: k * _eps() * max(1.0, float(_np().max(_np().abs(expected))))


# ---- family M -----------------------------------------------------------------------------------------

def _m_data() -> dict[str, Any]:
    np = _np()
    return {"X": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, -1.0], [2.0, 1.0, 1.0]]),
            "y": np.array([1.0, 0.0, 2.0, 1.0]),
            "w": np.array([1.0, -0.5, 2.0]),
            "keep": np.array([0.5, 0.8, 0.3])}


def _m1_expected(d):
    from theory.masks import expected_mask_loss

    np = _np()
    plain = float(np.mean((d["y"] - d["X"] @ (d["keep"] * d["w"])) ** 2))
    return expected_mask_loss(d["X"], d["y"], d["w"], d["keep"]) - plain


def _m2_data() -> dict[str, Any]:
    return _m_data() | {"n_samples": 2000}


def _mask_loss_moments(d):
    """Exact mean and variance of L(m⊙w) by enumerating the 2^d masks."""
    from simulations.linear import all_masks

    np = _np()
    masks = all_masks(d["X"].shape[1]).astype(float)
    prob = np.prod(np.where(masks > 0, d["keep"], 1 - d["keep"]), axis=1)
    losses = np.mean((d["y"][None, :] - (masks * d["w"]) @ d["X"].T) ** 2, axis=1)
    mean = float(prob @ losses)
    return mean, float(prob @ (losses - mean) ** 2)


def _m2_tol(d, expected):
    _, variance = _mask_loss_moments(d)
    return _z() * (variance / d["n_samples"]) ** 0.5


def _m3_data() -> dict[str, Any]:
    np = _np()
    return {"w": np.array([1.0, -2.0, 0.5, 3.0, -1.0]), "alignment": np.array([0.8, -0.5, 0.1, 1.0, 0.7])}


def _m3_expected(d):
    from theory.masks import orthogonal_keep_rule

    return orthogonal_keep_rule(d["w"], d["alignment"])


# ---- family E -----------------------------------------------------------------------------------------

def _e1_data() -> dict[str, Any]:
    np = _np()
    return {"w": np.array([0.0, 0.1, 0.5, 1.0, 3.0]), "eps": 0.5, "lam": 0.2}


def _e1_expected(d):
    from theory.penalties import get_penalty

    return get_penalty("logsum", eps=d["eps"]).keep_rate(d["w"], d["lam"])


def _e2_data() -> dict[str, Any]:
    np = _np()
    return {"w": np.array([0.2, 1.0, 2.5, 5.0]), "a": 3.0, "lam": 1.0}


def _e2_expected(d):
    from theory.penalties import get_penalty

    return get_penalty("mcp", a=d["a"], lam=d["lam"]).omega(d["w"])


# ---- family B -----------------------------------------------------------------------------------------

def _b1_data() -> dict[str, Any]:
    return {"emp_risk": 0.05, "kl": 12.0, "n": 2000, "delta": 0.05}


def _b1_expected(d):
    from theory.pac_bayes import seeger_bound

    return float(seeger_bound(d["emp_risk"], d["kl"], d["n"], d["delta"]))


def _b2_data() -> dict[str, Any]:
    np = _np()
    return {"p": np.array([0.9, 0.5, 0.2, 0.99]), "q": np.array([0.5, 0.5, 0.5, 0.5])}


def _b2_expected(d):
    from theory.pac_bayes import kl_product_bernoulli

    return float(kl_product_bernoulli(d["p"], d["q"]))


# ---- family K -----------------------------------------------------------------------------------------

def _k1_data() -> dict[str, Any]:
    return {"shape": (30, 64), "density": 0.05}


def _k1_expected(d):
    from simulations.pruners import kept_count

    size = int(_np().prod(d["shape"]))
    return int(kept_count(size, d["density"]))


def _k2_data() -> dict[str, Any]:
    np = _np()
    return {"W": np.array([[0.3, -1.2, 0.05, 0.7], [-0.4, 0.1, 2.0, -0.6], [0.9, -0.02, 0.5, -1.5]]),
            "density": 0.5}


def _k2_expected(d):
    from simulations import mlp
    from simulations.pruners import PruneSettings, magnitude_masks

    params = mlp.Params([d["W"][None]], None)
    return magnitude_masks(params, d["density"], PruneSettings())[0][0].astype(int)


# ---- family G -----------------------------------------------------------------------------------------

def _g1_data() -> dict[str, Any]:
    return {"log_alpha": 0.5, "beta": 2 / 3, "gamma": -0.1, "zeta": 1.1}


def _g1_expected(d):
    from theory.gates import hard_concrete_prob_nonzero

    return float(hard_concrete_prob_nonzero(d["log_alpha"], d["beta"], d["gamma"], d["zeta"]))


def _g2_data() -> dict[str, Any]:
    return _g1_data() | {"log_alpha": -0.5, "n_samples": 4000}


def _g_moments(d):
    from theory.gates import hard_concrete_moments

    return hard_concrete_moments(d["log_alpha"], d["beta"], d["gamma"], d["zeta"])


def _g2_tol(d, expected):
    moments = _g_moments(d)
    return _z() * float(moments.variance / d["n_samples"]) ** 0.5 + float(moments.error)


# ---- family P -----------------------------------------------------------------------------------------

def _p1_data() -> dict[str, Any]:
    np = _np()
    return {"n": 50, "d": 1000, "sigma_p": 1.5, "C": 2.0, "rho": np.array([0.0, 0.3, 0.6, 0.9])}


def _p1_expected(d):
    from theory.random_pruning import benign_boundary, signal_norm_for

    return signal_norm_for(benign_boundary(d["rho"], d["C"]), d["n"], d["d"], d["sigma_p"])


def _p2_data() -> dict[str, Any]:
    np = _np()
    return {"rho": np.array([0.0, 0.25, 0.5, 0.75, 0.95]), "width": 20}


def _p2_expected(d):
    from theory.random_pruning import noise_output_variance

    return noise_output_variance(d["rho"], d["width"])


def _p3_data() -> dict[str, Any]:
    return {"rho": 0.9, "width": 5, "n_samples": 4000}


def _p3_expected(d):
    from theory.random_pruning import no_signal_probability

    return float(no_signal_probability(d["rho"], d["width"]))


def _p3_tol(d, expected):
    return _z() * (expected * (1 - expected) / d["n_samples"]) ** 0.5


_MC = f"Monte Carlo: z·se, z at false-failure rate {FALSE_FAILURE_RATE:g}, se exact for the stated sample size"

EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise("M.1", "For data('M.1') (X, y, w, keep p), compute the M2 penalty term "
                    "(1/n) Σ_j p_j(1−p_j) w_j² ||x_j||² = E_m L(m⊙w) − L(p⊙w).",
             "rounding bound 64·eps·max(1, |answer|)", _m_data, _m1_expected, _rounding(64)),
    Exercise("M.2", "For data('M.2'), estimate E_m L(m⊙w) by Monte Carlo with n_samples masks m_j ~ Bernoulli(p_j).",
             _MC, _m2_data, lambda d: _mask_loss_moments(d)[0], _m2_tol),
    Exercise("M.3", "For an orthogonal design (XᵀX = nI) with weights w and alignments a = Xᵀy/n from data('M.3'), "
                    "which weights does the optimal mask keep? (a boolean array)",
             "exact", _m3_data, _m3_expected, lambda d, e: 0.0, exact=True),
    Exercise("E.1", "For the log-sum penalty with eps and λ from data('E.1'), compute the adaptive-dropout keep rate "
                    "α(w) = η̂/(η̂ + λ), η̂(w) = |w|(|w| + ε), at each w.",
             "rounding bound 64·eps·max(1, |answer|)", _e1_data, _e1_expected, _rounding(64)),
    Exercise("E.2", "For MCP with f(η) = aλη/(η + aλ) (data('E.2')), compute Ω(w) = ½·min_η [w²/η + f(η)] "
                    "numerically (minimise over η, including η → ∞) at each w.",
             "1e-6 (an optimiser's tolerance)", _e2_data, _e2_expected, lambda d, e: 1e-6),
    Exercise("B.1", "For data('B.1'), compute the Seeger bound kl⁻¹(L̂, c), c = (KL + ln(2√n/δ))/n, by bisection.",
             "1e-9 (bisection to 1e-12 plus rounding)", _b1_data, _b1_expected, lambda d, e: 1e-9),
    Exercise("B.2", "For data('B.2'), compute KL(Bern(p)‖Bern(q)) of the product-Bernoulli mask laws.",
             "rounding bound 64·eps·max(1, |answer|)", _b2_data, _b2_expected, _rounding(64)),
    Exercise("K.1", "A layer has weights of the shape in data('K.1'); how many weights does a pruner keep at the "
                    "given density? (k = round(δN), half to even)",
             "exact", _k1_data, _k1_expected, lambda d, e: 0.0, exact=True),
    Exercise("K.2", "Magnitude-prune the matrix W of data('K.2') at the given density: the 0/1 mask keeping the "
                    "round(δN) largest |w| (ties: lower flat index first).",
             "exact", _k2_data, _k2_expected, lambda d, e: 0.0, exact=True),
    Exercise("G.1", "For data('G.1'), compute P(z ≠ 0) of the hard-concrete gate (the L0 surrogate).",
             "rounding bound 64·eps·max(1, |answer|)", _g1_data, _g1_expected, _rounding(64)),
    Exercise("G.2", "For data('G.2'), estimate E z of the hard-concrete gate by sampling n_samples gates "
                    "z = clip(σ((ln u − ln(1−u) + ln α)/β)(ζ−γ) + γ, 0, 1).",
             _MC + " + the quadrature error of E z", _g2_data, lambda d: float(_g_moments(d).mean), _g2_tol),
    Exercise("P.1", "For data('P.1') (n, d, σ_p, the constant C and pruning fractions ρ), compute the signal norm "
                    "the pruned network needs for benign overfitting, ||μ|| = σ_p·(C(1 − ρ)d/n)^{1/4}, i.e. "
                    "κ = n||μ||⁴/(σ_p⁴d) on the boundary κ = C(1 − ρ), at each ρ.",
             "rounding bound 64·eps·max(1, |answer|)", _p1_data, _p1_expected, _rounding(64)),
    Exercise("P.2", "For data('P.2'), compute the variance of the neuron-averaged test-noise output of m neurons "
                    "with independent masks (units σ_p²||a||²): entries of M are Bernoulli(1 − ρ), "
                    "E M² = 1 − ρ, E M_r M_s = (1 − ρ)², at each ρ.",
             "rounding bound 64·eps·max(1, |answer|)", _p2_data, _p2_expected, _rounding(64)),
    Exercise("P.3", "For data('P.3'), estimate by sampling n_samples fully random masks (entries Bernoulli(1 − ρ)) "
                    "of the 2m neurons the probability that no neuron keeps the coordinate signal.",
             _MC, _p3_data, _p3_expected, _p3_tol),
)}


def _exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise_id!r}; valid ids: {', '.join(EXERCISES)}")
    return EXERCISES[exercise_id]


def ids(family: str | None = None) -> list[str]:
    """Exercise ids, all or those of one claim family ("M", "E", "B", "K", "G", "P")."""
    return [key for key in EXERCISES if family is None or key.split(".")[0] == family]


def question(exercise_id: str) -> str:
    exercise = _exercise(exercise_id)
    return f"{exercise.id}: {exercise.question} [tolerance: {exercise.tolerance}]"


def data(exercise_id: str) -> dict[str, Any]:
    """The inputs of an exercise (fresh copies)."""
    return _exercise(exercise_id).data()


def check(exercise_id: str, answer) -> bool:
    """Compare `answer` with the correct answer, print a one-line verdict and return it."""
    exercise = _exercise(exercise_id)
    np = _np()
    inputs = exercise.data()
    expected = exercise.expected(inputs)
    tolerance = float(exercise.tol(inputs, expected))
    expected_array = np.asarray(expected)
    try:
        given = np.asarray(answer, dtype=expected_array.dtype if exercise.exact else float)
        shaped = given.shape == expected_array.shape
    except (TypeError, ValueError):
        given, shaped = None, False
    if not shaped:
        ok = False
    elif exercise.exact:
        ok = bool(np.array_equal(given, expected_array))
    else:
        ok = bool(np.all(np.isfinite(given)) and np.all(np.abs(given - expected_array) <= tolerance))
    shown = np.array2string(expected_array, precision=10) if expected_array.ndim else f"{float(expected):.10g}"
    if ok:
        print(f"{exercise_id}: correct")
    elif exercise.exact:
        print(f"{exercise_id}: not yet — expected {shown}")
    else:
        print(f"{exercise_id}: not yet — expected ≈ {shown} within tol {tolerance:.3g}")
    RESULTS.append((exercise_id, ok))
    return ok
