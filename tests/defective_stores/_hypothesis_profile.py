"""Hypothesis profile ``defect-corpus`` for kit runs over the planted defective stores.

The corpus tests load this module into the child pytest run with
``-p defective_stores._hypothesis_profile`` and select the profile with
``--hypothesis-profile=defect-corpus``. It is the kit's ``conformance-ci``
profile (fixed example order, no example database) without the shrink phase.
Shrinking a failing M1 state machine took about 30 s per defective store on
a 2-core machine, while the corpus only needs to know that M1 failed, not the
shortest sequence that fails it.
"""

from __future__ import annotations

from hypothesis import Phase, settings

from conformance.profiles import CI_PROFILE

PROFILE = "defect-corpus"

settings.register_profile(
    PROFILE,
    parent=settings.get_profile(CI_PROFILE),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
