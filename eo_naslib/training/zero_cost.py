"""Zero-cost proxies of an untrained network on one batch, written from the papers' definitions.

Each proxy takes a network (left unchanged: every proxy works on a deep copy), a batch of inputs
`x` (N, bands, H, W) and integer labels `y`, and returns one number. Weighted layers are the
convolutions and dense layers; `L` is the cross-entropy of the batch; batch norm uses batch
statistics (the network in training mode) unless said otherwise.

- `synflow` (Tanaka et al. 2020, as Abdelfattah et al. 2021 use it): parameters replaced by their
  absolute values, batch norm removed, float64, one all-ones input; R = sum of the logits;
  score = sum over weights of |theta * dR/dtheta|.
- `snip` (Lee et al. 2019): sum |theta * dL/dtheta|.  `plain`: sum theta * dL/dtheta.
- `grad_norm`: sum over weighted layers of the Frobenius norm of dL/dW.  `l2_norm`: of W.
- `grasp` (Wang et al. 2020): sum of -theta * (H g), g = dL/dtheta, H the Hessian of L.
- `fisher` (Theis et al. 2018; Turner et al. 2020): per output channel c of each weighted layer
  (activation a before batch norm), 0.5 * mean over samples of (sum over pixels a * dL/da)^2;
  each channel's value is credited to each of its weights (Abdelfattah et al.), so it counts
  fan-in times.
- `jacov` (Mellor et al. 2021 v1): J the per-sample input gradients of the summed logits,
  C = corrcoef(J) with eigenvalues v; score = -sum(log(v + k) + 1 / (v + k)), k = 1e-5.
- `nwot` (Mellor et al. 2021 v2): K = sum over ReLUs of c c^T + (1 - c)(1 - c)^T with c the
  binary codes (input > 0) of each sample; score = log|det K|.
- `epe_nas` (Lopes et al. 2021): per class, s_c = sum log(|corrcoef(J_c)| + k); score = sum |s_c|
  (for at most 100 classes).
- `zen` (Lin et al. 2021): weights redrawn N(0, 1) (batch norm weight 1, bias 0), two Gaussian
  inputs x1 and x1 + 0.01 x2; score = log(mean over samples of sum |f(x1) - f(x1 + 0.01 x2)|)
  + sum over batch norms of log sqrt(mean running variance), f the features before the global
  pooling. Draws from torch's global generator (seed it for a repeatable score).
- `params`: trainable parameters in millions.  `flops`: FLOPs of the convolutions and dense
  layers in one sample's forward pass, in millions (2 per multiply-accumulate).

`naslib_form` turns a raw value into what NASLib's `ZeroCost.query` answers (NaN/inf become
-1e8; synflow becomes sign * log|value|), the form NAS-Bench-Suite-Zero stores.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

#: the small constant of jacov and epe_nas
K_EPS = 1e-5
#: what NASLib answers for a NaN or infinite score
NASLIB_INVALID = -1e8

Proxy = Callable[[nn.Module, torch.Tensor, torch.Tensor], float]


def _weighted(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _fresh(net: nn.Module) -> nn.Module:
    copied = copy.deepcopy(net)
    copied.train()
    copied.zero_grad(set_to_none=True)
    return copied


def _loss_grads(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[nn.Module]:
    """Backpropagate the batch's cross-entropy; the weighted layers (their .weight.grad set)."""
    F.cross_entropy(net(x), y).backward()
    return _weighted(net)


def _weight_sum(layers: list[nn.Module], value: Callable[[nn.Module], torch.Tensor]) -> float:
    return float(sum(value(layer).sum().item() for layer in layers if layer.weight.grad is not None))


def _features(net: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The network's map up to the global pooling (`features` for NB101Network)."""
    if hasattr(net, "features"):
        return net.features
    if hasattr(net, "forward_before_global_avg_pool"):
        return net.forward_before_global_avg_pool
    raise ConfigError(f"zen needs the features before global pooling; {type(net).__name__} has no `features`")


def snip(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    layers = _loss_grads(_fresh(net), x, y)
    return _weight_sum(layers, lambda l: (l.weight * l.weight.grad).abs())


def plain(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    layers = _loss_grads(_fresh(net), x, y)
    return _weight_sum(layers, lambda l: l.weight * l.weight.grad)


def grad_norm(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    layers = _loss_grads(_fresh(net), x, y)
    return _weight_sum(layers, lambda l: torch.linalg.vector_norm(l.weight.grad))


def l2_norm(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(sum(torch.linalg.vector_norm(l.weight).item() for l in _weighted(net)))


def _without_batch_norm(net: nn.Module) -> None:
    for name, child in net.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(net, name, nn.Identity())
        else:
            _without_batch_norm(child)


def synflow(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    copied = _fresh(net).double()
    _without_batch_norm(copied)
    with torch.no_grad():
        for p in copied.parameters():
            p.abs_()
    copied(torch.ones((1, *x.shape[1:]), dtype=torch.float64)).sum().backward()
    return _weight_sum(_weighted(copied), lambda l: (l.weight * l.weight.grad).abs())


def grasp(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    copied = _fresh(net)
    weights = [l.weight for l in _weighted(copied)]
    g = torch.autograd.grad(F.cross_entropy(copied(x), y), weights, allow_unused=True)
    g_live = torch.autograd.grad(F.cross_entropy(copied(x), y), weights, create_graph=True, allow_unused=True)
    dot = sum((a.detach() * b).sum() for a, b in zip(g, g_live) if a is not None and b is not None)
    hg = torch.autograd.grad(dot, weights, allow_unused=True)
    return float(sum((-w * h).sum().item() for w, h in zip(weights, hg) if h is not None))


def fisher(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    copied = _fresh(net)
    layers = _weighted(copied)
    outputs: dict[nn.Module, torch.Tensor] = {}

    def keep(module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        output.retain_grad()
        outputs[module] = output

    handles = [layer.register_forward_hook(keep) for layer in layers]
    F.cross_entropy(copied(x), y).backward()
    for handle in handles:
        handle.remove()
    total = 0.0
    for layer, a in outputs.items():
        per_sample = (a * a.grad).sum(dim=tuple(range(2, a.dim()))) if a.dim() > 2 else a * a.grad
        per_channel = 0.5 * per_sample.pow(2).mean(dim=0)
        total += float(per_channel.sum().item()) * int(np.prod(layer.weight.shape[1:]))
    return total


def _input_jacobians(net: nn.Module, x: torch.Tensor) -> tuple[np.ndarray, int]:
    """(N, D) gradients of each sample's summed logits w.r.t. its input, and the number of logits."""
    copied = _fresh(net)
    inputs = x.clone().requires_grad_(True)
    out = copied(inputs)
    out.backward(torch.ones_like(out))
    return inputs.grad.reshape(len(x), -1).numpy(), int(out.shape[-1])


def jacov(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    jacobians, _ = _input_jacobians(net, x)
    v = np.linalg.eigvalsh(np.corrcoef(jacobians))
    return float(-np.sum(np.log(v + K_EPS) + 1.0 / (v + K_EPS)))


def epe_nas(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    jacobians, n_outputs = _input_jacobians(net, x)
    labels = y.numpy()
    if n_outputs > 100:
        raise ConfigError(f"epe_nas is defined here for at most 100 classes; the network has {n_outputs}")
    score = 0.0
    for label in dict.fromkeys(labels.tolist()):
        corr = np.corrcoef(jacobians[labels == label])
        score += abs(float(np.sum(np.log(np.abs(corr) + K_EPS))))
    return score


def nwot(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    copied = _fresh(net)
    kernel = np.zeros((len(x), len(x)))

    def count(_module: nn.Module, inputs: tuple, _output: torch.Tensor) -> None:
        nonlocal kernel
        codes = (inputs[0].reshape(len(x), -1) > 0).float()
        kernel = kernel + (codes @ codes.t()).numpy() + ((1.0 - codes) @ (1.0 - codes).t()).numpy()

    for module in copied.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False  # the hook must see the ReLU's input, not its output
            module.register_forward_hook(count)
    with torch.no_grad():
        copied(x)
    return float(np.linalg.slogdet(kernel)[1])


def zen(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    copied = _fresh(net)
    with torch.no_grad():
        for m in copied.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.weight is not None:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        x1 = torch.randn(x.shape)
        x2 = torch.randn(x.shape)
        features = _features(copied)
        delta = (features(x1) - features(x1 + 1e-2 * x2)).abs().sum(dim=(1, 2, 3)).mean()
        bn = sum(torch.log(torch.sqrt(m.running_var.mean())) for m in copied.modules() if isinstance(m, nn.BatchNorm2d))
        return float(torch.log(delta) + bn)


def params(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return sum(p.numel() for p in net.parameters() if p.requires_grad) / 1e6


def flops(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    copied = _fresh(net).eval()
    total = 0

    def count(module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        per_output = module.weight[0].numel() if isinstance(module, nn.Conv2d) else module.in_features
        total += 2 * output.numel() * per_output

    handles = [m.register_forward_hook(count) for m in _weighted(copied)]
    with torch.no_grad():
        copied(x[:1])
    for handle in handles:
        handle.remove()
    return total / 1e6


#: every proxy by its NASLib `ZeroCost` method name
PROXIES: dict[str, Proxy] = {
    "epe_nas": epe_nas,
    "fisher": fisher,
    "flops": flops,
    "grad_norm": grad_norm,
    "grasp": grasp,
    "jacov": jacov,
    "l2_norm": l2_norm,
    "nwot": nwot,
    "params": params,
    "plain": plain,
    "snip": snip,
    "synflow": synflow,
    "zen": zen,
}


def check_proxies(names: object) -> list[str]:
    """`names` (a list, or one comma-separated string) checked against `PROXIES`."""
    listed = names.split(",") if isinstance(names, str) else names
    if not isinstance(listed, (list, tuple)) or not listed or not all(isinstance(n, str) for n in listed):
        raise ConfigError(f"proxies must be a list of names from {sorted(PROXIES)}, got {names!r}")
    unknown = [n for n in listed if n.strip() not in PROXIES]
    if unknown:
        raise ConfigError(f"unknown zero-cost proxies {unknown}; choose from {sorted(PROXIES)}")
    return [n.strip() for n in listed]


def naslib_form(name: str, value: float) -> float:
    """The value NASLib's `ZeroCost.query` answers for raw proxy `value`."""
    if math.isnan(value) or math.isinf(value):
        return NASLIB_INVALID
    if name == "synflow" and value != 0.0:
        return math.log(value) if value > 0 else -math.log(-value)
    return value


def zero_cost_scores(net: nn.Module, x: torch.Tensor, y: torch.Tensor, names: list[str]) -> dict[str, float]:
    """Raw scores of the proxies `names` (checked) of `net` on the batch (x, y)."""
    return {name: PROXIES[name](net, x, y) for name in check_proxies(names)}
