"""Defect: values are cut to 255 characters, as a VARCHAR(255) column would store them.

Rule R1-LONG (SHOULD) must catch it: values of up to 4,096 characters
round-trip. Values of up to 255 characters are intact, so R1 passes.
"""

from __future__ import annotations

from clean_store import CleanListStore

MAX_LENGTH = 255


class TruncatesLongValuesStore(CleanListStore):
    def _stored_form(self, record):
        record = super()._stored_form(record)
        # Defect: silent truncation instead of storing or rejecting the value.
        return {
            name: value[:MAX_LENGTH] if isinstance(value, str) else value
            for name, value in record.items()
        }
