"""Defect: every save rewrites the token file in place, truncating it first.

Rule C3 must catch it: a process killed during saves leaves a store that
opens and contains every save that had returned. This store empties its file
and then writes the records one line at a time, so a kill between the two
leaves a file that lacks saves which had returned long before. Writing a
temporary file and renaming it over the old one avoids this.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from clean_store import CleanListStore

# Seconds spent per record while writing: it widens the window in which a kill
# finds the file half-written, as a slow disk or a large file would.
WRITE_DELAY_SECONDS = 0.002


class RewritesFileInPlaceStore(CleanListStore):
    tokenstore_features = frozenset({"persistent"})

    def __init__(self, path: str = "tokens.jsonl") -> None:
        super().__init__()
        self._path = Path(path).resolve()
        if self._path.exists():
            for line in self._path.read_text().splitlines():
                record = json.loads(line)
                self._note_id(record["id"])
                self._records.append(record)
        else:
            os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600))

    def save_token(self, token):
        with self._lock:
            super().save_token(token)
            self._write()

    def delete_token(self, id):
        with self._lock:
            super().delete_token(id)
            self._write()

    def delete_tokens(self):
        with self._lock:
            super().delete_tokens()
            self._write()

    def _write(self) -> None:
        # Defect: open(..., "w") truncates the file before the new content is written.
        with open(self._path, "w") as file:
            for record in self._records:
                file.write(json.dumps(record) + "\n")
                file.flush()
                time.sleep(WRITE_DELAY_SECONDS)
