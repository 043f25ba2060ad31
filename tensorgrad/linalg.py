"""``tg.linalg``: NumPy's ``np.linalg`` functions on Tensors, differentiable to any order.

``inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh``, ``eigvalsh`` and
``matrix_power`` take stacks of square matrices in their last two axes, as NumPy's; ``svd``,
``svdvals``, ``qr``, ``pinv`` stacks of any matrices, ``lstsq`` a matrix; ``multi_dot`` a chain
of matrices; ``solve_triangular`` and ``cholesky_solve`` are torch's; ``norm`` is ``tg.norm``,
``matmul`` and ``tensordot`` are tg's; the array API's functions and the rest of ``np.linalg``
(but ``eig`` and ``eigvals``, whose values may be complex) are compositions of these.
"""

from __future__ import annotations

from tensorgrad.ops.decompositions import (
    LstsqResult,
    QRResult,
    SVDResult,
    lstsq,
    pinv,
    qr,
    svd,
    svdvals,
)
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
from tensorgrad.ops.linalg import matmul, tensordot
from tensorgrad.ops.linalg_api import (
    cond,
    cross,
    diagonal,
    matrix_norm,
    matrix_rank,
    matrix_transpose,
    outer,
    tensorinv,
    tensorsolve,
    trace,
    vecdot,
    vector_norm,
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
    "svd",
    "svdvals",
    "qr",
    "pinv",
    "lstsq",
    "norm",
    "vector_norm",
    "matrix_norm",
    "matrix_transpose",
    "vecdot",
    "cross",
    "diagonal",
    "trace",
    "outer",
    "matmul",
    "tensordot",
    "cond",
    "matrix_rank",
    "tensorinv",
    "tensorsolve",
    "SlogdetResult",
    "EighResult",
    "SVDResult",
    "QRResult",
    "LstsqResult",
]
