"""Monte Carlo and enumeration stay within the working-memory bound `max_bytes` for any number of masks.

The peak of the intermediates is measured with tracemalloc (NumPy reports its array allocations to
it), so the checks are exact counts of bytes, not timings. Allowed on top of `max_bytes`: copies of
the inputs (at most three of X), the returned arrays, and NUMPY_BUFFERS for the fixed-size buffers of
NumPy's iterators (einsum, reductions), which do not grow with the chunk. Every case is sized so that
its unchunked intermediates would exceed the bound many times over; without chunking the test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsetheory.checks import rounding_tolerance
from simulations import linear, memory, stochastic_masks, two_layer_masks

NUMPY_BUFFERS = 256 * 2**10
BOUNDS = (2**14, 2**18)
UNCHUNKED_FACTOR = 8  # every case's unchunked intermediates exceed the largest bound by at least this


def traced_peak(function) -> tuple[int, object]:
    """(peak bytes allocated while `function()` ran, its result)."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def returned_bytes(result) -> int:
    arrays = result if isinstance(result, tuple) else (result,)
    return sum(np.asarray(array).nbytes for array in arrays)


@pytest.fixture
def problem(seed):
    rng = np.random.default_rng(seed)
    n, d = 60, 13
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    return X, rng.standard_normal(n), np.where(rng.random(n) < 0.5, -1.0, 1.0), w, rng.uniform(0.1, 0.9, d)


def _cases(problem):
    """name → (call(max_bytes), the bytes its unchunked intermediates would take)."""
    X, y, labels, w, keep = problem
    n, d = X.shape
    samples = 40_000
    network = two_layer_masks.random_network(1, d, 8, 0.6, 0.3)
    draws = 20
    return {
        "monte_carlo_mask_loss": (lambda b: linear.monte_carlo_mask_loss(X, y, w, keep, samples, 0, max_bytes=b),
                                  samples * linear.monte_carlo_row_bytes(d, n)),
        "enumerate_mask_loss": (lambda b: linear.enumerate_mask_loss(X, y, w, keep, max_bytes=b),
                                2**d * linear.enumeration_row_bytes(d, n)),
        "vertex_losses": (lambda b: linear.vertex_losses(X, y, w, max_bytes=b),
                          2**d * linear.enumeration_row_bytes(d, n)),
        "mc_empirical_risk": (lambda b: stochastic_masks.mc_empirical_risk(X, labels, w, keep, samples, 0,
                                                                           max_bytes=b),
                              samples * stochastic_masks.risk_row_bytes(d, n)),
        "exact_empirical_risk": (lambda b: stochastic_masks.exact_empirical_risk(X, labels, w, keep, max_bytes=b),
                                 2**d * stochastic_masks.risk_row_bytes(d, n)),
        "true_stochastic_risk": (lambda b: stochastic_masks.true_stochastic_risk(w, np.stack([keep, keep[::-1]]),
                                                                                 np.ones(d), 1.0, max_bytes=b),
                                 2**d * 8 * 3 * d),
        "sampled_point_errors": (lambda b: two_layer_masks.sampled_point_errors(network, X, labels, draws, 0,
                                                                                max_bytes=b),
                                 n * 24 * draws * network.width * network.inputs),
    }


CASE_NAMES = ("monte_carlo_mask_loss", "enumerate_mask_loss", "vertex_losses", "mc_empirical_risk",
              "exact_empirical_risk", "true_stochastic_risk", "sampled_point_errors")


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.parametrize("max_bytes", BOUNDS)
def test_intermediates_stay_below_max_bytes(problem, name, max_bytes):
    call, unchunked = _cases(problem)[name]
    assert unchunked >= UNCHUNKED_FACTOR * max(BOUNDS), "the case must be too large to run unchunked"
    peak, result = traced_peak(lambda: call(max_bytes))
    allowed = max_bytes + 3 * problem[0].nbytes + returned_bytes(result) + NUMPY_BUFFERS
    assert peak <= allowed, f"{name}: peak {peak} B > {allowed} B allowed with max_bytes = {max_bytes}"


def reordering_tolerance(problem, value: np.ndarray) -> float:
    """Bound on the difference of two summation orders of Σ_m P(m)·ℓ(m) ≥ 0 over 2^d masks.

    Each order errs by at most (2^d + 2d + 1)·eps·[(1 + Λ)·value + S]: the sum itself (2^d·eps·value),
    P(m) as a product or an exp of d logs (relative d·eps·(1 + Λ), Λ = Σ_j max|ln p_j|, |ln(1 − p_j)|),
    and ℓ(m) through residuals of d + 1 terms (S = 2·mean_i (|y_i| + Σ_j |x_ij w_j|)²); twice that apart.
    """
    X, y, _, w, keep = problem
    spread = 1 + np.sum(np.maximum(np.abs(np.log(keep)), np.abs(np.log1p(-keep))))
    residual_scale = 2 * np.mean((np.abs(y) + np.abs(X) @ np.abs(w)) ** 2)
    d = X.shape[1]
    return 2 * rounding_tolerance(spread * np.max(np.abs(value)) + residual_scale, 2**d + 2 * d + 1)


@pytest.mark.parametrize("name", ("exact_empirical_risk", "enumerate_mask_loss", "true_stochastic_risk"))
def test_small_chunks_agree_with_one_chunk_within_rounding(problem, name):
    call, _ = _cases(problem)[name]
    whole, chunked = np.asarray(call(2**40)), np.asarray(call(2**12))
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=reordering_tolerance(problem, whole))


def test_monte_carlo_risks_are_the_same_draws_whatever_the_chunk_size(problem):
    """mc_empirical_risk draws its masks a chunk at a time: the same masks as one draw of all of them."""
    X, _, labels, w, keep = problem
    reference = stochastic_masks.mask_risks(X, labels, w, stochastic_masks.sample_masks(keep, 3000, 0))
    for max_bytes in (1, 2**14, 2**40):
        _, risks = stochastic_masks.mc_empirical_risk(X, labels, w, keep, 3000, 0, max_bytes=max_bytes)
        np.testing.assert_array_equal(risks, reference)


def test_default_is_2_gib_and_the_environment_is_read_at_call_time(monkeypatch):
    monkeypatch.delenv(memory.ENVIRONMENT_VARIABLE, raising=False)
    assert memory.resolve_max_bytes() == 2 * 2**30
    monkeypatch.setenv(memory.ENVIRONMENT_VARIABLE, "12345")
    assert memory.resolve_max_bytes() == 12345
    assert memory.rows_per_chunk(1000) == 12
    assert memory.resolve_max_bytes(777) == 777  # an explicit argument wins


@pytest.mark.parametrize("text", ["2GB", "0", "-3", "1.5"])
def test_a_bad_environment_value_is_rejected_by_name(monkeypatch, text):
    monkeypatch.setenv(memory.ENVIRONMENT_VARIABLE, text)
    with pytest.raises(ValueError, match=memory.ENVIRONMENT_VARIABLE):
        linear.monte_carlo_mask_loss(np.eye(2), np.ones(2), np.ones(2), 0.5, 4, 0)


@given(st.integers(1, 10**6), st.integers(1, 10**9), st.one_of(st.none(), st.integers(1, 10**4)))
def test_rows_per_chunk_is_the_largest_count_within_the_bound(row_bytes, max_bytes, cap):
    rows = memory.rows_per_chunk(row_bytes, max_bytes, cap)
    assert rows >= 1
    assert cap is None or rows <= cap
    if rows > 1:
        assert rows * row_bytes <= max_bytes
    if cap is None or rows < cap:
        assert (rows + 1) * row_bytes > max_bytes


CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from simulations.linear import monte_carlo_mask_loss

    def high_water_mark():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))

    n, d, samples = 100, 50, int(sys.argv[1])
    rng = np.random.default_rng(0)
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d)
    monte_carlo_mask_loss(X, y, w, 0.5, 2, 0)  # first call: NumPy's and BLAS's lazy set-up
    before = high_water_mark()
    monte_carlo_mask_loss(X, y, w, 0.5, samples, 0)
    print(json.dumps({"before": before, "after": high_water_mark()}))
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM from Linux's /proc")
def test_peak_resident_memory_of_a_fresh_process_follows_the_environment_bound():
    """10^6 masks with SPARSETHEORY_MAX_BYTES = 16 MiB: unchunked, the intermediates would take
    10^6 · 8(2·50 + 2·100) B ≈ 2.2 GiB; the process's high-water mark may grow by the bound plus a
    generous 48 MiB for BLAS thread buffers and allocator slack."""
    bound = 16 * 2**20
    env = os.environ | {memory.ENVIRONMENT_VARIABLE: str(bound), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, "1000000"], env=env, capture_output=True, text=True,
                          check=True)
    marks = json.loads(done.stdout)
    assert 10**6 * linear.monte_carlo_row_bytes(50, 100) > 100 * bound
    assert marks["after"] - marks["before"] <= bound + 48 * 2**20, marks


def test_the_command_line_option_sets_the_bound_for_the_run(monkeypatch, tmp_path):
    from sparsetheory import cli

    monkeypatch.delenv(memory.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setenv("SPARSETHEORY_ROOT", str(tmp_path))
    assert cli.main(["verify", "M1", "--profile", "tiny", "--max-memory", "4096"]) == 0
    assert memory.resolve_max_bytes() == 4096
    assert cli.main(["verify", "M1", "--max-memory", "0"]) == 2
