"""Defect: new ids are the largest stored id plus one, so a deleted id comes back.

Rule S4-NOREUSE (SHOULD) must catch it: after the record with the largest id
is deleted, the next insert gets that id, and an application still holding
it reaches another user's token. Ids stay unique among stored records, so
S4 passes.
"""

from __future__ import annotations

from clean_store import CleanListStore, decimal_value


class MaxPlusOneStore(CleanListStore):
    def _new_id(self):
        # Defect: the counter is recomputed from the stored records only.
        values = [decimal_value(record["id"]) for record in self._records]
        return str(max((value for value in values if value is not None), default=0) + 1)
