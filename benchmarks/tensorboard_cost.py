"""What TensorBoard logging costs a run: whole runs with ``tensorboard`` on and off, alternating.

    python benchmarks/tensorboard_cost.py --preset default --steps 600 --repeats 2

Each pair trains the same configuration twice in this process (on, off, on, off, ...) into temporary
folders and reports the training seconds (``train_seconds`` of final_metrics.json: the loop only, not the
final evaluation) of each. The machine may be shared: compare numbers of one invocation only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from divergan.train import apply_overrides, preset, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    seconds: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            for on in (True, False):
                cfg = apply_overrides(
                    preset(args.preset),
                    [f"steps={args.steps}", "plot=false", "sampler=direct", f"tensorboard={on}", *args.set],
                )
                final = train(cfg, Path(tmp) / f"{i}-{on}", progress=False)
                seconds[on].append(final["train_seconds"])
                print(
                    f"repeat {i} tensorboard={on!s:<5} train_seconds {final['train_seconds']:.2f}", flush=True
                )
    on, off = statistics.median(seconds[True]), statistics.median(seconds[False])
    print(
        f"median: on {on:.2f} s, off {off:.2f} s, overhead {on - off:+.2f} s ({100 * (on - off) / off:+.1f}%)"
    )


if __name__ == "__main__":
    main()
