"""The package's top level: what ``import tensorgrad`` exposes."""

from __future__ import annotations

import tensorgrad as tg


def test_the_top_level_holds_no_registry_internals() -> None:
    # (the ops' star import brought OPS, FAMILIES, NO_GRADIENT and the transforms' alias op)
    for name in ("OPS", "FAMILIES", "NO_GRADIENT", "alias"):
        assert not hasattr(tg, name) and hasattr(tg.ops, name)
    assert set(tg.__all__) <= set(dir(tg))
