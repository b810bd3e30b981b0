#!/usr/bin/env python3
"""Leave-one-chain-out tables from `spoor evaluate --json` results (Heuristics/README.md, "How choices are made").

Structural (yes/no) choice: for each held-out chain, ship the candidate when on the other chains it is no worse
than the baseline on any listed figure of any profile and better on at least one (`--no-gain-needed`: no worse
is enough); print the held-out chain's figures under the pick. NAME:higher:0.001 lets that figure get worse by
up to 0.001 and still count as not worse.
  loco.py structural --figures NAME:higher,NAME:lower... --baseline A1.json A2.json --candidate B1.json B2.json
  (the k-th baseline file and the k-th candidate file are the same profile)

Grid choice (C3: the collapse guard's `large` × `max_share_percent`): one result file per grid point, named
result-change-L{large}-S{share}.json in DIR; the reference is the `default` profile's result (pure common-input).
Per fold: among grid points where every training chain's precision is at least min(0.995, reference - 0.002),
the largest smallest training recall; ties, the point with the most satisfying neighbours (the plateau's
middle), then the larger values.
  loco.py collapse-grid --dir DIR --reference default.json

Service grid (C4, C4b, C4c: one analysis parameter, both profiles): one folder per grid value, DIR/VALUE, each
holding result-default.json and result-change.json (corpus.sh with EVALUATE_ARGS="--PARAMETER VALUE").
Per fold: among values where no training chain (either profile) has an advertiser or user cluster marked
service, the largest smallest training share of right-matched custodial ads whose payer is marked service;
ties, the value with the most admissible neighbours (the plateau's middle), then the larger value.
  loco.py service-grid --dir DIR --values 3 4 5 6 8 10 inf

Ad-matching grid (C6: --window-after, C7: --tolerance; one analysis parameter, both profiles): folders as for
the service grid, the first value the reference (today's). Per fold: a value is admissible when on every training
chain, for both profiles, the right-transaction share is not below and the wrong share not above the reference's,
and the wrong share is at most 0.005; among those, the largest smallest training right-transaction share with
`change`; ties, the widest run of tied admissible values' middle, then the smaller value. The held-out columns
say whether the held-out chain got worse than under the reference (the shipping rule).
  loco.py ads-grid --dir DIR --values 120 180 240 300 360 480
"""
import argparse, json, sys

def figures(path):
    r = json.load(open(path))
    profile = r["chains"][0]["profile"]["id"] if r["chains"] else path
    return profile, {f["name"]: f for f in r["figures"]}, [c["chain"] for c in r["chains"]]

def value(figs, name, chain):
    f = figs.get(name)
    return None if f is None else f["per_chain"].get(chain)

def structural(a):
    # NAME:higher or NAME:lower, optionally :ALLOWANCE, a change for the worse that still counts as not worse.
    wanted = [(x.split(":") + ["0"])[:3] for x in a.figures.split(",")]
    pairs = [(figures(b), figures(c)) for b, c in zip(a.baseline, a.candidate)]
    chains = sorted(pairs[0][0][2])
    def compare(chain):
        worse, better = [], []
        for (prof, base, _), (_, cand, _) in pairs:
            for name, direction, allowance in wanted:
                x, y = value(base, name, chain), value(cand, name, chain)
                if x is None or y is None or abs(x - y) < 1e-12: continue
                good = (y > x) if direction == "higher" else (y < x)
                if not good and abs(x - y) <= float(allowance) + 1e-12: good = None
                entry = f"{prof} {name} {x:.6g}→{y:.6g}"
                if good is None: entry += f" (within {allowance})"
                (better if good is not False else worse).append(entry)
        return worse, better
    verdicts = {c: compare(c) for c in chains}
    print("| held out | training chains: worse / better | pick | held-out chain under the pick |")
    print("|---|---|---|---|")
    for h in chains:
        train = [c for c in chains if c != h]
        worse = [w for c in train for w in verdicts[c][0]]
        better = [b for c in train for b in verdicts[c][1]]
        ship = not worse and (a.no_gain_needed or bool(better))
        held = []
        for (prof, base, _), (_, cand, _) in pairs:
            figs = cand if ship else base
            held.append(prof + " " + ", ".join(f"{n.split('.')[-1]} {value(figs, n, h):.4g}" for n, _, _ in wanted
                                               if value(figs, n, h) is not None))
        print(f"| {h} | {len(worse)} / {len(better)} | {'candidate' if ship else 'baseline'} | {'; '.join(held)} |")
    print()
    for c in chains:
        w, b = verdicts[c]
        print(f"{c}: worse: {', '.join(w) or 'none'}; better: {', '.join(b) or 'none'}")

LARGE = ["25", "50", "100", "200", "400", "800", "inf"]
SHARE = ["5", "10", "20", "30", "50", "100"]

def collapse_grid(a):
    ref = figures(a.reference)[1]["clustering.precision"]["per_chain"]
    target = {c: min(0.995, v - 0.002) for c, v in ref.items()}
    grid = {}
    for i, l in enumerate(LARGE):
        for j, sh in enumerate(SHARE):
            _, figs, _ = figures(f"{a.dir}/result-change-L{l}-S{sh}.json")
            grid[(i, j)] = (figs["clustering.precision"]["per_chain"], figs["clustering.recall"]["per_chain"])
    chains = sorted(ref)
    def pick(train):
        ok = {k for k, (p, _) in grid.items() if all(p[c] >= target[c] for c in train)}
        if not ok: return None
        best = max(min(grid[k][1][c] for c in train) for k in ok)
        tied = [k for k in ok if abs(min(grid[k][1][c] for c in train) - best) < 1e-12]
        def support(k): return sum((k[0] + di, k[1] + dj) in ok for di in (-1, 0, 1) for dj in (-1, 0, 1))
        return max(tied, key=lambda k: (support(k), k[0], k[1]))
    def name(k): return f"large {LARGE[k[0]]}, share {SHARE[k[1]]} %"
    print("| held out | pick on the other four | their smallest recall | held-out precision (target) | held-out recall |")
    print("|---|---|---|---|---|")
    for h in chains:
        train = [c for c in chains if c != h]
        k = pick(train)
        if k is None:
            print(f"| {h} | none satisfies the precision target | | | |"); continue
        p, r = grid[k]
        flag = "" if p[h] >= target[h] else " **below**"
        print(f"| {h} | {name(k)} | {min(r[c] for c in train):.4f} | {p[h]:.5f} ({target[h]:.4f}){flag} | {r[h]:.4f} |")
    k = pick(chains)
    print()
    print("all five chains:", "none" if k is None else name(k))
    ok = sorted(k for k, (p, _) in grid.items() if all(p[c] >= target[c] for c in chains))
    print("grid points meeting the precision target on all five:", ", ".join(name(x) for x in ok) or "none")

def service_grid(a):
    grid = {}
    for v in a.values:
        per = [figures(f"{a.dir}/{v}/result-{p}.json")[1] for p in ("default", "change")]
        grid[v] = ([f["payers.wallets_marked_service"]["per_chain"] for f in per],
                   [f["payers.custodial_marked_service_share"]["per_chain"] for f in per])
    chains = sorted(grid[a.values[0]][0][0])
    def wallets(v, c): return max(w[c] for w in grid[v][0])
    def share(v, c): return min(s[c] for s in grid[v][1])
    def pick(train):
        ok = [v for v in a.values if all(wallets(v, c) == 0 for c in train)]
        if not ok: return None, []
        best = max(min(share(v, c) for c in train) for v in ok)
        tied = [v for v in ok if abs(min(share(v, c) for c in train) - best) < 1e-12]
        def support(v):
            i = a.values.index(v)
            return sum(a.values[j] in ok for j in (i - 1, i, i + 1) if 0 <= j < len(a.values))
        return max(tied, key=lambda v: (support(v), a.values.index(v))), ok
    print("| held out | admissible on the other four | pick | their smallest custodial share | held-out: wallets marked service, custodial share (default / change) |")
    print("|---|---|---|---|---|")
    for h in chains:
        train = [c for c in chains if c != h]
        v, ok = pick(train)
        if v is None:
            print(f"| {h} | none | | | |"); continue
        ws, ss = grid[v]
        print(f"| {h} | {', '.join(ok)} | {v} | {min(share(v, c) for c in train):.2f} | "
              f"{ws[0][h]:.0f} / {ws[1][h]:.0f}, {ss[0][h]:.2f} / {ss[1][h]:.2f} |")
    v, ok = pick(chains)
    print()
    print("all five chains:", v, "(admissible:", ", ".join(ok) + ")")

def ads_grid(a):
    grid = {}
    for v in a.values:
        per = {p: figures(f"{a.dir}/{v}/result-{p}.json")[1] for p in ("default", "change")}
        grid[v] = {p: (f["ads.right_transaction_share"]["per_chain"], f["ads.wrong_share"]["per_chain"]) for p, f in per.items()}
    ref = a.values[0]
    chains = sorted(grid[ref]["change"][0])
    def no_worse(v, c):
        return all(grid[v][p][0][c] >= grid[ref][p][0][c] - 1e-12 and grid[v][p][1][c] <= grid[ref][p][1][c] + 1e-12
                   for p in ("default", "change"))
    def admissible(v, c): return no_worse(v, c) and all(grid[v][p][1][c] <= 0.005 for p in ("default", "change"))
    def right(v, c): return grid[v]["change"][0][c]
    def pick(train):
        ok = [v for v in a.values if all(admissible(v, c) for c in train)]
        best = max(min(right(v, c) for c in train) for v in ok)
        tied = [v for v in ok if abs(min(right(v, c) for c in train) - best) < 1e-12]
        runs, run = [], []
        for v in a.values:
            if v in tied: run.append(v)
            elif run: runs.append(run); run = []
        if run: runs.append(run)
        widest = max(runs, key=len)  # the first (smaller values) of equally wide runs
        return widest[(len(widest) - 1) // 2], ok
    print("| held out | admissible on the other four | pick | their smallest right tx (change) | held-out right tx, wrong: change; default | held-out worse than at " + ref + " |")
    print("|---|---|---|---|---|---|")
    for h in chains:
        train = [c for c in chains if c != h]
        v, ok = pick(train)
        ch, de = grid[v]["change"], grid[v]["default"]
        print(f"| {h} | {', '.join(ok)} | {v} | {min(right(v, c) for c in train):.3f} | "
              f"{ch[0][h]:.3f}, {ch[1][h]:.3f}; {de[0][h]:.3f}, {de[1][h]:.3f} | {'no' if no_worse(v, h) else '**yes**'} |")
    v, ok = pick(chains)
    print()
    print("all five chains:", v, "(admissible:", ", ".join(ok) + ")")
    print()
    print("| value | " + " | ".join(chains) + " |")
    print("|---|" + "---|" * len(chains))
    for v in a.values:
        print(f"| {v} | " + " | ".join(f"{grid[v]['change'][0][c]:.3f} / {grid[v]['default'][0][c]:.3f}, "
                                        f"{grid[v]['change'][1][c]:.3f}" for c in chains) + " |")

def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("structural")
    s.add_argument("--figures", required=True)
    s.add_argument("--baseline", nargs="+", required=True)
    s.add_argument("--candidate", nargs="+", required=True)
    s.add_argument("--no-gain-needed", action="store_true",
                   help="pick the candidate when no figure is worse, even if none is better (guard.roles' criterion)")
    g = sub.add_parser("collapse-grid")
    g.add_argument("--dir", required=True)
    g.add_argument("--reference", required=True)
    v = sub.add_parser("service-grid")
    v.add_argument("--dir", required=True)
    v.add_argument("--values", nargs="+", required=True)
    d = sub.add_parser("ads-grid")
    d.add_argument("--dir", required=True)
    d.add_argument("--values", nargs="+", required=True)
    a = ap.parse_args()
    if a.mode == "ads-grid": ads_grid(a)
    if a.mode == "service-grid": service_grid(a)
    if a.mode == "structural": structural(a)
    if a.mode == "collapse-grid": collapse_grid(a)

if __name__ == "__main__":
    sys.exit(main())
