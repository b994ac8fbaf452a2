"""Ending ``divergan train`` without the interpreter's teardown (divergan/process_exit.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from divergan.process_exit import wanted

SCRIPT = textwrap.dedent(
    """
    import atexit, logging, sys
    from pathlib import Path
    out = Path(sys.argv[1])
    atexit.register(lambda: (out / "atexit.txt").write_text("ran"))
    handler = logging.FileHandler(out / "log.txt", delay=False)
    logging.getLogger("t").addHandler(handler)
    logging.getLogger("t").warning("logged")
    sys.stdout.write("no newline, still buffered")  # a pipe: block-buffered until a flush
    sys.stderr.write("to stderr")
    {end}
    """
)


def run_script(tmp_path, end: str) -> subprocess.CompletedProcess:
    code = SCRIPT.format(end=end)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env
    )


def test_exit_now_keeps_the_status_atexit_handlers_logging_and_buffered_output(tmp_path):
    proc = run_script(tmp_path, "from divergan.process_exit import exit_now; exit_now(3)")
    assert proc.returncode == 3
    assert proc.stdout == "no newline, still buffered" and proc.stderr == "to stderr"
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "log.txt").read_text() == "logged\n"


def test_a_bare_os_exit_loses_them(tmp_path):
    """Negative control: the same script ended by os._exit alone loses the buffered output and the
    atexit handler's file, which is what exit_now's flushing and handlers are for."""
    proc = run_script(tmp_path, "import os; os._exit(3)")
    assert proc.returncode == 3
    assert proc.stdout == "" and not (tmp_path / "atexit.txt").exists()


def test_only_train_from_a_shell_without_tracer_or_opt_out():
    assert wanted("train", argv_given=False, environ={}, traced=False)
    assert not wanted("train", argv_given=True, environ={}, traced=False)
    assert not wanted("train", argv_given=False, environ={}, traced=True)
    assert not wanted("sweep", argv_given=False, environ={}, traced=False)
    for off in ("0", "off", "false", "no"):
        assert not wanted("train", argv_given=False, environ={"DIVERGAN_FAST_EXIT": off}, traced=False)


def test_a_user_error_ends_the_usual_way(monkeypatch):
    import divergan.cli as cli

    seen = []
    monkeypatch.setattr(cli, "wanted", lambda command, argv_given: (seen.append(command), True)[1])
    monkeypatch.setattr(cli, "exit_now", lambda status: seen.append(status))
    # the user error path returns before the command's end: no early exit there
    assert cli.main(["train", "--steps", "-1"]) == 2 and seen == []


@pytest.mark.slow
def test_a_shell_run_ends_early_with_its_folder_and_output_complete(tmp_path):
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "DIVERGAN_FAST_EXIT"}
    cmd = [sys.executable, "-m", "divergan", "train", "--preset", "wgan-gp-toy", "--steps", "1", "--quiet"]
    cmd += ["--out", str(run), "--set", "threads=1", "--set", "eval_samples=200", "--set", "g_width=32"]
    cmd += ["--set", "d_width=32"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"run: {run}") and "files:" in proc.stdout
    final = json.loads((run / "final_metrics.json").read_text())
    assert final["steps"] == 1
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 1
    for name in ("samples.png", "curves.png"):
        assert (run / name).stat().st_size > 0
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["step-00000001.safetensors"]
    assert sum(1 for p in (run / "tb").iterdir() if p.name.endswith(".hparams")) == 1
