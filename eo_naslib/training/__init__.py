"""Training: the exact NB101 network on So2Sat LCZ42, resumable runs, hardware metrics, live benchmark.

Modules: `config` (TrainConfig), `network` (NB101Network), `so2sat` (HDF5 reading, splits),
`synthetic` (synthetic So2Sat-layout files), `loop`, `checkpoint`, `parallel` (batch and learning
rate per world size), `ddp` (torchrun entry), `launch` (torchrun inside a job),
`hardware` (latency, size, MACs), `job` (train_and_measure -> record.json), `live` (LiveBenchmark),
`cli` (`eo-naslib train | measure`). All but `config` and `cli` need the `train` extra
(`pip install -e ".[train]"`: torch, torchmetrics, ptflops); this package imports none of them.
"""

from .config import TrainConfig

__all__ = ["TrainConfig"]
