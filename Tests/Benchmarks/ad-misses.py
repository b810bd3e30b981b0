#!/usr/bin/env python3
"""Every paid ad `spoor evaluate` did not match to its right transaction, one row each, with its likely cause.

usage: ad-misses.py --result result-change.json --chains CHAIN_DIR...   (corpus.sh with WORK=dir keeps the results)

Reads `ads.misses` of the evaluate output and, for the cause column only, the chains' truth (block time of the
payment, its kind) — this is a benchmark script, like evaluate itself the only readers of truth/. The causes are
the table of Heuristics/README.md ("Why paid ads are missed"), which also reads each ad's own output: this
column is a first sort from the report's reason (an ad whose own output missed the price but whose transaction
paid another ad reads as competing); a row the rules below do not recognise says so.
"""
import argparse, csv, gzip, json, os

def load(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            return (gzip.open if p.endswith(".gz") else open)(p, "rt").read()
    raise SystemExit(f"{path}: not found")

def cause(m, late_minutes):
    r = m["reason"]
    if m["status"] == "matched": return "matched to another transaction (wrong)"
    if late_minutes is not None and late_minutes > 120 and not m.get("payment_among_candidates"):
        return f"paid {late_minutes:.0f} min after posting (window 120)"
    if "more ads than payments" in r: return "ads of the same price compete for fewer payments (an unpaid ad among them)"
    if "too close" in r: return "payments too close in time for posting order"
    if m["candidates"] == 0: return "no candidate: price off (stale USD rate) or the site address unknown (never spent)"
    if "matched to other ads" in r: return "its payment is a candidate only of another ad's price, or taken by one"
    return "other: " + r[:80]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--result", required=True)
    ap.add_argument("--chains", nargs="+", required=True)
    a = ap.parse_args()
    dirs = {os.path.basename(c.rstrip("/")): c for c in a.chains}
    r = json.load(open(a.result))
    print("| chain | ad | status | truth: payment kind | custodial | block − posted (min) | right tx among candidates | cause |")
    print("|---|---|---|---|---|---|---|---|")
    for c in r["chains"]:
        d = dirs[c["chain"]]
        txs = json.loads(load(f"{d}/truth/transactions.json"))
        posted = {row["ad_id"]: int(row["posted_at"]) for row in csv.DictReader(load(f"{d}/truth/ads.csv").splitlines())}
        for m in (c.get("ads") or {}).get("misses", []):
            t = txs.get(m["payment_txid"], {})
            late = (t["block_time"] - posted[m["ad_id"]]) / 60 if "block_time" in t else None
            print(f"| {c['chain']} | {m['ad_id']} | {m['status']} | {m.get('payment_kind') or '—'} | "
                  f"{'yes' if m['custodial'] else 'no'} | {'—' if late is None else f'{late:.0f}'} | "
                  f"{'yes' if m['payment_among_candidates'] else 'no'} | {cause(m, late)} |")

if __name__ == "__main__":
    main()
