"""``python -m benchmarks``: run the suite (``--quick`` for a smoke run); see ``--help``."""

import sys

from benchmarks.runner import main

sys.exit(main())
