"""An output folder that always holds one complete run: written beside it, swapped in whole at the end.

Each file is written atomically, but a folder of files is not: a killed or concurrent run could leave the summary
and map of one run beside the candidate lists of another. So a run writes into a fresh staging folder beside the
output folder and, once every file is written, exchanges the two in one step (Linux ``renameat2`` with
``RENAME_EXCHANGE``; elsewhere two renames, repaired on the next start if a crash falls between them)::

    out/hedong                         what readers see: the previous complete run, then the new one
    out/.hedong.staging-<pid>-<hex>    the new run while it is written (removed if it fails)
    out/.hedong.lock                   held (flock) while a run writes; a second run is refused

Leftovers of killed runs (staging folders, temporary files) are removed when the next run starts. A folder is
replaced only when it is empty or holds siteplan outputs (``summary.json`` or ``coverage.json``): never a folder
of someone's other files.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError

try:  # POSIX; elsewhere runs are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["check_replaceable", "clean_leftovers", "lock_output", "output_folder"]

#: Files that mark a folder as siteplan's outputs, so a run may replace it.
_OURS = ("summary.json", "coverage.json")
#: Temporary files of :func:`siteplan.io.writers.atomic_path` (and GDAL's sidecars of them).
_TEMP_FILE = re.compile(r"^\..+\.tmp(\.[\w-]+)?$")


def _target(out: str | Path) -> Path:
    """The output folder as an absolute path; a symbolic link is followed, so its target is what gets replaced."""
    p = Path(os.path.abspath(out))
    return Path(os.path.realpath(p)) if p.is_symlink() else p


@contextlib.contextmanager
def lock_output(out: str | Path) -> Iterator[Path]:
    """Hold the output folder's lock; raise :class:`OutputError` if another siteplan process holds it."""
    out = _target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.parent / f".{out.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
                raise OutputError(
                    f"{out}: another siteplan run (pid {holder}) is writing into this output folder; wait for it "
                    "to finish, or choose another --out"
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield out
    finally:
        os.close(fd)  # releases the flock; the file stays (removing it would race with a waiting opener)


def clean_leftovers(out: str | Path) -> list[Path]:
    """Remove what killed runs left of ``out``: staging and old folders beside it, temporary files inside it.

    If a crash fell between the two renames of the fallback swap (no output folder, an old one beside it), the old
    one is put back first. Call it holding :func:`lock_output`. Returns what was removed.
    """
    out = _target(out)
    removed = []
    olds = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not out.exists():
        os.rename(olds.pop(), out)
    for p in [*out.parent.glob(f".{out.name}.staging-*"), *olds]:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    if out.is_dir():
        for p in out.iterdir():
            if _TEMP_FILE.match(p.name) and p.is_file():
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def check_replaceable(out: Path, ours: tuple[str, ...] = _OURS) -> None:
    """Raise :class:`OutputError` unless ``out`` is absent, empty, or holds one of ``ours`` (siteplan's marks)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(f"{out}: is a file, not an output folder; choose another --out")
    names = sorted(p.name for p in out.iterdir())
    if names and not any(n in names for n in ours):
        raise OutputError(
            f"{out}: holds files siteplan did not write (e.g. {names[0]!r}), which a run would replace; "
            "choose a new or empty folder with --out"
        )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, out: Path) -> None:
    """Make ``staging`` the output folder; the previous one is removed."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now the previous run
        return
    old = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def output_folder(out: str | Path) -> Iterator[Path]:
    """Yield a fresh staging folder beside ``out``; on success it replaces ``out`` whole, on error it is removed.

    Raises
    ------
    OutputError
        When another run holds ``out``, or ``out`` holds files siteplan did not write.
    """
    with lock_output(out) as target:
        clean_leftovers(target)
        check_replaceable(target)
        staging = target.parent / f".{target.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()
        try:
            if target.exists():  # keep the folder's permissions (a shared folder stays readable)
                os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
            yield staging
            try:
                _swap_in(staging, target)
            except OSError as e:
                raise OutputError(f"{target}: cannot put the new outputs in place ({e.strerror}); "
                                  "the previous outputs are left whole") from None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
