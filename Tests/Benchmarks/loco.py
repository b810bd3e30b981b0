#!/usr/bin/env python3
"""Leave-one-chain-out tables from `spoor evaluate --json` results (Heuristics/README.md, "How choices are made").

Structural (yes/no) choice: for each held-out chain, ship the candidate when on the other chains it is no worse
than the baseline on any listed figure of any profile and better on at least one; print the held-out chain's
figures under the pick.
  loco.py structural --figures NAME:higher,NAME:lower... --baseline A1.json A2.json --candidate B1.json B2.json
  (the k-th baseline file and the k-th candidate file are the same profile)

Grid choice: every candidate value has one result file per profile; a criterion module picks on the training
chains.
  loco.py grid --criterion precision-then-recall --candidates VALUE=FILE ...
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
    wanted = [tuple(x.split(":")) for x in a.figures.split(",")]
    pairs = [(figures(b), figures(c)) for b, c in zip(a.baseline, a.candidate)]
    chains = sorted(pairs[0][0][2])
    def compare(chain):
        worse, better = [], []
        for (prof, base, _), (_, cand, _) in pairs:
            for name, direction in wanted:
                x, y = value(base, name, chain), value(cand, name, chain)
                if x is None or y is None or abs(x - y) < 1e-12: continue
                good = (y > x) if direction == "higher" else (y < x)
                (better if good else worse).append(f"{prof} {name} {x:.4g}→{y:.4g}")
        return worse, better
    verdicts = {c: compare(c) for c in chains}
    print("| held out | training chains: worse / better | pick | held-out chain under the pick |")
    print("|---|---|---|---|")
    for h in chains:
        train = [c for c in chains if c != h]
        worse = [w for c in train for w in verdicts[c][0]]
        better = [b for c in train for b in verdicts[c][1]]
        ship = not worse and bool(better)
        held = []
        for (prof, base, _), (_, cand, _) in pairs:
            figs = cand if ship else base
            held.append(prof + " " + ", ".join(f"{n.split('.')[-1]} {value(figs, n, h):.4g}" for n, _ in wanted
                                               if value(figs, n, h) is not None))
        print(f"| {h} | {len(worse)} / {len(better)} | {'candidate' if ship else 'baseline'} | {'; '.join(held)} |")
    print()
    for c in chains:
        w, b = verdicts[c]
        print(f"{c}: worse: {', '.join(w) or 'none'}; better: {', '.join(b) or 'none'}")

def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("structural")
    s.add_argument("--figures", required=True)
    s.add_argument("--baseline", nargs="+", required=True)
    s.add_argument("--candidate", nargs="+", required=True)
    a = ap.parse_args()
    if a.mode == "structural": structural(a)

if __name__ == "__main__":
    sys.exit(main())
