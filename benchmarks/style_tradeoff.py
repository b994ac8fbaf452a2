"""Clean digits against FD: where the style-mnist recipes lie, read over ten draws (a figure; trains nothing).

    .venv/bin/python benchmarks/style_tradeoff.py [--recipes N E1000 L10k E2000R L10kR] [--figure NAME]

Reads benchmarks/results/fd_draws.json (written by ``fd_draws.py``): for every row labelled
``style, NAME …, seed S`` with NAME among ``--recipes``, the FD and the share of samples the digit
classifier is unsure of, each as mean ± SD over the draws. Plots one point per run (x: unsure share,
y: FD), the real digits' own point (2,000 of the other training digits, read the same way), and the FD
bound of the issue read like for like: 1.5 × the DCGAN ``mnist-unconditional`` row's ten-draw FD (taken
from the same file, not typed in). Writes docs/applications/NAME.png (default ``style-tradeoff``) and
prints the points.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from _doc import ROOT, user_errors
from fd_draws import RESULTS

RECIPES = ("N", "E1000", "L10k", "E2000R", "L10kR")
_LABEL = re.compile(r"^style, (?P<name>[A-Za-z0-9]+)[ ,(].*?\bseed (?P<seed>\d+)\b")


def points(rows: dict, recipes: tuple[str, ...]) -> list[dict]:
    """One point per row ``style, NAME …, seed S`` with NAME in ``recipes``, in the order of ``recipes``."""
    found = []
    for label, row in rows.items():
        m = _LABEL.match(label)
        if m and m["name"] in recipes:
            found.append(
                {
                    "recipe": m["name"],
                    "seed": int(m["seed"]),
                    "fd": row["fd"]["mean"],
                    "fd_sd": row["fd"]["sd"],
                    "unsure": row["unsure"]["mean"],
                    "unsure_sd": row["unsure"]["sd"],
                }
            )
    return sorted(found, key=lambda p: (recipes.index(p["recipe"]), p["seed"]))


def fd_bound(rows: dict) -> float:
    """1.5 × the ten-draw FD of the DCGAN mnist-unconditional row (the issue's bound, like for like)."""
    from divergan.errors import UserError

    dcgan = [row for label, row in rows.items() if label.startswith("DCGAN mnist-unconditional")]
    if not dcgan:
        raise UserError(
            f"{RESULTS} has no DCGAN mnist-unconditional row: run fd_draws.py on that preset first"
        )
    return 1.5 * dcgan[0]["fd"]["mean"]


def plot(found: list[dict], real: dict, bound: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    colours = dict(zip(dict.fromkeys(p["recipe"] for p in found), plt.get_cmap("tab10").colors, strict=False))
    for p in found:
        ax.errorbar(
            100 * p["unsure"],
            p["fd"],
            xerr=100 * p["unsure_sd"],
            yerr=p["fd_sd"],
            fmt="o" if p["seed"] == 0 else "s",
            color=colours[p["recipe"]],
            capsize=2,
            label=p["recipe"] if p["seed"] == 0 else None,
        )
        ax.annotate(f"{p['recipe']} s{p['seed']}", (100 * p["unsure"], p["fd"]), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")  # fmt: skip
    ax.errorbar(
        100 * real["unsure"]["mean"],
        real["fd"]["mean"],
        xerr=100 * real["unsure"]["sd"],
        yerr=real["fd"]["sd"],
        fmt="kx",
        capsize=2,
        label="real digits",
    )
    ax.axhline(bound, color="grey", ls="--", lw=1)
    ax.annotate(f"FD bound {bound:.3f} (1.5 × the DCGAN's)", (ax.get_xlim()[1], bound), fontsize=7,
                xytext=(-4, -10), textcoords="offset points", color="grey", ha="right")  # fmt: skip
    ax.set_xlabel("samples the digit classifier is unsure of (%), mean ± SD over the draws")
    ax.set_ylabel("FD to training digits, mean ± SD over the draws")
    ax.set_title("style-mnist recipes: cleaner digits cost FD (circles seed 0, squares seed 1)", fontsize=9)
    ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1, 0.9))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipes", nargs="+", default=list(RECIPES), help="the NAMEs of the rows to plot")
    ap.add_argument("--figure", default="style-tradeoff", help="docs/applications/NAME.png")
    args = ap.parse_args()
    with user_errors():
        from divergan.errors import UserError

        if not RESULTS.is_file():
            raise UserError(f"{RESULTS} does not exist: run fd_draws.py first")
        data = json.loads(RESULTS.read_text())
        found = points(data["runs"], tuple(args.recipes))
        missing = sorted(set(args.recipes) - {p["recipe"] for p in found})
        if missing:
            raise UserError(
                f"no row labelled 'style, NAME …, seed S' in {RESULTS.name} for: {', '.join(missing)}"
            )
        bound = fd_bound(data["runs"])
        plot(found, data["real"], bound, ROOT / "docs" / "applications" / f"{args.figure}.png")
    for p in found:
        print(
            f"{p['recipe']:>7} seed {p['seed']}: FD {p['fd']:.3f} ± {p['fd_sd']:.3f}, unsure {100 * p['unsure']:.1f} %"
        )
    print(f"FD bound {bound:.3f}; real digits FD {data['real']['fd']['mean']:.3f}, unsure "
          f"{100 * data['real']['unsure']['mean']:.1f} %")  # fmt: skip


if __name__ == "__main__":
    main()
