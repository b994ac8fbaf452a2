"""``divergan divergences`` (the table) and ``divergan divergence NAME --p SPEC --q SPEC``."""

from __future__ import annotations

import argparse
import json

IPM_FORMULAS = {
    "wasserstein-1": "inf over couplings E|x - y|  = sup_{|f|_L<=1} E_P f - E_Q f  (GAN analysis slides, eqs. 8-9)",
    "wasserstein-2": "(inf over couplings E|x - y|^2)^(1/2)",
    "sliced-wasserstein": "E over directions θ of W_p(θ·P, θ·Q)",
    "mmd": "sup_{|f|_H<=1} E_P f - E_Q f = |E k(x,.) - E k(y,.)|_H  (GAN analysis slides, eqs. 13, 18)",
    "energy": "2E|X - Y| - E|X - X'| - E|Y - Y'|",
    "kolmogorov": "sup_x |F_P(x) - F_Q(x)|  (1-D samples)",
    "tv-hist": "½ Σ |p_hist - q_hist| on common bins  (1-D samples)",
    "nn-divergence": "sup over small sigmoid MLPs D of E_P D - E_Q D  (Zhang lecture notes, d_NN)",
}


def register(sub: argparse._SubParsersAction) -> None:
    listing = sub.add_parser("divergences", help="list every divergence with its f, f* and g_f")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(func=run_list)

    one = sub.add_parser(
        "divergence",
        help="compute D(P||Q) exactly, or estimate it from samples",
        description="Compute D(P||Q). SPEC is normal:MU,SIGMA (';' between coordinates), "
        "discrete:P1,P2,... or a .npy/.csv file of samples (n, d), which makes the value an estimate.",
    )
    one.add_argument("name", metavar="NAME", help="a name from 'divergan divergences'")
    one.add_argument("--p", required=True, metavar="SPEC", help="the first argument P")
    one.add_argument("--q", required=True, metavar="SPEC", help="the second argument Q")
    one.add_argument("--pi", type=float, default=None, help="π in (0, 1) for js-pi")
    one.add_argument("--alpha", type=float, default=None, help="α (not 0 or 1) for alpha")
    one.add_argument("--samples", type=int, default=2000, help="samples drawn from a known law when needed")
    one.add_argument("--seed", type=int, default=0, help="seed for sampling and critic training")
    one.add_argument("--json", action="store_true", help="print one JSON object")
    one.set_defaults(func=run_one)


def run_list(args: argparse.Namespace) -> int:
    # the rows without torch (commands/catalog.py builds them from the registries; a test keeps them equal)
    from divergan.commands._catalog_data import DIVERGENCES as rows

    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(
        "f-divergences  D_f(P||Q) = ∫ q f(p/q)   (GAN analysis slides, eq. 3; f-GAN critic T = g_f(V), eq. 7)"
    )
    for r in rows:
        if r["kind"] != "f-divergence":
            continue
        extra = f"   [{r['parameter']}]" if r["parameter"] else ""
        print(f"  {r['name']:<18} {r['description']}{extra}")
        print(f"  {'':<18}   f(u) = {r['f']}")
        print(f"  {'':<18}   f*(t) = {r['f*']}")
        print(f"  {'':<18}   g_f(v) = {r['g_f']}")
    print("\nintegral probability metrics and distances  (GAN analysis slides, eq. 18)")
    for r in rows:
        if r["kind"] != "f-divergence":
            print(f"  {r['name']:<18} {r['formula']}")
    return 0


def run_one(args: argparse.Namespace) -> int:
    from divergan.measure import as_json, format_value, load_source, measure

    p, q = load_source(args.p), load_source(args.q)
    est = measure(args.name, p, q, pi=args.pi, alpha=args.alpha, samples=args.samples, seed=args.seed)
    if args.json:
        # JSON has no infinity; Python's json writes the conventional token Infinity (JavaScript's)
        print(json.dumps(as_json(args.name, est, {"pi": args.pi, "alpha": args.alpha})))
        return 0
    line = f"{args.name}(P||Q) = {format_value(est.value)}"
    if est.ci is not None:
        line += f"   95% CI [{format_value(est.ci[0])}, {format_value(est.ci[1])}]"
    print(line)
    print(f"method: {est.method}")
    return 0
