"""``tg.linalg``: NumPy's ``np.linalg`` functions on Tensors, differentiable to any order.

``inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh``, ``eigvalsh`` and
``matrix_power`` take stacks of square matrices in their last two axes, as NumPy's;
``multi_dot`` a chain of matrices; ``solve_triangular`` and ``cholesky_solve`` are torch's;
``norm`` is ``tg.norm``.
"""

from __future__ import annotations

from tensorgrad.ops.lapack import (
    EighResult,
    SlogdetResult,
    cholesky,
    cholesky_solve,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_power,
    multi_dot,
    slogdet,
    solve,
    solve_triangular,
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
    "matrix_power",
    "multi_dot",
    "solve_triangular",
    "cholesky_solve",
    "norm",
    "SlogdetResult",
    "EighResult",
]
