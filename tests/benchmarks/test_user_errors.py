"""The benchmark scripts end a user's mistake as the CLI does: one ``error:`` line on stderr, exit status 2."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _script(args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(BENCHMARKS.parent / "src"), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, env=env, cwd=tmp_path
    )


@pytest.mark.parametrize(
    "args",
    [
        ["mnist_preset.py", "--blame"],
        ["mnist_preset.py", "--recognise"],
        ["apps_glyphs.py", "glyphs", "--missed"],
        ["apps_style.py", "--run"],
        ["stacked_mnist.py", "--evaluate"],
        ["fd_draws.py", "--label", "a run"],
        ["style_clusters.py"],
        ["style_overfit.py"],
        ["style_info_probe.py"],
    ],
)
def test_a_folder_that_is_not_a_run_is_one_error_line(tmp_path, args):
    proc = _script([BENCHMARKS / args[0], *args[1:], tmp_path], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"error: {tmp_path} is not a divergan run folder (no config.json)"]


def test_an_existing_keep_folder_is_one_error_line(tmp_path):
    (tmp_path / "digits-quick").mkdir()
    proc = _script(
        [BENCHMARKS / "mnist_preset.py", "--presets", "digits-quick", "--keep", tmp_path], tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: {tmp_path / 'digits-quick'} exists; remove it or choose another --keep folder"
    ]


def test_an_existing_style_out_folder_is_one_error_line(tmp_path):
    proc = _script([BENCHMARKS / "apps_style.py", "--out", tmp_path], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: {tmp_path} exists; measure it with --run {tmp_path} or choose --out"
    ]


def test_a_training_the_trainer_refuses_is_its_one_error_line(tmp_path):
    # apps_glyphs.py trains in a child process: the child's one error line, status 2, and no traceback of the parent
    font = tmp_path / "missing.ttf"
    out = tmp_path / "run"
    proc = _script(
        [BENCHMARKS / "apps_glyphs.py", "glyphs-quick", "--set", f"source={font}", "--out", out], tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"error: font file {font} does not exist"]
    assert not out.exists()


@pytest.mark.parametrize("script", ["fd_draws.py", "style_overfit.py"])
def test_the_scripts_of_several_runs_need_a_label_per_run(tmp_path, script):
    """Both take ``--label NAME`` once per run (one convention); two runs and one label is one error line."""
    proc = _script([BENCHMARKS / script, tmp_path, tmp_path, "--label", "one"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == ["error: give one --label per run: 2 runs, 1 labels"]


def test_run_labels_default_to_the_folders_names_only_where_asked(benchmark_script):
    from divergan.errors import UserError

    runs = [Path("runs/a"), Path("runs/b")]
    with benchmark_script("_doc") as doc:
        assert doc.run_labels(runs, [], default_to_names=True) == ["a", "b"]
        assert doc.run_labels(runs, ["x", "y"], default_to_names=True) == ["x", "y"]
        with pytest.raises(UserError, match="2 runs, 0 labels"):  # the control: no default, no labels
            doc.run_labels(runs, [])


def test_a_missing_stacked_checkpoint_is_one_error_line(tmp_path):
    proc = _script([BENCHMARKS / "stacked_mnist.py", "--evaluate", tmp_path, "--step", "7"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"error: {tmp_path} has no checkpoint at step 7"]


def test_a_bug_still_shows_its_traceback():
    # negative control: only UserError becomes one line; a plain ValueError (UserError's base class) is a bug
    # and keeps its traceback, and a UserError inside the block does end the script with status 2
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _doc import user_errors
    finally:
        sys.path.remove(str(BENCHMARKS))
    from divergan.errors import UserError

    with pytest.raises(ValueError, match="a bug") as info, user_errors():
        raise ValueError("a bug")
    assert type(info.value) is ValueError
    with pytest.raises(SystemExit) as info, user_errors():
        raise UserError("a mistake")
    assert info.value.code == 2


def test_an_unknown_style_recipe_is_one_error_line(tmp_path):
    proc = _script(
        [BENCHMARKS / "style_tradeoff.py", "--recipes", "E1000", "NOPE", "--figure", "x"], tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("error: no row labelled") and proc.stderr.rstrip().endswith("for: NOPE")
