"""The optional libraries dlcalc drives, imported so that they write nothing to stderr, need no
writable home directory and leave nothing behind.

matplotlib (``--plot``)
    keeps its configuration and font cache in ``$MPLCONFIGDIR``, else ``~/.config/matplotlib``
    and ``~/.cache/matplotlib`` (``$XDG_CONFIG_HOME``, ``$XDG_CACHE_HOME``).  Where these cannot be
    written (``HOME=/dev/null``), matplotlib would warn on stderr and make a temporary directory
    that a SIGTERM leaves behind; :func:`matplotlib` points ``MPLCONFIGDIR`` at a temporary
    directory of dlcalc's own instead (:func:`scratch_directory`), and holds matplotlib's log to
    errors while it is imported (the font cache it builds there announces itself).
onnxruntime (``--export x.onnx``)
    persists a telemetry device ID under ``~/.cache`` as it is imported, and warns on stderr when
    it cannot; :func:`onnxruntime` imports it with ``ORT_DISABLE_TELEMETRY=1`` (unless the variable
    is set already: ``ORT_DISABLE_TELEMETRY=0`` keeps the telemetry), and :func:`inference_session`
    opens sessions that log errors only.

JAX (``dlcalc train``) needs nothing here: it writes nothing to stderr, and its compilation cache
under the user's cache directory is used only where it can be written (:mod:`dlcalc.training`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["matplotlib", "pyplot", "onnxruntime", "inference_session", "scratch_directory"]

#: onnxruntime's session log level: 3 is ERROR (0 verbose, 1 info, 2 warning, 4 fatal).
ORT_ERRORS_ONLY = 3

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

# ----------------------------------------------------------------------------- temporary directories

_scratch: list[str] = []
_previous: dict[int, Any] = {}  # the signal dispositions the scratch handler took over


@contextlib.contextmanager
def _blocked_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back (they are delivered afterwards) while directories are made or removed."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _remove_scratch() -> None:
    while _scratch:
        shutil.rmtree(_scratch.pop(), ignore_errors=True)


def _on_signal(signum: int, frame: Any) -> None:
    """A signal that ends the process removes the scratch directories first (``atexit`` does not run
    then); one with a Python handler of its own (SIGINT: ``KeyboardInterrupt``) goes to it, and the
    directories go at exit."""
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    with _blocked_signals():
        _remove_scratch()
        signal.signal(signum, previous)
    signal.raise_signal(signum)


def _watch_signals() -> None:
    """Install :func:`_on_signal` once, in the main thread, for the signals a Python handler may take
    (an ignored signal, under ``nohup``, stays ignored)."""
    if _previous or threading.current_thread() is not threading.main_thread():
        return
    for s in _SIGNALS:
        old = signal.getsignal(s)
        if old in (signal.SIG_IGN, None):
            continue
        _previous[s] = old
        signal.signal(s, _on_signal)


def scratch_directory(prefix: str = "dlcalc-") -> str:
    """A new temporary directory (in ``$TMPDIR``) that is removed when the process exits, and before
    SIGINT, SIGTERM or SIGHUP end it.  Raises OSError if it cannot be made."""
    _watch_signals()
    with _blocked_signals():  # never a directory made and not yet listed
        path = tempfile.mkdtemp(prefix=prefix)
        if not _scratch:
            atexit.register(_remove_scratch)
        _scratch.append(path)
    return path


# ----------------------------------------------------------------------------- matplotlib


@contextlib.contextmanager
def _log_errors_only(name: str) -> Iterator[None]:
    """The logger ``name`` passes errors only, for the length of the block."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def _usable(path: Path) -> bool:
    """What matplotlib asks of its directories: made if missing, a directory, writable."""
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path.is_dir() and os.access(path, os.W_OK)


def _matplotlib_dirs_usable() -> bool:
    """Whether matplotlib can keep its configuration and cache where it would look for them."""
    try:
        configured = os.environ.get("MPLCONFIGDIR")
        if configured:
            return _usable(Path(configured))
        if sys.platform.startswith(("linux", "freebsd")):
            return all(
                _usable(Path(os.environ.get(variable) or Path.home() / default, "matplotlib"))
                for variable, default in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"))
            )
        if sys.platform == "win32":
            return True  # %LOCALAPPDATA%: matplotlib's own rules (its warnings are held back all the same)
        return _usable(Path.home() / ".matplotlib")
    except (OSError, RuntimeError):  # RuntimeError: no home directory at all
        return False


def matplotlib() -> ModuleType:
    """:mod:`matplotlib`, imported quietly (module docstring).  Raises ImportError without it."""
    if "matplotlib" not in sys.modules:
        if importlib.util.find_spec("matplotlib") is not None and not _matplotlib_dirs_usable():
            with contextlib.suppress(OSError):  # no $TMPDIR either: matplotlib says so itself
                os.environ["MPLCONFIGDIR"] = scratch_directory("dlcalc-matplotlib-")
    with _log_errors_only("matplotlib"):
        return importlib.import_module("matplotlib")


def pyplot() -> ModuleType:
    """:mod:`matplotlib.pyplot` on the Agg backend (files only, no window), imported quietly."""
    mpl = matplotlib()
    with _log_errors_only("matplotlib"):
        mpl.use("Agg")
        return importlib.import_module("matplotlib.pyplot")


# ----------------------------------------------------------------------------- onnxruntime


def onnxruntime() -> ModuleType:
    """:mod:`onnxruntime`, imported without its telemetry (module docstring).  Raises ImportError without it."""
    if "onnxruntime" not in sys.modules:
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    return importlib.import_module("onnxruntime")


def inference_session(model: bytes) -> Any:
    """An onnxruntime session on the CPU for a serialized model, logging errors only."""
    ort = onnxruntime()
    options = ort.SessionOptions()
    options.log_severity_level = ORT_ERRORS_ONLY
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
