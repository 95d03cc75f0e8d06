"""Content-addressed blob storage under the data folder.

A blob's name is its SHA-256, so storing the same bytes twice costs nothing, and a
stored blob is never overwritten: writes go to a temporary file that is renamed into place
only once complete, so a failed or interrupted upload cannot damage what is stored.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from safeharbor.errors import InvalidInput

CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_stream(self, chunks: Iterable[bytes], max_bytes: int) -> tuple[str, int, Path]:
        """Store the bytes; returns (sha256, size, path). Refuses empty and oversized input."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise InvalidInput(
                            f"file is larger than the {max_bytes // (1024 * 1024)} MiB limit"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise InvalidInput("file is empty (0 bytes)")
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.is_file():
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            return sha, size, final
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_file(self, path: Path, max_bytes: int) -> tuple[str, int, Path]:
        with path.open("rb") as fh:
            return self.put_stream(iter(lambda: fh.read(CHUNK), b""), max_bytes)

    def put_bytes(self, data: bytes, max_bytes: int) -> tuple[str, int, Path]:
        return self.put_stream([data], max_bytes)
