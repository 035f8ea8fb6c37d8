"""Defect: save_token logs the refresh token it stores.

Rule SEC2 (SHOULD) must catch it: a secret in a log record reaches every log
file and log service that the application ships records to.
"""

from __future__ import annotations

import logging

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore

logger = logging.getLogger(__name__)


class LogsRefreshTokenStore(CleanListStore):
    def save_token(self, token):
        super().save_token(token)
        if isinstance(token, OAuthToken):
            # Defect: a debugging line that prints the secret itself.
            refresh_token = token.get_refresh_token()
            logger.info("saved token %s, refresh token %s", token.get_id(), refresh_token)
