"""``torch.cuda``'s queries, for ported code that picks its device: tensorgrad runs on the CPU
only, so no CUDA device is ever available."""

from __future__ import annotations

__all__ = ["is_available", "device_count"]


def is_available() -> bool:
    """False: tensorgrad has no GPU arrays (``device = "cuda" if tg.cuda.is_available() else
    "cpu"`` picks the CPU)."""
    return False


def device_count() -> int:
    """0: no CUDA devices."""
    return 0
