"""Planted defective TokenStores: each module contains one store with exactly one defect.

Every store subclasses a clean control store from ``clean_store`` and
overrides as little as the defect needs, and its module docstring names the
defect and the rule that must catch it. ``tests/test_defect_corpus.py``
certifies the stores of the direct-call rules and checks that each one fails
its rule. The ``sdk_*`` modules contain the stores of the SDK-flow rules, and
``_hypothesis_profile`` the Hypothesis profile of the corpus runs. The stores
are written for this project and reproduce kinds of faults found in real
stores, not their code.
"""
