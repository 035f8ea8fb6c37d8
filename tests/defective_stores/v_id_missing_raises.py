"""Variation: find_token_by_id raises SDKException for an unknown id.

Variation point V-ID-MISSING must report the choice "raises", which fails only
under ``--store-strict``: ``OAuthToken.get_token`` treats ``None`` as "not
stored", so the preferred choice is to return ``None``.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from clean_store import ERROR_CODE, CleanListStore


class IdMissingRaisesStore(CleanListStore):
    def find_token_by_id(self, id):
        token = super().find_token_by_id(id)
        if token is None:
            # The choice under test: raise where None is preferred.
            raise SDKException(code=ERROR_CODE, message=f"no token with id {id!r}")
        return token
