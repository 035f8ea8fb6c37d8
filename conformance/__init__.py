"""Conformance kit for Zoho CRM Python SDK token stores.

Installed, the kit is a pytest plugin: ``pytest --store=MODULE:ATTR`` certifies
the ``TokenStore`` that ``MODULE:ATTR`` names against the rules in
``conformance.rules``.
"""

__version__ = "0.1.0"
