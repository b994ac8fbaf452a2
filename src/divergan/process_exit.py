"""Ending a finished ``divergan train`` process without Python's interpreter teardown.

When a Python process exits normally, the interpreter tears down every module it loaded and the
libraries' C++ static objects are destroyed. After a training run that is torch, ``torch._dynamo``,
POT with scikit-learn and scipy, matplotlib and TensorBoard: measured on the 2-core machine at load 9,
a process that only imports those spends 3.5 s more on a normal exit than on ``os._exit`` (13.7–14.2 s
against 10.6–10.7 s, 3 alternated pairs; docs/benchmarks.md), time in which nothing is written.

:func:`exit_now` ends the process at once, but only after everything a normal exit does that can matter
to a user: Python's ``atexit`` handlers run (in their usual order), logging handlers are flushed and
closed, and stdout and stderr are flushed. What it skips is the freeing of memory and the tearing down
of modules, which the operating system does anyway. Every file of a run is closed (and its checkpoints
fsynced) before the command returns, so a run folder is the same either way.

:func:`wanted` says when the command line may use it: ``divergan train`` run from a shell (``argv`` not
given to :func:`divergan.cli.main`), with no tracer or profiler attached (coverage, ``cProfile``, a
debugger: they write their results at the normal exit), and not switched off by
``DIVERGAN_FAST_EXIT=0``.
"""

from __future__ import annotations

import atexit
import os
import sys

#: the commands that end this way (long runs that load the heavy libraries)
COMMANDS = frozenset({"train"})


def wanted(
    command: str | None,
    argv_given: bool,
    environ: dict[str, str] | None = None,
    traced: bool | None = None,
) -> bool:
    """Whether the command line ends with :func:`exit_now` (see the module docstring).

    ``traced``: whether a tracer or profiler is attached (default: ``sys.gettrace()`` or
    ``sys.getprofile()`` is set).

    >>> wanted("train", argv_given=False, environ={}, traced=False)
    True
    >>> wanted("train", argv_given=True, environ={}, traced=False)  # called as a library function (tests)
    False
    >>> wanted("train", argv_given=False, environ={}, traced=True)  # coverage, cProfile, a debugger
    False
    >>> wanted("objectives", argv_given=False, environ={}, traced=False)
    False
    >>> wanted("train", argv_given=False, environ={"DIVERGAN_FAST_EXIT": "0"}, traced=False)
    False
    """
    env = os.environ if environ is None else environ
    if env.get("DIVERGAN_FAST_EXIT", "").strip().lower() in ("0", "off", "false", "no"):
        return False
    if traced is None:
        traced = sys.gettrace() is not None or sys.getprofile() is not None
    return command in COMMANDS and not argv_given and not traced


def exit_now(status: int) -> None:
    """Run the ``atexit`` handlers, flush logging, stdout and stderr, then end the process with ``status``."""
    atexit._run_exitfuncs()  # what a normal exit runs first (logging.shutdown is one of them)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(status)
