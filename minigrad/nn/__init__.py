"""Neural-network building blocks with torch.nn's names: modules, the functional API, init."""
from . import functional, init, parallel
from .modules import *  # noqa: F401,F403
from .parameter import Parameter, UninitializedBuffer, UninitializedParameter
from . import parameter  # noqa: F401
