"""Defect: save_token catches every exception and only logs it.

Rule S5 must catch it: an insert of a token with a user name but no refresh,
grant or access token returns quietly instead of raising ``SDKException``,
so the caller believes the token was saved.
"""

from __future__ import annotations

import logging

from clean_store import CleanListStore

logger = logging.getLogger(__name__)


class SwallowsErrorsStore(CleanListStore):
    def save_token(self, token):
        try:
            super().save_token(token)
        except Exception as error:
            # Defect: the error is logged and dropped.
            logger.warning("save_token failed, token not saved: %s", error)
