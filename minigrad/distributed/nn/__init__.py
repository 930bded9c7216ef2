"""``minigrad.distributed.nn``: collectives that autograd can differentiate (torch.distributed.nn)."""
from . import functional
