#!/usr/bin/env python3
"""The quality table from `spoor evaluate --json` results (one file per profile, each over the same chains).

usage: corpus-table.py --chains CHAIN_DIR... --results PROFILE.json... [--error-rates OUT.json --notes NOTES.json]
                       [--readme README.md]

Prints the corpus hash, then one markdown row per profile and chain, and per profile the worst chain of each
figure. With --error-rates, also writes the file every report cites its profile's error rates from
(Heuristics/error-rates.json): the corpus (chains, hash, today's date) and per profile (id and file hash) every
figure; --notes is a JSON object of profile id → list of notes (what the figures do not show); without it, the
notes already in the output file are kept (edit them there). The corpus hash is SHA-256 over the lines "CHAIN/PATH SHA256" of every file of each chain's blocks/,
case/ and truth/, sorted; a gzip-compressed file counts as its contents under its name without `.gz`, so the
bundled chains (truth gzipped) hash as the shared ones do.
With --readme (and --error-rates), rewrites the README's quality table (between its `<!-- quality-table -->`
markers) from the error-rates file just written: per figure, the worst chain and the mean of `change` and
`default`, so the README's figures are this script's output, never typed in.
"""
import argparse, datetime, gzip, hashlib, json, os, sys

def corpus_hash(chains):
    lines = []
    for chain in sorted(chains, key=os.path.basename):
        for part in ("blocks", "case", "truth"):
            top = os.path.join(chain, part)
            for dirpath, _, files in sorted(os.walk(top)):
                for f in sorted(files):
                    path = os.path.join(dirpath, f)
                    data = open(path, "rb").read()
                    name = os.path.relpath(path, chain)
                    if name.endswith(".gz"):
                        data, name = gzip.decompress(data), name[:-3]
                    lines.append(f"{os.path.basename(chain)}/{name} {hashlib.sha256(data).hexdigest()}\n")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()

COLUMNS = [  # header, figure name in the evaluate output, format
    ("precision", "clustering.precision", "{:.4f}"),
    ("recall", "clustering.recall", "{:.3f}"),
    ("largest cluster share", "clustering.largest_share", "{:.3f}"),
    ("site coverage", "site.coverage", "{:.3f}"),
    ("site: other owners", "site.foreign", "{:.0f}"),
    ("own-wallet advertisers found", "payers.own_wallet_found_share", "{:.2f}"),
    ("custodial ads: payer marked service", "payers.custodial_marked_service_share", "{:.2f}"),
    ("wallets marked service", "payers.wallets_marked_service", "{:.0f}"),
    ("ads: right tx", "ads.right_transaction_share", "{:.3f}"),
    ("right output", "ads.right_output_share", "{:.3f}"),
    ("wrong", "ads.wrong_share", "{:.3f}"),
    ("ambiguous", "ads.ambiguous", "{:.0f}"),
    ("unmatched", "ads.unmatched", "{:.0f}"),
    ("shared-contact pairs found", "shared_contacts.pairs_found_share", "{:.2f}"),
    ("false one-advertiser", "shared_contacts.false_one_advertiser", "{:.0f}"),
    ("claims from a service payer", "shared_contacts.service_claims", "{:.0f}"),
]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chains", nargs="+", required=True)
    ap.add_argument("--results", nargs="+", required=True)
    ap.add_argument("--error-rates")
    ap.add_argument("--notes")
    ap.add_argument("--readme")
    a = ap.parse_args()
    digest = corpus_hash(a.chains)
    print(f"corpus: {', '.join(sorted(os.path.basename(c) for c in a.chains))}; sha256 {digest}")
    if a.error_rates:
        write_error_rates(a, digest)
        if a.readme:
            write_readme_table(a.readme, json.load(open(a.error_rates)))
    print()
    print("| profile | chain | " + " | ".join(h for h, _, _ in COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for path in a.results:
        r = json.load(open(path))
        figures = {f["name"]: f for f in r["figures"]}
        profile = r["chains"][0]["profile"]["id"] if r["chains"] else os.path.basename(path)
        def cell(name, fmt, chain=None):
            f = figures.get(name)
            if f is None: return "—"
            v = f["worst"] if chain is None else f["per_chain"].get(chain)
            return "—" if v is None else fmt.format(v)
        for c in r["chains"]:
            print(f"| {profile} | {c['chain']} | " + " | ".join(cell(n, fmt, c["chain"]) for _, n, fmt in COLUMNS) + " |")
        print(f"| {profile} | **worst** | " + " | ".join(f"**{cell(n, fmt)}**" for _, n, fmt in COLUMNS) + " |")

README_ROWS = [  # label, [(figure, format)] joined by " / ", goal
    ("pairwise precision", [("clustering.precision", "{:.4f}")]),
    ("pairwise recall", [("clustering.recall", "{:.3f}")]),
    ("site cluster: coverage of the site's used addresses / addresses of other owners",
     [("site.coverage", "{:.3f}"), ("site.foreign", "{:.0f}")]),
    ("own-wallet advertisers found among payer clusters (share)", [("payers.own_wallet_found_share", "{:.2f}")]),
    ("custodial ads whose payer is marked `service` / advertiser or user clusters marked `service`",
     [("payers.custodial_marked_service_share", "{:.2f}"), ("payers.wallets_marked_service", "{:.0f}")]),
    ("paid ads matched to the right transaction (goal ≥ 0.95)", [("ads.right_transaction_share", "{:.3f}")]),
    ("ads matched wrongly (goal ≤ 0.005)", [("ads.wrong_share", "{:.3f}")]),
    ("false \"plausibly one advertiser\" entries / claims resting on a service payer",
     [("shared_contacts.false_one_advertiser", "{:.0f}"), ("shared_contacts.service_claims", "{:.0f}")]),
]
BEGIN, END = "<!-- quality-table: written by Tests/Benchmarks/corpus-table.py --readme -->", "<!-- /quality-table -->"

def readme_cell(f, fmt):
    values = list(f["per_chain"].values())
    if all(abs(v - values[0]) < 1e-12 for v in values):
        return fmt.format(values[0]) + " on every chain"
    return f"{fmt.format(f['worst'])} ({f['worst_chain']}); {fmt.format(f['mean'])}"

def write_readme_table(path, rates):
    by_profile = {p["profile"]["id"]: {f["name"]: f for f in p["figures"]} for p in rates["profiles"]}
    lines = [BEGIN, "| figure: worst chain (which); mean of the chains | `change` (investigate's) | `default` (common-input reference) |",
             "|---|---|---|"]
    for label, parts in README_ROWS:
        cells = [" / ".join(readme_cell(by_profile[p][n], fmt) for n, fmt in parts) for p in ("change", "default")]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines.append(END)
    text = open(path).read()
    if BEGIN not in text or END not in text:
        sys.exit(f"{path}: no {BEGIN} … {END} markers to write the quality table between")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(path, "w") as f:
        f.write(head + "\n".join(lines) + tail)

def write_error_rates(a, digest):
    if a.notes:
        notes = json.load(open(a.notes))
    elif os.path.exists(a.error_rates):
        notes = {p["profile"]["id"]: p["notes"] for p in json.load(open(a.error_rates))["profiles"]}
    else:
        notes = {}
    profiles = []
    for path in a.results:
        r = json.load(open(path))
        hashes = {c["profile"]["hash"] for c in r["chains"]}
        if len(hashes) != 1:
            sys.exit(f"{path}: the chains were clustered with different profile files")
        profile = r["chains"][0]["profile"]
        figures = [{k: f[k] for k in ("name", "better", "mean", "worst", "worst_chain", "per_chain")} for f in r["figures"]]
        profiles.append({"profile": {"id": profile["id"], "hash": profile["hash"]}, "figures": figures,
                         "notes": notes.get(profile["id"], [])})
    out = {"about": "Written by Tests/Benchmarks/corpus-table.py --error-rates from Tests/Benchmarks/corpus.sh; "
                    "cited by every report made with one of these profiles (same id and file hash).",
           "corpus": {"chains": sorted(os.path.basename(c) for c in a.chains), "sha256": digest,
                      "measured": datetime.date.today().isoformat()},
           "profiles": profiles}
    with open(a.error_rates, "w") as f:
        f.write(json.dumps(out, indent=2, sort_keys=True) + "\n")

if __name__ == "__main__":
    sys.exit(main())
