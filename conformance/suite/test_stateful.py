"""Model-based testing: random sequences of the six operations agree with the model (M1)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.stateful import tokenstore_machine

try:
    from hypothesis.internal.conjecture import engine as hypothesis_engine
except ImportError:  # a later Hypothesis release may move the module
    hypothesis_engine = None

# Hypothesis shrinks a failure for up to 300 s by default, and each shrink step
# replays whole call sequences against the store. The kit shows a partly
# shrunk sequence after this many seconds instead.
SHRINK_SECONDS = 30


@pytest.mark.rule("M1")
def test_operation_sequences_agree_with_model(stores, tokenstore_features, monkeypatch):
    """Scenario 68: saves, lookups, refreshes and deletes in random order agree with the model."""
    # Hypothesis's engine documents MAX_SHRINKING_SECONDS as the constant to monkeypatch.
    if hypothesis_engine is not None:
        monkeypatch.setattr(
            hypothesis_engine, "MAX_SHRINKING_SECONDS", SHRINK_SECONDS, raising=False
        )
    reopen = stores.reopen if "persistent" in tokenstore_features else None
    machine = tokenstore_machine(stores.open_new, reopen)

    run_state_machine_as_test(machine)
