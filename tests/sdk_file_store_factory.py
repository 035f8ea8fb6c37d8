"""Factory that certifies the SDK's own ``FileStore`` (zohocrmsdk8-0) with the kit.

``pytest --store=sdk_file_store_factory:file_store`` builds each store on the
location directory that the kit passes as ``tmp_path``, which also declares
the store persistent.
"""

from __future__ import annotations

from pathlib import Path

from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore


def file_store(tmp_path: Path) -> FileStore:
    """Return a ``FileStore`` on ``tmp_path / "tokens.csv"``, creating the CSV file if absent."""
    return FileStore(str(tmp_path / "tokens.csv"))
