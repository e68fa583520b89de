"""Writing the files a command produces: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import StorageError


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename, creating its folder: a crash or a full disk never
    leaves half a file, and a reader sees the old content or the new one. StorageError (exit 4)
    names the path when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise StorageError(f"{path}: cannot write: {e.strerror or e}; check free space and permissions") from e
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as e:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise StorageError(f"{path}: cannot write: {e.strerror or e}; check free space and permissions") from e
        raise
