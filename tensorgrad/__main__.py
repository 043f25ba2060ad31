"""``python -m tensorgrad train ...`` and the ``tensorgrad`` console script."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run a tensorgrad command (``train``); see ``tensorgrad train --help``."""
    from tensorgrad.train import main as train_main

    return train_main(argv)


if __name__ == "__main__":
    sys.exit(main())
