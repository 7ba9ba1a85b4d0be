"""Training: the exact NB101 network on So2Sat LCZ42 or your own data, resumable runs, hardware metrics, live benchmark.

Modules: `config` (TrainConfig), `network` (NB101Network), `datasets` (the dataset interface, split
protocols, folder and torchgeo readers), `so2sat` (So2Sat v2/v3 HDF5 reading), `synthetic` /
`synthetic_folders` (synthetic So2Sat-layout files, .npy and GeoTIFF folders), `loop`, `checkpoint`,
`parallel` (batch and learning rate per world size), `ddp` (torchrun entry), `launch` (torchrun
inside a job), `profile` (device profiles),
`hardware` (latency, size, MACs), `job` (train_and_measure -> record.json), `live` (LiveBenchmark),
`cli` (`eo-naslib train | measure`). All but `config` and `cli` need the `train` extra
(`pip install -e ".[train]"`: torch, torchmetrics, ptflops); this package imports none of them.
"""

from .config import TrainConfig

__all__ = ["TrainConfig"]
