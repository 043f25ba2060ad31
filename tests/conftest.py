"""Hypothesis profiles: ``ci`` (bounded, used by .ci/run) and ``dev`` (more examples).

Choose with ``TENSORGRAD_HYPOTHESIS_PROFILE``; the default is ``ci``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("TENSORGRAD_HYPOTHESIS_PROFILE", "ci"))
