"""Sparsifying an MLP with adaptive dropout and reweighted penalties (claim E6, [L]), torch backend.

Training objective per step, for a minibatch B of a training set of N examples:
    mean_{i∈B} CE(f(x_i), y_i) + (1/N)·R,
where R is the data-set-level regulariser: R = λ Σ_j Ω(w_j) for the penalty methods (Ω the log-sum
penalty ln(|w| + ε), E1) and R = λ Σ_j KL_j for variational dropout (λ = 1 is the ELBO). λ per method:
METHOD_LAMBDA. Only weights are regularised and pruned; biases are neither. The dense baseline trains
from He initialisation; every other method continues from the baseline's trained weights
(`train_methods`).

Methods (all optimised by Adam with step γ, in float32):
- "dense":             no regulariser (the baseline).
- "logsum":            R = λΣ ln(|w| + ε), differentiated as it is.
- "eta_trick":         R = (λ/2)Σ [w²/η + f(η)], η = e^s a trained parameter (the η-trick of E1 with
                       the log-sum dual f); min over η recovers λΣΩ(w).
- "adaptive_tikhonov": R = (λ/2)Σ w²/η with η = η̂(w) = |w|(|w| + ε) from the current weights, held
                       fixed in the gradient (the dropout objective of E2 at the current keep rates).
- "adaptive_prox":     an Adam step on the loss alone, then the proximal step of (γλ/2N)·w²/η at
                       η = η̂(w):  w ← w·η/(η + γλ/N)  (a multiplicative shrink, stable as η → 0).
- "vd_plain", "vd_local", "vd_additive": Gaussian variational dropout w·(1 + √α·ξ) with Molchanov et
  al.'s (2017) approximation −KL ≈ k₁σ(k₂ + k₃ log α) − ½ log(1 + 1/α) − k₁: plain (one noise draw
  per weight and minibatch, parameters θ and log α), local reparametrisation (Kingma et al. 2015:
  pre-activations drawn from N(aθᵀ, a²(αθ²)ᵀ)), and the additive reparametrisation (parameters θ
  and log σ², α = σ²/θ², with local reparametrisation); log α is clipped to LOG_ALPHA_CLIP, and the
  regulariser's weight rises linearly over the first kl_warmup epochs.

Pruning (the weights used for the reported errors and densities are the pruned tensors themselves,
with exact zeros; the density counts their non-zero entries):
- penalty methods: w ← 0 where |w| < ε, the scale below which the log-sum penalty acts like ℓ1 with
  slope λ/ε and drives weights to zero;
- variational dropout: θ ← 0 where log α > 3 (Molchanov et al. 2017: the equivalent Bernoulli
  dropout rate exceeds 0.95).

Data: scikit-learn's bundled digits (8×8 images, 1797 examples, no download) split at random into
train / validation / test, or MNIST from a local .npz (`mnist_path`) with arrays x_train, y_train,
x_test, y_test (images as (n, 28, 28) or (n, 784), uint8 in [0, 255] or floats in [0, 1]); a random
1/6 of MNIST's training set is held out for validation.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory import validation

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # the E6 check and figure need the optional torch extra
    raise ImportError("claim E6 (simulations/adaptive_mlp.py) needs torch: pip install -e '.[torch]'") from exc

METHODS = ("dense", "logsum", "eta_trick", "adaptive_tikhonov", "adaptive_prox", "vd_plain", "vd_local",
           "vd_additive")
ADAPTIVE_METHODS = METHODS[1:]
VD_METHODS = ("vd_plain", "vd_local", "vd_additive")
LOG_ALPHA_PRUNE = 3.0
LOG_ALPHA_CLIP = (-10.0, 10.0)
VARIANCE_FLOOR = 1e-8  # keeps the gradient of √variance finite where an input row is all zeros
KL_K1, KL_K2, KL_K3 = 0.63576, 1.87320, 1.48695  # Molchanov et al. (2017), eq. (14)
DIGITS_VAL_FRACTION, DIGITS_TEST_FRACTION = 0.2, 0.3
MNIST_VAL_FRACTION = 1 / 6
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class Split:
    """Inputs (n, d) float32 in [0, 1] and integer labels (n,) of the three parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1


def digits_split(rng) -> Split:
    """scikit-learn's digits, pixels scaled to [0, 1], split 50/20/30 % at random (train/val/test)."""
    from sklearn.datasets import load_digits

    rng = validation.generator(rng)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = rng.permutation(len(y))
    n_test = int(round(DIGITS_TEST_FRACTION * len(y)))
    n_val = int(round(DIGITS_VAL_FRACTION * len(y)))
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return Split(x[train], y[train], x[val], y[val], x[test], y[test])


def _images(array: np.ndarray, name: str) -> np.ndarray:
    if array.ndim not in (2, 3) or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 28, 28) or (n, 784), got {array.shape}")
    flat = array.reshape(array.shape[0], -1).astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        if flat.min() < 0 or flat.max() > 255:
            raise ValueError(f"{name}: integer pixels must lie in [0, 255]")
        return flat / 255.0
    if not np.all(np.isfinite(flat)) or flat.min() < 0 or flat.max() > 1:
        raise ValueError(f"{name}: float pixels must be finite and lie in [0, 1]")
    return flat


def _labels(array: np.ndarray, name: str, n: int) -> np.ndarray:
    if array.shape != (n,) or not np.issubdtype(array.dtype, np.integer) or array.min() < 0:
        raise ValueError(f"{name} must be {n} non-negative integer labels, got shape {array.shape}, "
                         f"dtype {array.dtype}")
    return array.astype(np.int64)


def mnist_split(path, rng) -> Split:
    """MNIST from a local .npz with x_train, y_train, x_test, y_test; 1/6 of train held out for validation."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"mnist_path {str(path)!r} is not a file (expected an .npz with {', '.join(MNIST_KEYS)})")
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in MNIST_KEYS if key not in archive.files]
        if missing:
            raise ValueError(f"mnist_path {str(path)!r} lacks the arrays {missing}; it has {archive.files}")
        x_train, x_test = _images(archive["x_train"], "x_train"), _images(archive["x_test"], "x_test")
        y_train = _labels(archive["y_train"], "y_train", len(x_train))
        y_test = _labels(archive["y_test"], "y_test", len(x_test))
    if x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_train and x_test differ in size: {x_train.shape[1]} vs {x_test.shape[1]} pixels")
    rng = validation.generator(rng)
    order = rng.permutation(len(y_train))
    n_val = max(1, int(round(MNIST_VAL_FRACTION * len(y_train))))
    val, train = order[:n_val], order[n_val:]
    return Split(x_train[train], y_train[train], x_train[val], y_train[val], x_test, y_test)


def load_split(rng, mnist_path: str | None = None) -> Split:
    """MNIST from `mnist_path` when given, otherwise the bundled digits."""
    return digits_split(rng) if mnist_path is None else mnist_split(mnist_path, rng)


# --------------------------------------------------------------------------- the networks


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class _Network:
    """A ReLU MLP with weights W_l (d_{l+1}, d_l) and biases b_l; the training forward and the
    regulariser R depend on the method (subclasses); `pruned()` gives the evaluation weights."""

    def __init__(self, start: list[tuple[torch.Tensor, torch.Tensor]], generator: torch.Generator, device, **config):
        self.config = config
        self.weights = [weight.detach().clone().to(device).requires_grad_() for weight, _ in start]
        self.biases = [bias.detach().clone().to(device).requires_grad_() for _, bias in start]
        self.generator = generator
        self.device = device

    def parameters(self) -> list[torch.Tensor]:
        return self.weights + self.biases

    def layer(self, a: torch.Tensor, index: int) -> torch.Tensor:
        return a @ self.weights[index].T + self.biases[index]

    def forward(self, x: torch.Tensor, layer=None) -> torch.Tensor:
        layer = layer or self.layer
        a = x
        for index in range(len(self.weights)):
            a = layer(a, index)
            if index < len(self.weights) - 1:
                a = torch.relu(a)
        return a

    def regulariser(self) -> torch.Tensor:
        return torch.zeros((), device=self.device)

    def after_step(self, steps: list[torch.Tensor], n_train: int) -> None:
        """Hook after each optimiser step, given Adam's per-coordinate steps of the weights (the adaptive prox)."""

    def keep(self) -> list[torch.Tensor]:
        """Boolean masks of the weights that survive pruning."""
        return [torch.ones_like(weight, dtype=torch.bool) for weight in self.weights]

    @torch.no_grad()
    def pruned(self) -> list[torch.Tensor]:
        return [torch.where(keep, weight, torch.zeros_like(weight)) for weight, keep in zip(self.weights, self.keep())]

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.pruned()
        return self.forward(x, lambda a, index: a @ weights[index].T + self.biases[index])


class _LogSum(_Network):
    """R = λΣ ln(|w| + ε); prune |w| < ε."""

    def _eta_hat(self, weight: torch.Tensor) -> torch.Tensor:
        magnitude = weight.abs()
        return magnitude * (magnitude + self.config["eps"])

    def regulariser(self) -> torch.Tensor:
        return self.config["lam"] * sum(torch.log(w.abs() + self.config["eps"]).sum() for w in self.weights)

    def keep(self) -> list[torch.Tensor]:
        return [weight.abs() >= self.config["eps"] for weight in self.weights]


def logsum_dual(eta: torch.Tensor, eps: float) -> torch.Tensor:
    """f(η) of the log-sum penalty: with s = (−ε + √(ε² + 4η))/2 (so that η = s(s + ε) = η̂(s)),
    f(η) = 2 ln(s + ε) − s/(s + ε), which makes ½ min_η [w²/η + f(η)] = ln(|w| + ε)."""
    s = (torch.sqrt(eps**2 + 4 * eta) - eps) / 2
    return 2 * torch.log(s + eps) - s / (s + eps)


class _EtaTrick(_LogSum):
    """R = (λ/2)Σ [w²/η + f(η)] with η = e^s trained alongside w (s starts at ln η̂(w))."""

    def __init__(self, start, generator, device, **config):
        super().__init__(start, generator, device, **config)
        tiny = torch.finfo(self.weights[0].dtype).tiny
        self.log_eta = [torch.log(self._eta_hat(w.detach()).clamp_min(tiny)).requires_grad_() for w in self.weights]

    def parameters(self) -> list[torch.Tensor]:
        return super().parameters() + self.log_eta

    def regulariser(self) -> torch.Tensor:
        eps = self.config["eps"]
        return self.config["lam"] / 2 * sum((w**2 * torch.exp(-s) + logsum_dual(torch.exp(s), eps)).sum()
                                            for w, s in zip(self.weights, self.log_eta))


class _AdaptiveTikhonov(_LogSum):
    """R = (λ/2)Σ w²/η with η = η̂(w) computed from the current weights at every step and held fixed in
    the gradient (IRLS with one gradient step per reweighting). Its gradient λw/η̂(w) = λΩ′(w) is the
    log-sum penalty's (derive_e6): the two methods differ only through their minibatch streams and rounding.
    (Holding η for longer — an epoch, or even one step behind the weights — revived pruned weights or
    diverged under Adam in exploratory runs.)"""

    def regulariser(self) -> torch.Tensor:
        total = torch.zeros((), device=self.device)
        for w in self.weights:
            eta = self._eta_hat(w.detach())
            total = total + (w**2 / torch.where(eta > 0, eta, 1.0) * (eta > 0)).sum()  # w²/η := 0 at w = 0
        return self.config["lam"] / 2 * total


class _AdaptiveProx(_LogSum):
    """No regulariser in the gradient; after each step w ← w·η̂(w)/(η̂(w) + γλ/N)."""

    def regulariser(self) -> torch.Tensor:
        return torch.zeros((), device=self.device)

    @torch.no_grad()
    def after_step(self, steps: list[torch.Tensor], n_train: int) -> None:
        for weight, step in zip(self.weights, steps):
            eta = self._eta_hat(weight)
            weight.mul_(eta / (eta + step * self.config["lam"] / n_train))


def negative_kl(log_alpha: torch.Tensor) -> torch.Tensor:
    """Molchanov et al.'s approximation of −KL(q(w|θ, α) ‖ log-uniform prior)."""
    return KL_K1 * torch.sigmoid(KL_K2 + KL_K3 * log_alpha) - 0.5 * F.softplus(-log_alpha) - KL_K1


class _VariationalDropout(_Network):
    """w = θ(1 + √α ξ); parameters θ and log α (plain, local) or θ and log σ² (additive)."""

    def __init__(self, start, generator, device, **config):
        super().__init__(start, generator, device, **config)
        self.additive = config["variant"] == "additive"
        initial = config["log_alpha_init"]
        self.log_scale = [(torch.full_like(w.detach(), initial) + (torch.log(w.detach() ** 2) if self.additive else 0))
                          .requires_grad_() for w in self.weights]

    def parameters(self) -> list[torch.Tensor]:
        return super().parameters() + self.log_scale

    def log_alpha(self, index: int) -> torch.Tensor:
        value = self.log_scale[index]
        if self.additive:
            value = value - torch.log(self.weights[index] ** 2 + 1e-16)
        return torch.clamp(value, *LOG_ALPHA_CLIP)

    def _noisy_layer(self, a: torch.Tensor, index: int) -> torch.Tensor:
        weight, alpha = self.weights[index], torch.exp(self.log_alpha(index))
        if self.config["variant"] == "plain":
            noise = torch.randn(weight.shape, generator=self.generator).to(self.device)
            return a @ (weight * (1 + torch.sqrt(alpha) * noise)).T + self.biases[index]
        mean = a @ weight.T + self.biases[index]
        variance = (a**2) @ (alpha * weight**2).T
        noise = torch.randn(mean.shape, generator=self.generator).to(self.device)
        return mean + torch.sqrt(variance + VARIANCE_FLOOR) * noise

    def forward(self, x: torch.Tensor, layer=None) -> torch.Tensor:
        return super().forward(x, layer or self._noisy_layer)

    def regulariser(self) -> torch.Tensor:
        return -self.config["lam"] * sum(negative_kl(self.log_alpha(index)).sum() for index in range(len(self.weights)))

    @torch.no_grad()
    def keep(self) -> list[torch.Tensor]:
        return [self.log_alpha(index) <= LOG_ALPHA_PRUNE for index in range(len(self.weights))]


def he_start(sizes, generator: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """He initialisation: W_l ~ N(0, 2/d_l), b_l = 0."""
    return [(torch.randn(fan_out, fan_in, generator=generator) * np.sqrt(2.0 / fan_in), torch.zeros(fan_out))
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]


def _build(method: str, start, generator, device, config) -> _Network:
    classes = {"dense": _Network, "logsum": _LogSum, "eta_trick": _EtaTrick, "adaptive_tikhonov": _AdaptiveTikhonov,
               "adaptive_prox": _AdaptiveProx}
    if method in classes:
        return classes[method](start, generator, device, **config)
    return _VariationalDropout(start, generator, device, variant=method[3:], **config)


# --------------------------------------------------------------------------- training


# λ per method, chosen on the validation split of seed 0 at the quick settings (test data unused): the grid
# value with the lowest validation error among those whose density is ≤ 10 %; where none is (plain and
# local-reparametrisation VD, which stay dense at every λ tried, up to 3), the largest value tried.
METHOD_LAMBDA = {"logsum": 0.1, "eta_trick": 0.3, "adaptive_tikhonov": 0.1, "adaptive_prox": 0.1,
                 "vd_plain": 3.0, "vd_local": 3.0, "vd_additive": 0.3}


@dataclass(frozen=True)
class TrainConfig:
    """hidden: hidden-layer widths; epochs; batch; step γ (Adam); eps ε (log-sum methods); kl_warmup:
    epochs over which the VD regulariser's weight rises linearly from 0 to 1; log_alpha_init: the initial
    log α of VD."""

    hidden: tuple[int, ...] = (100, 100)
    epochs: int = 100
    batch: int = 128
    step: float = 5e-3
    eps: float = 1e-2
    kl_warmup: int = 10
    log_alpha_init: float = -8.0

    def __post_init__(self):
        for name in ("epochs", "batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
        if not self.hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1
                                  for h in self.hidden):
            raise ValueError(f"hidden must be a non-empty tuple of integers ≥ 1, got {self.hidden!r}")
        for name in ("step", "eps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if isinstance(self.kl_warmup, bool) or not isinstance(self.kl_warmup, (int, np.integer)) or self.kl_warmup < 0:
            raise ValueError(f"kl_warmup must be an integer ≥ 0, got {self.kl_warmup!r}")


class _Adam:
    """Adam (Kingma & Ba 2015, β = (0.9, 0.999), δ = 1e-8), written out because the adaptive prox needs its
    per-coordinate step γ_t,j = γ·√(1 − β₂ᵗ)/(1 − β₁ᵗ)/(√v_j + δ√(1 − β₂ᵗ)):
    the update is w ← w − γ_t,j·m_j.
    (It also spares importing torch.optim, which costs seconds at start-up.)"""

    BETA1, BETA2, DELTA = 0.9, 0.999, 1e-8

    def __init__(self, parameters: list[torch.Tensor], step: float):
        self.parameters, self.step_size, self.t = parameters, step, 0
        self.m = [torch.zeros_like(p) for p in parameters]
        self.v = [torch.zeros_like(p) for p in parameters]

    @torch.no_grad()
    def step(self) -> list[torch.Tensor]:
        """One update from the .grad of every parameter; returns the per-coordinate steps γ_t,j."""
        self.t += 1
        correction1, correction2 = 1 - self.BETA1**self.t, 1 - self.BETA2**self.t
        steps = []
        for p, m, v in zip(self.parameters, self.m, self.v):
            m.mul_(self.BETA1).add_(p.grad, alpha=1 - self.BETA1)
            v.mul_(self.BETA2).addcmul_(p.grad, p.grad, value=1 - self.BETA2)
            step = self.step_size * np.sqrt(correction2) / correction1 / (v.sqrt() + self.DELTA * np.sqrt(correction2))
            p.sub_(step * m)
            p.grad = None
            steps.append(step)
        return steps


def _error(network: _Network, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((network.evaluate(x).argmax(dim=1) != y).float().mean())


def _density(network: _Network) -> float:
    weights = network.pruned()
    return float(sum(int((w != 0).sum()) for w in weights) / sum(w.numel() for w in weights))


def train(method: str, split: Split, config: TrainConfig, rng, start=None, lam: float | None = None
          ) -> tuple[dict[str, np.ndarray], list]:
    """Train one method from `start` (a list of (W_l, b_l); None: He initialisation) with regularisation
    weight λ = `lam` (default METHOD_LAMBDA[method]; the dense baseline has none).

    Returns (results, final (W_l, b_l) before pruning). results: per-epoch density and validation error
    (E,), and the final test error, density, number of non-zero weights and of all weights (0-d), all
    measured on the pruned tensors.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    lam = METHOD_LAMBDA.get(method, 0.0) if lam is None else lam
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number ≥ 0, got {lam!r}")
    rng = validation.generator(rng)
    device = _device()
    generator = torch.Generator().manual_seed(int(rng.integers(2**63)))
    sizes = (split.x_train.shape[1], *config.hidden, split.n_classes)
    start = he_start(sizes, generator) if start is None else start
    network = _build(method, start, generator, device,
                     dict(lam=lam, eps=config.eps, log_alpha_init=config.log_alpha_init))
    x_train, y_train = (torch.as_tensor(a, device=device) for a in (split.x_train, split.y_train))
    x_val, y_val = (torch.as_tensor(a, device=device) for a in (split.x_val, split.y_val))
    n_train = len(y_train)
    optimiser = _Adam(network.parameters(), config.step)
    density, val_error = [], []
    for epoch in range(config.epochs):
        weight = min(1.0, (epoch + 1) / config.kl_warmup) if (method in VD_METHODS and config.kl_warmup) else 1.0
        order = torch.as_tensor(rng.permutation(n_train), device=device)
        for start in range(0, n_train, config.batch):
            rows = order[start:start + config.batch]
            loss = F.cross_entropy(network.forward(x_train[rows]), y_train[rows])
            loss = loss + weight * network.regulariser() / n_train
            loss.backward()
            steps = optimiser.step()
            network.after_step(steps[:len(network.weights)], n_train)
        density.append(_density(network))
        val_error.append(_error(network, x_val, y_val))
    x_test, y_test = (torch.as_tensor(a, device=device) for a in (split.x_test, split.y_test))
    weights = network.pruned()
    nonzero = sum(int((w != 0).sum()) for w in weights)
    total = sum(w.numel() for w in weights)
    results = dict(density=np.array(density), val_error=np.array(val_error),
                   test_error=np.array(_error(network, x_test, y_test)), final_density=np.array(nonzero / total),
                   nonzero=np.array(nonzero), n_weights=np.array(total))
    return results, [(w.detach(), b.detach()) for w, b in zip(network.weights, network.biases)]


@contextlib.contextmanager
def torch_threads(count: int):
    """Run torch on `count` intra-op threads inside the block, restoring the previous number after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train_methods(split: Split, dense_config: TrainConfig, config: TrainConfig, rng,
                  methods=ADAPTIVE_METHODS) -> dict[str, dict[str, np.ndarray]]:
    """The dense baseline from He initialisation (dense_config), then every method of `methods` from the
    baseline's trained weights (config), each with its own random stream spawned from `rng`."""
    unknown = [method for method in methods if method not in ADAPTIVE_METHODS]
    if unknown:
        raise ValueError(f"methods must be among {ADAPTIVE_METHODS}, got {unknown}")
    streams = validation.generator(rng).spawn(len(methods) + 1)
    dense, start = train("dense", split, dense_config, streams[0])
    results = {"dense": dense}
    for method, stream in zip(methods, streams[1:]):
        results[method], _ = train(method, split, config, stream, start=start)
    return results
