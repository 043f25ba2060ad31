"""torch's top-level names for matrix functions of ``tg.linalg``: ``det``, ``inverse`` (which is
``tg.linalg.inv``), ``slogdet``, and ``logdet`` (torch's, which ``torch.linalg`` lacks too).

Each is the same function object as ``tg.linalg``'s (``tg.det is tg.linalg.det``), not a copy;
they are also Tensor methods, as torch's (``t.det()``, ``t.inverse()``).
"""

from __future__ import annotations

from tensorgrad.ops.lapack import det, logdet, slogdet
from tensorgrad.ops.lapack import inv as inverse

__all__ = ["det", "inverse", "logdet", "slogdet"]
