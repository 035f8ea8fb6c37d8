"""Defect: the store writes a fixed api_domain instead of the token's own.

Rule R1 must catch it: api_domain round-trips like every other field. The
store was written for one deployment that reaches Zoho through its own API
gateway, so every token comes back pointing at that gateway.
"""

from __future__ import annotations

from clean_store import CleanListStore

# A host name under the reserved .example domain, so nothing resolves it.
GATEWAY_API_DOMAIN = "https://crm-gateway.zylker.example"


class HardcodedApiDomainStore(CleanListStore):
    def _stored_form(self, record):
        record = dict(record)
        # Defect: the token's api_domain is replaced by a constant.
        record["api_domain"] = GATEWAY_API_DOMAIN
        return record
