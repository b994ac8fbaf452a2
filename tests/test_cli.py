"""The CLI's error contract: user errors are one line and exit 2; internal failures exit 1 with a log."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from divergan import cli
from divergan.errors import UserError


def _fake_command(monkeypatch, func):
    def build():
        parser = cli.ArgumentParser(prog="divergan")
        sub = parser.add_subparsers(dest="command", parser_class=cli.ArgumentParser)
        boom = sub.add_parser("boom")
        boom.set_defaults(func=func)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)


def test_internal_failure_exits_1_with_the_path_of_a_full_log(monkeypatch, capsys):
    def crash(args: argparse.Namespace) -> int:
        raise RuntimeError("something internal broke")

    _fake_command(monkeypatch, crash)
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "internal error: RuntimeError: something internal broke" in err
    log = Path(err.split("full log: ")[1].rstrip(")"))
    try:
        text = log.read_text()
        assert "Traceback" in text and "something internal broke" in text
    finally:
        log.unlink()


def test_user_error_is_one_line_exit_2(monkeypatch, capsys):
    def refuse(args: argparse.Namespace) -> int:
        raise UserError("that number is bad")

    _fake_command(monkeypatch, refuse)
    assert cli.main(["boom"]) == 2
    assert capsys.readouterr().err == "error: that number is bad\n"


def test_unknown_flag_and_help(capsys):
    assert cli.main(["divergences", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--bogus" in err and len(err.strip().splitlines()) == 1
    assert cli.main([]) == 0
    assert "divergence" in capsys.readouterr().out


def test_python_dash_m_and_version():
    proc = subprocess.run(
        [sys.executable, "-m", "divergan", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and proc.stdout.startswith("divergan ")
