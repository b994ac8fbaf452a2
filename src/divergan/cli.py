"""The ``divergan`` command line: a thin layer over the library.

Every command lives in :mod:`divergan.commands` as a module with ``register(subparsers)`` that adds its
parser and sets ``func`` to a function of the parsed arguments returning an exit status. Errors the user
can cause raise :class:`~divergan.errors.UserError` and end as one line ``error: ...`` with exit 2;
anything else is an internal failure: exit 1, a short message and the path of a full log.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import traceback

from divergan import __version__
from divergan.errors import Interrupted, UserError
from divergan.process_exit import exit_now, wanted
from divergan.threads import configure_openmp

#: command modules under divergan.commands, in the order ``divergan --help`` lists them
COMMANDS: tuple[str, ...] = (
    "train",
    "sweep",
    "tune",
    "sample",
    "translate",
    "evaluate",
    "measure_images",
    "report",
    "objectives",
    "divergences",
    "lab",
)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the project's error contract: one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog.split()[-1]}: {message}" if " " in self.prog else message)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="divergan",
        description="The mathematics of GANs, runnable and measurable.",
    )
    parser.add_argument("--version", action="version", version=f"divergan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name in COMMANDS:
        module = importlib.import_module(f"divergan.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 internal failure, 2 user error)."""
    configure_openmp()  # before torch loads: starts the window in which other processes' CPU use is read
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        status = int(args.func(args) or 0)
        if wanted(args.command, argv_given=argv is not None):  # skip the interpreter's teardown
            exit_now(status)
        return status
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:  # SIGINT/SIGTERM during training: a checkpoint was saved
        print(f"divergan: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an internal failure: keep the traceback in a log, say where
        with tempfile.NamedTemporaryFile("w", prefix="divergan-crash-", suffix=".log", delete=False) as log:
            traceback.print_exc(file=log)
        print(
            f"divergan: internal error: {type(exc).__name__}: {exc} (full log: {log.name})", file=sys.stderr
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
