"""The one list of every claim and every figure.

A claim names its derivation (theory/), its check (simulations/), its tolerance rule,
its figure and its paper section. Functions are named as "module:function" strings and
imported only when used, so listing claims stays instant. Adding a claim family means
new modules plus entries here, nothing else.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

PROFILES = ("tiny", "quick", "full")
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"


@dataclass(frozen=True)
class Claim:
    id: str
    family: str
    title: str
    statement: str
    derive: str  # "module:function" returning a theory.derivation.Derivation
    check: str  # "module:function" (profile, rng) -> list[CheckResult]
    tolerance: str  # the rule, in words
    figure: str | None
    section: str  # paper/sections/<section>.tex
    expected: str = REPRODUCED  # the recorded verdict; `verify` fails when the observed one differs


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    simulate: str  # "module:function" (seed, **settings) -> dict of arrays
    draw: str  # "module:function" (results) -> matplotlib Figure
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # per profile


def resolve(target: str) -> Callable:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


_LINEAR_CHECKS = "simulations.linear_checks"
_MC_RULE = "Monte Carlo: z·se at false-failure rate 1e-6; exact comparisons: rounding bound k·eps·scale"

# ---- family M: linear models (THEORY.md section M) ----
LINEAR_CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="M1", family="M", title="dropout acts as a data-adaptive L2 penalty",
        statement=r"E_m L((m/p)⊙w) = L(w) + (1/n) Σ_j ((1−p_j)/p_j)·||x_j||²·w_j²",
        derive="theory.dropout:derive_m1", check=f"{_LINEAR_CHECKS}:check_m1",
        tolerance=_MC_RULE, figure="fig_penalty_terms", section="linear",
    ),
    Claim(
        id="M2", family="M", title="stochastic masks act as a data-adaptive L1 penalty",
        statement=r"E_m L(m⊙w) = L(p⊙w) + (1/n) Σ_j p_j(1−p_j)·w_j²·||x_j||²; in θ = p⊙w a weighted L1 "
                  r"penalty with c_j = ||x_j||²|w_j|",
        derive="theory.masks:derive_m2", check=f"{_LINEAR_CHECKS}:check_m2",
        tolerance=_MC_RULE, figure="fig_penalty_terms", section="linear",
    ),
    Claim(
        id="M3", family="M", title="optimised stochastic masks are binary",
        statement="E_m L(m⊙w) is affine in each p_j, so a minimiser over [0,1]^d can be taken at a vertex",
        derive="theory.masks:derive_m3", check=f"{_LINEAR_CHECKS}:check_m3",
        tolerance="second differences: rounding bound; optimum: vertex minimum ≤ best box optimum + rounding",
        figure="fig_keep_trajectories", section="linear",
    ),
    Claim(
        id="M4", family="M", title="alignment with the labels decides what is pruned",
        statement="∂(n·E_m L)/∂p_j = −2w_j x_jᵀ(y − X(p⊙w)) + (1−2p_j)w_j²||x_j||²; for XᵀX = nI keep j "
                  "iff w_j a_j > w_j²/2",
        derive="theory.masks:derive_m4", check=f"{_LINEAR_CHECKS}:check_m4",
        tolerance="gradient: central differences are exact for an affine function, rounding bound; "
                  "keep rule: zero disagreements; general design: Spearman test at level 1e-3",
        figure="fig_keep_trajectories", section="linear",
    ),
    Claim(
        id="M5", family="M", title="dropout shrinks, masks select",
        statement="minimising the dropout objective over w is a generalised ridge with no zeros; "
                  "minimising the mask objective over p zeroes weights",
        derive="theory.masks:derive_m5", check=f"{_LINEAR_CHECKS}:check_m5",
        tolerance="ridge vs cvxpy: sqrt(2·gap/μ) from the solver's duality gap and strong convexity μ",
        figure="fig_regularisation_paths", section="linear",
    ),
)

_LINEAR_FIGURES = "simulations.linear_figures"

LINEAR_FIGURES: tuple[Figure, ...] = (
    Figure(
        name="fig_penalty_terms", title="the dropout L2 term against the stochastic-mask L1 term",
        simulate=f"{_LINEAR_FIGURES}:penalty_terms", draw="figures.fig_penalty_terms:draw",
        settings={"tiny": {"n_grid": 9, "n_samples": 200}, "quick": {"n_grid": 41, "n_samples": 4000},
                  "full": {"n_grid": 101, "n_samples": 100_000}},
    ),
    Figure(
        name="fig_keep_trajectories", title="keep probabilities under gradient flow on the logits",
        simulate=f"{_LINEAR_FIGURES}:keep_trajectories", draw="figures.fig_keep_trajectories:draw",
        settings={"tiny": {"n": 40, "d": 6, "n_times": 20}, "quick": {"n": 200, "d": 24, "n_times": 200},
                  "full": {"n": 1000, "d": 60, "n_times": 400}},
    ),
    Figure(
        name="fig_regularisation_paths", title="regularisation paths: dropout shrinks, masks select",
        simulate=f"{_LINEAR_FIGURES}:regularisation_paths", draw="figures.fig_regularisation_paths:draw",
        settings={"tiny": {"n": 40, "d": 6, "n_path": 8}, "quick": {"n": 100, "d": 10, "n_path": 40},
                  "full": {"n": 200, "d": 14, "n_path": 120}},
    ),
)

# ---- family E: adaptive dropout as reweighted regularisation (section E) ----
ADAPTIVE_CLAIMS: tuple[Claim, ...] = ()
ADAPTIVE_FIGURES: tuple[Figure, ...] = ()

# ---- family B: PAC-Bayes certificates for stochastic masks (section B) ----
PAC_BAYES_CLAIMS: tuple[Claim, ...] = ()
PAC_BAYES_FIGURES: tuple[Figure, ...] = ()

# ---- family K: pruning at initialisation (section K) ----
PRUNING_CLAIMS: tuple[Claim, ...] = ()
PRUNING_FIGURES: tuple[Figure, ...] = ()

# ---- family G: differentiable binary gates and L0 (section G) ----
GATE_CLAIMS: tuple[Claim, ...] = ()
GATE_FIGURES: tuple[Figure, ...] = ()

CLAIMS: tuple[Claim, ...] = (*LINEAR_CLAIMS, *ADAPTIVE_CLAIMS, *PAC_BAYES_CLAIMS, *PRUNING_CLAIMS, *GATE_CLAIMS)
FIGURES: tuple[Figure, ...] = (*LINEAR_FIGURES, *ADAPTIVE_FIGURES, *PAC_BAYES_FIGURES, *PRUNING_FIGURES,
                               *GATE_FIGURES)
CLAIMS_BY_ID = {claim.id: claim for claim in CLAIMS}
FIGURES_BY_NAME = {figure.name: figure for figure in FIGURES}
