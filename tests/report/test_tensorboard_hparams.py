"""TensorBoard gets the configuration as text and, once the run has finished, hparams whose metrics are
the final metrics; read back with TensorBoard's own EventAccumulator and hparams plugin protos."""

from __future__ import annotations

import json

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from divergan.report.tensorboard import config_text, flat, write_hparams


def accumulator(folder):
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def hparams_of(acc) -> tuple[dict, list[str]]:
    """(hparams of the session-start summary, metric tags of the experiment summary)."""
    content = acc.PluginTagToContent("hparams")
    params, metric_tags = {}, []
    for raw in content.values():
        data = plugin_data_pb2.HParamsPluginData.FromString(raw)
        if data.HasField("session_start_info"):
            for key, value in data.session_start_info.hparams.items():
                params[key] = value.WhichOneof("kind"), getattr(value, value.WhichOneof("kind"))
        if data.HasField("experiment"):
            metric_tags = [m.name.tag for m in data.experiment.metric_infos]
    return params, metric_tags


def test_the_run_writes_its_config_as_text_and_its_final_metrics_as_hparams(finished_run):
    run, final = finished_run
    config = json.loads((run / "config.json").read_text())
    acc = accumulator(run / "tb")
    [text] = acc.Tensors("config/text_summary")
    shown = text.tensor_proto.string_val[0].decode()
    assert json.loads("\n".join(line[4:] for line in shown.splitlines())) == json.loads(
        json.dumps(config, default=str)
    )
    params, metric_tags = hparams_of(acc)
    assert params["objective"] == ("string_value", config["objective"])
    assert params["steps"] == ("number_value", float(config["steps"]))
    assert params["lr_d"] == ("number_value", pytest.approx(config["lr_d"]))
    want = {f"final/{k}": v for k, v in flat(final, sep="/").items() if isinstance(v, int | float)}
    assert "final/direct/modes" in want and set(metric_tags) == set(want)
    for tag in ("final/direct/modes", "final/direct/w1"):
        [event] = acc.Scalars(tag)
        assert event.step == config["steps"] and event.value == pytest.approx(want[tag], rel=1e-6)


def test_hparams_turn_other_values_into_text_and_skip_non_finite_metrics(tmp_path):
    write_hparams(
        tmp_path,
        {"steps": 7, "a": {"b": [1, 2]}, "c": None, "d": True},
        {"x": 1.5, "y": float("inf"), "z": "s"},
    )
    acc = accumulator(tmp_path / "tb")
    params, metric_tags = hparams_of(acc)
    assert params == {
        "steps": ("number_value", 7.0),
        "a.b": ("string_value", "[1, 2]"),
        "c": ("string_value", "null"),
        "d": ("number_value", 1.0),  # torch writes a bool as a number
    }
    assert metric_tags == ["final/x"]
    assert [(e.step, e.value) for e in acc.Scalars("final/x")] == [(7, 1.5)]


def test_config_text_is_an_indented_json_block():
    assert config_text({"b": 1, "a": [1]}) == '    {\n      "a": [\n        1\n      ],\n      "b": 1\n    }'
