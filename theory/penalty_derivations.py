"""Symbolic side of claims E1, E2, E4, E5 ([L]): the η-trick identities proved by sympy.

E1  For each closed-form family, with η̂ and f from theory/penalties.py and w > 0:
      stationarity   ∂_η[w²/η + f(η)] at η = η̂(w) is 0,
      value          ½[w²/η̂ + f(η̂)] − Ω(w) = 0,
      envelope       Ω′(w) − w/η̂(w) = 0,
      monotone       dη̂/dw > 0,
    so h(η) = η²f′(η) = (η̂⁻¹(η))² increases and the stationary point is the global minimiser, and
    d/du Ω(√u) = 1/(2η̂(√u)) decreases: u ↦ Ω(√u) is concave (E4). Variational dropout:
    d/dη 4∫_0^{√(η/2)} D = D(√(η/2))/√(η/2).
E2  E_m ½||y − X((m/α)⊙w)||² = ½||y − Xw||² + ½Σ_j ((1−α_j)/α_j)||x_j||²w_j², and α = η/(η+λ) turns
    (1−α)/α into λ/η.
E4  Ω(w) = (1/λ)∫_0^w t(1−α(t))/α(t) dt for any rule α gives Ω′ = w/η̂ with η̂ = λα/(1−α) and
    d²/du² Ω(√u) = −α′(√u)/(4λ√u·α(√u)²) ≤ 0 iff α is non-decreasing.
E5  For Ω with Ω(0) = 0 and g(u) = Ω(√u) concave, k·g(r²/k) is non-decreasing in k (g(u)/u is
    non-increasing), the largest penalty of a k-sparse vector of ℓ2 norm r (Jensen).
"""

from __future__ import annotations

import functools

import sympy as sp

from theory.derivation import Derivation
from theory.masked_loss import G_JJ, P_J, W_J, derive_expected_loss

w, eta, u, t = sp.symbols("w eta u t", positive=True)
eps, lam, a = sp.symbols("epsilon lambda a", positive=True)
p = sp.Symbol("p", positive=True)
slope, offset = sp.Symbol("a", positive=True), sp.Symbol("b", real=True)
ETA_J, LAM = sp.Symbol("eta_j", positive=True), sp.Symbol("lambda", positive=True)
D = sp.Function("D")  # the Dawson function
ALPHA = sp.Function("alpha")  # a keep-rate rule


def _radicals(expr: sp.Expr) -> sp.Expr:
    """Factor the bases of half-integer powers, so √((ε + 2w)²) becomes ε + 2w for positive symbols."""
    return expr.replace(lambda e: isinstance(e, sp.Pow) and e.exp.is_Rational and e.exp.q == 2,
                        lambda e: sp.Pow(sp.factor(e.base), e.exp))


def _reduce(expr: sp.Expr) -> sp.Expr:
    """A fast normal form for the identities below: radicals factored, logs expanded, one rational
    function; then powers combined, then `simplify`, each only when the previous step is not 0."""
    expr = _radicals(expr)
    reduced = sp.cancel(sp.together(sp.expand_log(expr, force=True)))
    if reduced != 0:
        expr = sp.expand_log(sp.powsimp(sp.powdenest(expr, force=True), force=True), force=True)
        reduced = sp.cancel(sp.together(expr))
    return reduced if reduced == 0 else sp.simplify(reduced)


def closed_forms() -> dict[str, dict[str, sp.Expr]]:
    """(Ω, η̂, f) of each closed-form family for w > 0 on each of its smooth pieces.

    MCP and SCAD are written on the pieces where η̂ is finite (the saturated piece, where Ω is constant,
    has η̂ = ∞ and f(∞) = 2Ω). Standout's f is its branch η ≥ e^b, where w_η = (ln η − b)/a ≥ 0.
    """
    q = p / (2 - p)
    standout_omega = sp.exp(-offset) / slope**2 * (1 - (1 + slope * w) * sp.exp(-slope * w))
    w_eta = (sp.log(eta) - offset) / slope
    return {
        "lp": {"omega": w**p / p, "eta_hat": w ** (2 - p), "f": eta**q / q},
        "logsum": {"omega": sp.log(w + eps), "eta_hat": w * (w + eps),
                   "f": 2 * sp.log((eps + sp.sqrt(eps**2 + 4 * eta)) / 2) - 1
                   + 2 * eps / (eps + sp.sqrt(eps**2 + 4 * eta))},
        "log2sum": {"omega": sp.log(w**2 + eps), "eta_hat": (w**2 + eps) / 2, "f": 2 * sp.log(2 * eta) + eps / eta - 2},
        "mcp": {"omega": w - w**2 / (2 * a * lam), "eta_hat": a * lam * w / (a * lam - w),
                "f": a * lam * eta / (eta + a * lam)},
        "scad_inner": {"omega": w, "eta_hat": w, "f": eta},
        "scad_middle": {"omega": (2 * a * lam * w - w**2 - lam**2) / (2 * (a - 1) * lam),
                        "eta_hat": (a - 1) * lam * w / (a * lam - w),
                        "f": lam * ((a + 1) * eta - lam) / (eta + (a - 1) * lam)},
        "standout": {"omega": standout_omega, "eta_hat": sp.exp(slope * w + offset),
                     "f": 2 * standout_omega.subs(w, w_eta) - w_eta**2 / eta},
    }


def eta_trick_residuals(family: dict[str, sp.Expr]) -> dict[str, sp.Expr]:
    """The four E1 identities for one family: residuals that must simplify to 0 (monotone: dη̂/dw)."""
    omega, eta_hat, f = family["omega"], family["eta_hat"], family["f"]
    objective = w**2 / eta + f
    return {
        "stationarity": _reduce(sp.diff(objective, eta).subs(eta, eta_hat)),
        "value": _reduce(objective.subs(eta, eta_hat) / 2 - omega),
        "envelope": _reduce(sp.diff(omega, w) - w / eta_hat),
        "monotone": sp.cancel(sp.diff(eta_hat, w)),
    }


def monotone_is_positive(name: str, derivative: sp.Expr) -> bool:
    """dη̂/dw > 0 on the family's piece: sympy's sign logic, with the piece's constraint substituted.

    lp needs p < 2 (write p = 2 − r, r > 0); MCP and SCAD's middle piece need w < aλ
    (write w = aλ − δ, δ > 0) and SCAD needs a > 1 (a = 1 + c, c > 0).
    """
    r, delta, c = sp.symbols("r delta c", positive=True)
    if name == "lp":
        derivative = derivative.subs(p, 2 - r)
    if name in ("mcp", "scad_middle"):
        derivative = derivative.subs(w, a * lam - delta)
    if name == "scad_middle":
        derivative = derivative.subs(a, 1 + c)
    derivative = sp.cancel(derivative)
    return bool(derivative.is_positive or sp.simplify(derivative).is_positive)


@functools.cache
def unconfirmed_identities() -> dict[str, int]:
    """Per closed-form family: how many of stationarity, value, envelope and dη̂/dw > 0 sympy could not
    confirm (all 0 when E1 holds). Cached: the proofs take seconds."""
    failures = {}
    for name, family in closed_forms().items():
        residuals = eta_trick_residuals(family)
        failures[name] = sum(residuals[key] != 0 for key in ("stationarity", "value", "envelope")) + int(
            not monotone_is_positive(name, residuals["monotone"]))
    return failures


def vardrop_dual_derivative() -> sp.Expr:
    """d/dη [4∫_0^{√(η/2)} D(x) dx] − D(√(η/2))/√(η/2): must simplify to 0."""
    x = sp.Symbol("x", positive=True)
    f = 4 * sp.Integral(D(x), (x, 0, sp.sqrt(eta / 2)))
    return sp.simplify(sp.diff(f, eta) - D(sp.sqrt(eta / 2)) / sp.sqrt(eta / 2))


def derive_e1() -> Derivation:
    der = Derivation("E1", "the η-trick: Ω(w) = ½ min_η [w²/η + f(η)], Ω′ = w/η̂")
    der.add("A penalty in η-trick form, with minimiser η̂(w):",
            sp.Eq(sp.Function("Omega")(w), sp.Min(w**2 / eta + sp.Function("f")(eta)) / 2))
    der.add("By the envelope theorem Ω′(w) = ∂_w ½(w²/η)|_{η=η̂} = w/η̂(w). For each family sympy checks "
            "stationarity, the value, the envelope identity and dη̂/dw > 0 (which makes η²f′(η) = "
            "(η̂⁻¹(η))² increasing, so the stationary point is the global minimiser):")
    failures = unconfirmed_identities()
    for name, family in closed_forms().items():
        if failures[name]:
            raise AssertionError(f"{name}: sympy could not confirm {failures[name]} of the η-trick identities")
        der.add(f"{name}: Ω, η̂, f =", sp.Tuple(family["omega"], family["eta_hat"], family["f"]))
        for key in ("omega", "eta_hat", "f"):
            der.results[f"{key}_{name}"] = family[key]
    derivative = vardrop_dual_derivative()
    if derivative != 0:
        raise AssertionError(f"variational-dropout dual derivative: {derivative}")
    x = sp.Symbol("x", positive=True)
    vardrop_f = 4 * sp.Integral(D(x), (x, 0, sp.sqrt(eta / 2)))
    der.add("Variational dropout: f(η) = 4∫_0^{√(η/2)} D(x)dx has f′(η) = D(√(η/2))/√(η/2) (sympy):", vardrop_f)
    k1, k2, k3 = sp.symbols("k_1 k_2 k_3", positive=True)
    approx = 2 * k1 / (1 + sp.exp(k2 - k3 * sp.log(eta))) + sp.log(1 + eta)
    der.add("Molchanov et al.'s fit, as a dual (σ²= 1/η): f(η) = 2·KL_fit(1/η) =", approx)
    der.results.update(f_vardrop=vardrop_f, fprime_vardrop=D(sp.sqrt(eta / 2)) / sp.sqrt(eta / 2),
                       f_vardrop_approx=approx)
    return der


def derive_e2() -> Derivation:
    der = derive_expected_loss("dropout", "E2", "dropout with keep rate η/(η+λ) is Tikhonov with weight λ/η")
    alpha = ETA_J / (ETA_J + LAM)
    penalty = der.results["penalty"]
    der.add("Halve n·E L for the ½||·||² convention and set p_j = α_j = η_j/(η_j + λ):",
            sp.Eq(sp.Symbol("alpha_j"), alpha))
    tikhonov = sp.simplify(penalty.subs(P_J, alpha) / 2)
    der.add("the penalty per weight becomes", tikhonov)
    stated = LAM / 2 * G_JJ * W_J**2 / ETA_J
    if sp.simplify(tikhonov - stated) != 0:
        raise AssertionError(f"E2 Tikhonov form: {tikhonov}")
    ratio = sp.simplify((1 - alpha) / alpha)
    der.add("because (1 − α_j)/α_j =", ratio)
    der.results.update(keep_rate=alpha, tikhonov=stated, odds=ratio)
    return der


def derive_e4() -> Derivation:
    der = Derivation("E4", "a non-decreasing keep-rate rule gives a subquadratic penalty")
    omega = sp.Integral(t * (1 - ALPHA(t)) / ALPHA(t), (t, 0, w)) / LAM
    der.add("A keep-rate rule α(|w|) and λ > 0 define (E4)", omega)
    eta_hat = LAM * ALPHA(w) / (1 - ALPHA(w))
    envelope = sp.simplify(sp.diff(omega, w) - w / eta_hat)
    if envelope != 0:
        raise AssertionError(f"E4 envelope: {envelope}")
    der.add("Its derivative is w/η̂ with η̂ = λα/(1−α), i.e. α = η̂/(η̂+λ) (sympy: residual 0):", eta_hat)
    g = omega.subs(w, sp.sqrt(u))
    first = sp.simplify(sp.diff(g, u))
    second = sp.simplify(sp.diff(g, u, 2))
    slope_at = sp.Subs(sp.Derivative(ALPHA(t), t), t, sp.sqrt(u))  # α′(√u)
    stated = -slope_at / (4 * LAM * sp.sqrt(u) * ALPHA(sp.sqrt(u)) ** 2)
    beta = sp.Symbol("beta")

    def named(expr):
        return expr.replace(lambda e: isinstance(e, sp.Subs), lambda e: beta)

    if sp.simplify(named(second) - named(stated)) != 0:
        raise AssertionError(f"E4 second derivative: {second}")
    der.add("With g(u) = Ω(√u): g′(u) = (1 − α(√u))/(2λα(√u)) = 1/(2η̂(√u)),", first)
    der.add("and g″(u) = −α′(√u)/(4λ√u α(√u)²) ≤ 0 exactly when α is non-decreasing: g is concave, so Ω "
            "grows at most quadratically (subquadratic) and Ω(w)/w² is non-increasing.", stated)
    der.results.update(omega=omega, eta_hat=eta_hat, first_derivative=first, second_derivative=stated)
    return der


def derive_e5() -> Derivation:
    der = Derivation("E5", "subquadratic penalties favour sparse vectors at fixed ℓ2 norm")
    k, r = sp.symbols("k r", positive=True)
    g = sp.Function("g")
    der.add("Let g(u) = Ω(√u) be concave with g(0) = 0 (E4). A vector with k equal non-zeros and "
            "ℓ2 norm r has penalty", k * g(r**2 / k))
    der.add("g concave with g(0) = 0 makes g(u)/u non-increasing, so k·g(r²/k) = r²·g(r²/k)/(r²/k) is "
            "non-decreasing in k; by Jensen it is the largest penalty of any k-sparse vector of norm r, and "
            "by subadditivity (g(a + b) ≤ g(a) + g(b)) every vector of norm r costs at least g(r²) = Ω(r), "
            "the cost of a 1-sparse one.")
    der.results.update(equal_spread=k * g(r**2 / k), sparsest=g(r**2))
    return der
