"""The package's top level: what ``import tensorgrad`` exposes."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


def test_the_top_level_holds_no_registry_internals() -> None:
    # (the ops' star import brought OPS, FAMILIES, NO_GRADIENT and the transforms' alias op)
    for name in ("OPS", "FAMILIES", "NO_GRADIENT", "alias"):
        assert not hasattr(tg, name) and hasattr(tg.ops, name)
    assert set(tg.__all__) <= set(dir(tg))


def test_dtype_names_and_cuda_queries_for_ports() -> None:
    assert tg.float32 is np.float32 and tg.int64 is np.int64 and tg.bool_ is np.bool_
    assert tg.zeros(2, dtype=tg.float16).dtype == np.float16
    assert tg.finfo(tg.float32).eps == np.finfo(np.float32).eps
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
