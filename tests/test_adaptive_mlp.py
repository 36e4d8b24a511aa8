"""Tests of simulations.adaptive_mlp (claim E6): the MNIST loader on small files written here, exact zeros
of the pruned networks and densities counted from them, the training rules against their closed forms
and against theory/penalties.py, the hand-written Adam against torch.optim.Adam, reproducibility, and
the clear error without torch."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from simulations import adaptive_mlp as mlp  # noqa: E402  (after the torch guard)
from simulations.adaptive_checks import E6_SIZES, check_e6  # noqa: E402
from theory.penalties import get_penalty  # noqa: E402

TINY = mlp.TrainConfig(hidden=(16,), epochs=3, batch=64)


def small_split(seed: int, n_train: int = 200) -> mlp.Split:
    split = mlp.digits_split(seed)
    return replace(split, x_train=split.x_train[:n_train], y_train=split.y_train[:n_train])


def write_mnist(path, rng, *, n_train=60, n_test=20, flat=False, dtype=np.uint8):
    shape = (28 * 28,) if flat else (28, 28)
    images = rng.integers(0, 256, size=(n_train + n_test, *shape))
    images = images.astype(np.uint8) if dtype == np.uint8 else (images / 255.0).astype(dtype)
    labels = rng.integers(0, 10, size=n_train + n_test)
    np.savez(path, x_train=images[:n_train], y_train=labels[:n_train], x_test=images[n_train:],
             y_test=labels[n_train:])
    return images, labels


@pytest.mark.parametrize("flat, dtype", [(False, np.uint8), (True, np.uint8), (False, np.float32)])
def test_mnist_loader_reads_a_local_npz(tmp_path, seed, flat, dtype):
    rng = np.random.default_rng(seed)
    path = tmp_path / "mnist.npz"
    images, labels = write_mnist(path, rng, flat=flat, dtype=dtype)
    split = mlp.load_split(seed, str(path))
    assert split.x_train.shape == (50, 784) and split.x_val.shape == (10, 784) and split.x_test.shape == (20, 784)
    assert split.x_train.dtype == np.float32 and 0 <= split.x_train.min() and split.x_train.max() <= 1
    scale = 255.0 if dtype == np.uint8 else 1.0
    np.testing.assert_allclose(split.x_test, images[60:].reshape(20, -1) / scale, rtol=1e-6)
    np.testing.assert_array_equal(split.y_test, labels[60:])
    together = np.concatenate([split.x_train, split.x_val])  # train and validation partition MNIST's train
    order = np.lexsort(together.T[::-1])
    reference = images[:60].reshape(60, -1) / scale
    np.testing.assert_allclose(together[order], reference[np.lexsort(reference.T[::-1])], rtol=1e-6)


def test_mnist_loader_rejects_bad_files(tmp_path):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="not a file"):
        mlp.mnist_split(tmp_path / "missing.npz", 0)
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 784), np.uint8), y_train=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="lacks the arrays"):
        mlp.mnist_split(tmp_path / "partial.npz", 0)
    write_mnist(tmp_path / "ok.npz", rng)
    with np.load(tmp_path / "ok.npz") as archive:
        arrays = dict(archive)
    np.savez(tmp_path / "labels.npz", **(arrays | {"y_test": arrays["y_test"][:-1]}))
    with pytest.raises(ValueError, match="y_test"):
        mlp.mnist_split(tmp_path / "labels.npz", 0)
    np.savez(tmp_path / "range.npz", **(arrays | {"x_test": arrays["x_test"] * 2.0}))
    with pytest.raises(ValueError, match="x_test"):
        mlp.mnist_split(tmp_path / "range.npz", 0)


@pytest.mark.parametrize("method", [m for m in mlp.METHODS if m not in mlp.VD_METHODS])
def test_pruned_weights_are_exact_zeros_and_are_what_is_counted(method):
    """The density is the fraction of non-zero entries of the evaluated tensors, which carry exact zeros
    where the pruning rule says so; the test error is that of the network with those tensors."""
    split = small_split(0)
    start = None
    if method != "dense":
        _, start = mlp.train("dense", split, TINY, 1)
    rng = np.random.default_rng(2)
    result, final = mlp.train(method, split, TINY, rng, start=start)
    network = mlp._build(method, final, torch.Generator().manual_seed(0), torch.device("cpu"),
                         dict(lam=mlp.METHOD_LAMBDA.get(method, 0.0), eps=TINY.eps, log_alpha_init=TINY.log_alpha_init))
    pruned = network.pruned()
    kept = [w.abs() >= TINY.eps if method != "dense" else torch.ones_like(w, dtype=torch.bool) for w, _ in final]
    for weight, mask, (raw, _) in zip(pruned, kept, final):
        assert torch.all(weight[~mask] == 0) and torch.equal(weight[mask], raw[mask])
    nonzero = sum(int((w != 0).sum()) for w in pruned)
    assert int(result["nonzero"]) == nonzero
    assert float(result["final_density"]) == nonzero / int(result["n_weights"])
    x, y = (torch.as_tensor(a) for a in (split.x_test, split.y_test))
    a = x
    for index, (weight, (_, bias)) in enumerate(zip(pruned, final)):
        a = a @ weight.T + bias
        a = torch.relu(a) if index < len(pruned) - 1 else a
    assert float(result["test_error"]) == float((a.argmax(1) != y).float().mean())


@pytest.mark.parametrize("method", mlp.VD_METHODS)
def test_variational_dropout_prunes_where_log_alpha_exceeds_three(method):
    split = small_split(0)
    _, start = mlp.train("dense", split, TINY, 1)
    network = mlp._build(method, start, torch.Generator().manual_seed(0), torch.device("cpu"),
                         dict(lam=1.0, eps=TINY.eps, log_alpha_init=-8.0))
    target = [torch.linspace(-6.0, 6.0, w.numel()).reshape(w.shape) for w in network.weights]
    with torch.no_grad():
        for scale, weight, log_alpha in zip(network.log_scale, network.weights, target):
            scale.copy_(log_alpha + (torch.log(weight**2) if method == "vd_additive" else 0))
    for index, (weight, log_alpha) in enumerate(zip(network.pruned(), target)):
        torch.testing.assert_close(network.log_alpha(index), log_alpha, rtol=1e-5, atol=1e-4)
        assert torch.all(weight[log_alpha > 3 + 1e-3] == 0)
        assert torch.equal(weight[log_alpha < 3 - 1e-3], network.weights[index].detach()[log_alpha < 3 - 1e-3])


def test_training_is_reproducible_and_seeded(seed):
    split = small_split(seed)
    runs = [mlp.train_methods(split, TINY, TINY, s, methods=("logsum", "vd_additive")) for s in (seed, seed, seed + 1)]
    for method in runs[0]:
        for key, value in runs[0][method].items():
            np.testing.assert_array_equal(value, runs[1][method][key], err_msg=f"{method} {key}")
    assert any(not np.array_equal(value, runs[2][method][key]) for method in runs[0]
               for key, value in runs[0][method].items()), "the seed is ignored"


def test_adaptive_prox_step_is_the_closed_form():
    """w ← w·η/(η + γ_j λ/N) with η = η̂(w) = |w|(|w| + ε), γ_j Adam's per-coordinate step (derive_e6)."""
    split = small_split(0)
    _, start = mlp.train("dense", split, replace(TINY, epochs=1), 1)
    network = mlp._build("adaptive_prox", start, torch.Generator().manual_seed(0), torch.device("cpu"),
                         dict(lam=0.1, eps=1e-2, log_alpha_init=-8.0))
    before = [w.detach().clone() for w in network.weights]
    steps = [torch.full_like(w, 1e-3) for w in before]
    network.after_step(steps, 500)
    for w, old in zip(network.weights, before):
        eta = old.abs() * (old.abs() + 1e-2)
        torch.testing.assert_close(w.detach(), old * eta / (eta + 1e-3 * 0.1 / 500))


def test_torch_duals_agree_with_theory_penalties():
    eta = np.geomspace(1e-6, 1e3, 50)
    for eps in (1e-2, 1.0):
        torch.testing.assert_close(mlp.logsum_dual(torch.as_tensor(eta), eps),
                                   torch.as_tensor(get_penalty("logsum", eps=eps).f(eta)), rtol=1e-12, atol=1e-12)
    log_alpha = np.linspace(-8, 8, 33)
    # Molchanov's fit: KL(α) = −negative_kl(log α) and vardrop_approx has f(η) = 2·KL(1/η)
    kl = -mlp.negative_kl(torch.as_tensor(log_alpha)).numpy()
    np.testing.assert_allclose(2 * kl, get_penalty("vardrop_approx").f(np.exp(-log_alpha)), rtol=1e-12, atol=1e-12)


def test_adam_matches_torch_optim():
    generator = torch.Generator().manual_seed(0)
    target = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    ours = torch.zeros(5, 4, dtype=torch.float64, requires_grad=True)
    theirs = torch.zeros(5, 4, dtype=torch.float64, requires_grad=True)
    adam, reference = mlp._Adam([ours], 1e-2), torch.optim.Adam([theirs], lr=1e-2)
    for _ in range(20):
        ((ours - target) ** 3).abs().sum().backward()
        adam.step()
        reference.zero_grad()
        ((theirs - target) ** 3).abs().sum().backward()
        reference.step()
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


def test_check_e6_tiny_runs():
    results = check_e6("tiny", np.random.default_rng(0))
    keys = {r.key for r in results}
    names = [m.replace("_", "-") for m in mlp.ADAPTIVE_METHODS]
    assert {f"density-{m}" for m in names} | {f"error-{m}" for m in names} | {"dense-error", "dense-se"} == keys
    assert set(E6_SIZES) == {"tiny", "quick", "full"}


def test_invalid_configuration_names_the_argument():
    with pytest.raises(ValueError, match="epochs"):
        mlp.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="hidden"):
        mlp.TrainConfig(hidden=())
    with pytest.raises(ValueError, match="method"):
        mlp.train("nope", small_split(0), TINY, 0)
    with pytest.raises(ValueError, match="lam"):
        mlp.train("logsum", small_split(0), TINY, 0, lam=-1.0)


def test_without_torch_the_module_says_what_to_install():
    code = "import sys; sys.modules['torch'] = None; import simulations.adaptive_mlp"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode != 0
    assert "needs torch" in completed.stderr and ".[torch]" in completed.stderr
