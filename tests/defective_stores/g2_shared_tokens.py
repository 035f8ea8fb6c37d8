"""Defect: get_tokens hands out the store's own cached token objects.

Rule G2 (SHOULD) must catch it: a caller that changes a token returned by
get_tokens also changes what the next get_tokens call returns.
"""

from __future__ import annotations

from clean_store import CleanListStore, token_from_record


class SharedTokensStore(CleanListStore):
    def __init__(self):
        super().__init__()
        self._cache = {}

    def get_tokens(self):
        with self._lock:
            return [self._cached_token(record) for record in self._records]

    def _cached_token(self, record):
        # Defect: one token object per stored record version is built once
        # and then shared with every caller instead of copied.
        cached = self._cache.get(record["id"])
        if cached is None or cached[0] is not record:
            cached = (record, token_from_record(record))
            self._cache[record["id"]] = cached
        return cached[1]
