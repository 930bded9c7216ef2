"""The functional API, with torch.nn.functional's names and signatures (``import minigrad.nn.functional as F``).

Each function checks its arguments with torch's messages, normalises them (ints to tuples, padding
strings, padding modes) and calls the primitives in ``minigrad.ops``. Split by family:
activation, linear, dropout, normalization, loss, distance (cosine_similarity, pairwise_distance),
shuffle (channel_shuffle), sampling (interpolate, pixel_shuffle), conv, pooling.
"""
from ...ops.padding import pad  # noqa: F401
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .shuffle import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
