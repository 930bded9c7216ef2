"""``torch.nn.parallel``'s data-parallel wrapper: ``DistributedDataParallel``."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
