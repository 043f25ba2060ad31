"""``tg.linalg``: NumPy's ``np.linalg`` functions on Tensors, differentiable to any order.

``inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh`` and ``eigvalsh`` take stacks
of square matrices in their last two axes, as NumPy's; ``norm`` is ``tg.norm``.
"""

from __future__ import annotations

from tensorgrad.ops.lapack import (
    EighResult,
    SlogdetResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    slogdet,
    solve,
)
from tensorgrad.ops.reductions import norm

__all__ = [
    "inv",
    "solve",
    "det",
    "slogdet",
    "cholesky",
    "eigh",
    "eigvalsh",
    "norm",
    "SlogdetResult",
    "EighResult",
]
