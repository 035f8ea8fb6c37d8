"""Variation: delete_token raises SDKException for an unknown id.

Variation point V-DELETE-MISSING must report the choice "raises", which fails
only under ``--store-strict``: ``OAuthToken.remove()`` turns any exception into
``False``, so the preferred choice is a no-op.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from clean_store import ERROR_CODE, CleanListStore


class DeleteMissingRaisesStore(CleanListStore):
    def delete_token(self, id):
        with self._lock:
            if self._record_with_id(id) is None:
                # The choice under test: raise where a no-op is preferred.
                raise SDKException(code=ERROR_CODE, message=f"no token with id {id!r}")
            super().delete_token(id)
