"""The NASLib-shaped core: Metric, the NB101 search space, get_dataset_api, MetaOptimizer,
Trainer and the config runner. Our core never imports NASLib; see plugins/ for the bridge."""

from .config import validate
from .dataset_api import DATASETS, get_dataset_api, register_dataset_api
from .metric import Metric, from_metric_name, to_metric_name
from .optimizer import DiscreteOptimizer, MetaOptimizer
from .runner import run
from .search_space import NasBench101SearchSpace
from .trainer import Trainer

__all__ = [
    "DATASETS",
    "DiscreteOptimizer",
    "MetaOptimizer",
    "Metric",
    "NasBench101SearchSpace",
    "Trainer",
    "from_metric_name",
    "get_dataset_api",
    "register_dataset_api",
    "run",
    "to_metric_name",
    "validate",
]
