"""Hypothesis settings profiles of the kit, and the seed of a certification run.

Two profiles are registered when the plugin is imported:

- ``conformance``: the default of a certification run. It is loaded only when
  the user has loaded no profile of their own, neither with
  ``--hypothesis-profile`` nor from a ``conftest.py``.
- ``conformance-ci``: the same with a fixed example order (``derandomize``),
  no example database and a reproduction blob printed for every failure.

A certification run without ``--hypothesis-seed`` gets a random seed, so
that the run header can print a command that repeats it exactly.
"""

from __future__ import annotations

import logging
import random
from typing import Optional

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

logger = logging.getLogger("conformance")

PROFILE = "conformance"
CI_PROFILE = "conformance-ci"

# Sized so that the whole suite certifies SQLiteFileStore, the slowest reference
# store, in about 32 s on a 2-core machine (docs/benchmarks.md). The step count
# matters most: sequence defects need long runs of calls to show.
# Settings on a suite test override these.
_SETTINGS = dict(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Both derive from Hypothesis's "default" profile. Without an explicit parent they
# would derive from the profile loaded at import time, which in a CI environment
# is Hypothesis's derandomized "ci" profile.
_DEFAULT = settings.get_profile("default")
settings.register_profile(PROFILE, parent=_DEFAULT, **_SETTINGS)
settings.register_profile(
    CI_PROFILE, parent=_DEFAULT, derandomize=True, database=None, print_blob=True, **_SETTINGS
)


def current_profile_name() -> str:
    """Return the name of the Hypothesis profile that is loaded now."""
    getter = getattr(settings, "get_current_profile_name", None)
    if getter is not None:
        return getter()
    # Hypothesis releases before get_current_profile_name() keep it here.
    return getattr(settings, "_current_profile", None) or "default"


def select_profile(config: pytest.Config) -> None:
    """Load the kit's profile unless the user loaded a profile of their own.

    Hypothesis loads its own ``ci`` profile by itself when it detects a CI
    environment (a ``CI`` variable, among others), so ``ci`` counts as not
    chosen by the user. The kit then loads ``conformance-ci``, which keeps the
    fixed example order of ``ci`` and uses the kit's sizes.
    """
    if _option(config, "hypothesis_profile"):
        return

    name = current_profile_name()
    if name not in ("default", "ci"):
        logger.debug("keeping the Hypothesis profile %r loaded before the run", name)
        return

    profile = CI_PROFILE if name == "ci" else PROFILE
    settings.load_profile(profile)
    logger.debug("loaded the Hypothesis profile %r", profile)


def select_seed(config: pytest.Config) -> None:
    """Set ``--hypothesis-seed`` to a random seed unless the user gave one.

    Runs before Hypothesis's own ``pytest_configure`` reads the option. No seed
    is set for a profile with ``derandomize=True``, because a forced seed would
    replace its fixed example order, nor when Hypothesis's pytest plugin is off.
    """
    if not hasattr(config.option, "hypothesis_seed"):
        return
    if config.option.hypothesis_seed is not None:
        return
    if _profile_derandomizes(config):
        return

    seed = random.SystemRandom().randrange(2**32)
    config.option.hypothesis_seed = str(seed)
    logger.debug("chose Hypothesis seed %d", seed)


def run_seed(config: pytest.Config) -> Optional[str]:
    """Return the Hypothesis seed of this run, or ``None`` when none is forced."""
    seed = getattr(config.option, "hypothesis_seed", None)
    return None if seed is None else str(seed)


def _profile_derandomizes(config: pytest.Config) -> bool:
    name = _option(config, "hypothesis_profile") or current_profile_name()
    try:
        return bool(settings.get_profile(name).derandomize)
    except InvalidArgument:
        # An unknown profile name: Hypothesis's plugin reports it.
        return False


def _option(config: pytest.Config, name: str) -> Optional[str]:
    return getattr(config.option, name, None)
