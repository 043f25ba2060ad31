"""Every public op, by family; ``OPS`` maps each name to its public function.

The test suite reads ``OPS`` (and ``NO_GRADIENT``) so that no op can skip its gradient check.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from tensorgrad.ops import (
    arithmetic,
    differences,
    elementwise,
    indexing,
    linalg,
    losses,
    manipulation,
    matrices,
    predicates,
    reductions,
    shape,
    statistics,
    torch_linalg,
)
from tensorgrad.ops.arithmetic import *  # noqa: F403
from tensorgrad.ops.differences import *  # noqa: F403
from tensorgrad.ops.elementwise import *  # noqa: F403
from tensorgrad.ops.indexing import *  # noqa: F403
from tensorgrad.ops.linalg import *  # noqa: F403
from tensorgrad.ops.losses import *  # noqa: F403
from tensorgrad.ops.manipulation import *  # noqa: F403
from tensorgrad.ops.matrices import *  # noqa: F403
from tensorgrad.ops.predicates import *  # noqa: F403
from tensorgrad.ops.reductions import *  # noqa: F403
from tensorgrad.ops.shape import *  # noqa: F403
from tensorgrad.ops.statistics import *  # noqa: F403
from tensorgrad.ops.torch_linalg import *  # noqa: F403

FAMILIES: tuple[ModuleType, ...] = (
    arithmetic,
    elementwise,
    predicates,
    reductions,
    differences,
    statistics,
    shape,
    manipulation,
    indexing,
    linalg,
    matrices,
    torch_linalg,
    losses,
)

OPS: dict[str, Callable[..., Any]] = {
    name: getattr(module, name) for module in FAMILIES for name in module.__all__
}

# Public functions whose results carry no gradient (comparisons, indices, logic); the index
# helpers return plain NumPy arrays, as NumPy's.
NO_GRADIENT = frozenset(
    """less less_equal greater greater_equal equal not_equal logical_and logical_or logical_xor
    logical_not argmax argmin argsort tril_indices triu_indices tril_indices_from
    triu_indices_from diag_indices diag_indices_from nanargmax nanargmin isnan isinf isfinite
    isposinf isneginf isclose allclose""".split()
)

__all__ = sorted(OPS) + ["OPS", "NO_GRADIENT", "FAMILIES"]
