"""The stand-alone verifier: one file, built from the ``voting`` package, served by the app.

``python3 grantpanel-verify.pyz verify record.json`` runs ``python -m voting verify`` from a
single Python zip application, so anyone can check a published record without installing a
package from a registry (where a look-alike could be published under our name).  The outcome
page shows the file's SHA-256 next to the download link, so a copy from anywhere else can be
checked against it.

The build is deterministic: the same ``voting`` source always gives the same bytes.  Every
file of the package except ``__pycache__`` and ``.pyc`` files goes in, in sorted path order,
stored (not compressed: compression output can differ between zlib builds), with the fixed
timestamp 1980-01-01 00:00:00 and permissions ``0644``, after a ``#!/usr/bin/env python3``
line.  The archive's ``__main__.py`` checks for Python 3.11+ and numpy with a plain message,
then calls :func:`voting.cli.main`.  :func:`verifier_bytes` builds it once per process.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from pathlib import Path

import voting

FILENAME = "grantpanel-verify.pyz"
SHEBANG = b"#!/usr/bin/env python3\n"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MAIN = '''"""grantpanel-verify: check a published decision record (see voting.cli)."""
import sys

if sys.version_info < (3, 11):
    sys.exit("This verifier needs Python 3.11 or later; this is Python "
             + sys.version.split()[0] + ".")
try:
    import numpy  # noqa: F401
except ImportError:
    sys.exit("This verifier needs numpy. Install it with: python3 -m pip install numpy")

from voting.cli import main

sys.exit(main())
'''


def _package_files() -> list[tuple[str, bytes]]:
    """(archive path, contents) for every file of the ``voting`` package, sorted by path."""
    root = Path(voting.__file__).resolve().parent
    files = []
    for path in root.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        files.append((f"voting/{path.relative_to(root).as_posix()}", path.read_bytes()))
    return sorted(files)


def build_verifier() -> bytes:
    """The bytes of the verifier zip application (deterministic; see the module docstring)."""
    out = io.BytesIO()
    out.write(SHEBANG)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in [("__main__.py", _MAIN.encode("utf-8")), *_package_files()]:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, so the permissions above are read the same way
            zf.writestr(info, data)
    return out.getvalue()


@functools.cache
def verifier_bytes() -> bytes:
    """The verifier, built once per process from the ``voting`` package this app runs."""
    return build_verifier()


@functools.cache
def verifier_digest() -> str:
    """Hex SHA-256 of :func:`verifier_bytes`, as ``sha256sum`` prints it."""
    return hashlib.sha256(verifier_bytes()).hexdigest()
