"""ONNX Runtime as a second runtime: export a network, check it against torch, time what deploys.

The network is exported by torch's TorchScript-based exporter (`dynamo=False`: no onnxscript
needed; a dynamic batch axis) into memory and opened in an `onnxruntime.InferenceSession` on the
CPU execution provider with the stated thread count. Before any timing, the session's output on
a seeded batch must equal torch's within `RTOL`/`ATOL`, else `ConfigError` names the difference.
Needs the `onnx` extra (onnxruntime, onnx); without it the error says what to install.
"""

from __future__ import annotations

import warnings
from io import BytesIO
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..lazy import lazy_module

ort = lazy_module("onnxruntime")
#: how close ONNX Runtime's logits must be to torch's (fp32; kernels differ in summation order)
RTOL, ATOL = 1e-3, 1e-4
INSTALL = "the onnxruntime runtime needs the onnx extra: pip install 'eo-naslib[onnx]'"


def export_bytes(model: nn.Module, sample: torch.Tensor) -> bytes:
    """The ONNX model of `model` in eval mode (input `x`, output `logits`, dynamic batch)."""
    buffer = BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter's notice
        torch.onnx.export(
            model.eval(), (sample,), buffer, dynamo=False, input_names=["x"], output_names=["logits"],
            dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
        )  # fmt: skip
    return buffer.getvalue()


def open_session(onnx_model: bytes, threads: int) -> Any:
    """An ONNX Runtime CPU session of the model using `threads` intra-op threads."""
    try:
        options = ort.SessionOptions()
    except ImportError:
        raise ConfigError(INSTALL) from None
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])


def checked_session(model: nn.Module, sample: torch.Tensor, threads: int) -> Any:
    """`open_session` of `model`'s export, after checking its output on `sample` equals torch's."""
    session = open_session(export_bytes(model, sample), threads)
    with torch.no_grad():
        expected = model(sample).numpy()
    got = session.run(None, {"x": sample.numpy()})[0]
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
        difference = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else float("nan")
        raise ConfigError(
            f"the ONNX export's output differs from torch's (max |diff| {difference:.3g} > atol {ATOL} + rtol {RTOL}); "
            "time it with --runtime torch"
        )
    return session


def version() -> str:
    """onnxruntime's version."""
    try:
        return str(ort.__version__)
    except ImportError:
        raise ConfigError(INSTALL) from None
