#!/usr/bin/env python3
"""Scores a Spoor report against a sample chain's ground truth (truth/ is read here only, never by Spoor).

usage: score-investigation.py REPORT.json CHAIN_DIR

Prints the issue's targets: site-cluster coverage and purity, advertisers found as payer clusters, ads matched
to the right payment (txid and vout; and txid only), wrong matches, and the truth's shared-contact pairs.
"""
import collections, csv, json, sys

report = json.load(open(sys.argv[1]))
chain = sys.argv[2]
entities = json.load(open(chain + "/truth/entities.json"))
owner = {a: name for name, e in entities.items() for a in e["addresses"]}
truth_ads = {a["ad_id"]: a for a in csv.DictReader(open(chain + "/truth/ads.csv"))}
summary = json.load(open(chain + "/summary.json"))

site_used = [a for a, v in entities["adsite"]["addresses"].items() if v["used"]]
members = set(report["site_cluster"]["addresses"])
covered = sum(1 for a in site_used if a in members)
foreign = sorted(a for a in members if owner.get(a) != "adsite")
print(f"site cluster: {len(members)} addresses, {covered}/{len(site_used)} = {covered/len(site_used):.4f} of the site's on-chain addresses, {len(foreign)} of other owners")

paid = [a for a in truth_ads.values() if a["status"] == "paid"]
right = right_tx = wrong = matched = ambiguous = 0
for ad in report["ads"]:
    t = truth_ads[ad["ad_id"]]
    if ad["status"] == "ambiguous": ambiguous += 1
    if ad["status"] != "matched": continue
    matched += 1
    p = ad["payment"]
    if t["status"] == "paid" and p["txid"] == t["payment_txid"]:
        right_tx += 1
        if str(p["vout"]) == t["vout"]: right += 1
    else:
        wrong += 1
n = len(paid)
print(f"ads: {len(report['ads'])}, paid in truth {n}; matched {matched}: right payment (txid+vout) {right} = {right/n:.3f}, right transaction {right_tx} = {right_tx/n:.3f}, wrong {wrong} = {wrong/n:.3f}; ambiguous {ambiguous}")

# Advertisers as payer clusters: the owner of each payer cluster's addresses.
adv_clusters = collections.defaultdict(set)
mixed = 0
for p in report["payer_clusters"]:
    owners = collections.Counter(owner.get(a) for a in p["addresses"])
    main = owners.most_common(1)[0][0] if owners else None
    if len(owners) > 1: mixed += 1
    adv_clusters[main].add(p["cluster_id"])
advertisers = [n for n, e in entities.items() if e.get("kind") == "advertiser" and e.get("ads_paid", 0) > 0]
found = [a for a in advertisers if adv_clusters.get(a)]
print(f"advertisers with paid ads: {len(advertisers)}, found as payer clusters: {len(found)}; clusters per advertiser: " +
      ", ".join(f"{a}={len(adv_clusters.get(a, ()))}" for a in sorted(advertisers, key=lambda s: int(s.split('_')[1]))) +
      f"; payer clusters mixing owners: {mixed}")

# Shared-contact pairs: (advertiser who posted, owner of the contact).
cluster_owner = {}
for p in report["payer_clusters"]:
    owners = collections.Counter(owner.get(a) for a in p["addresses"])
    cluster_owner[p["cluster_id"]] = owners.most_common(1)[0][0] if owners else None
def owner_pairs(entries):
    pairs = set()
    for s in entries:
        os_ = {cluster_owner.get(c) for c in s["payer_clusters"]}
        for a in os_:
            for b in os_:
                if a and b and a != b: pairs.add(frozenset((a, b)))
    return pairs
def entry_owners(s):
    return len({cluster_owner.get(c) for c in s["payer_clusters"]})
reported_pairs = owner_pairs(report["shared_contacts"])
truth_pairs = [frozenset(p) for p in summary.get("shared_contact_pairs", [])]
hit = [p for p in truth_pairs if p in reported_pairs]
print(f"shared-contact pairs in truth: {len(truth_pairs)}, reported: {len(hit)} ({', '.join('/'.join(sorted(p)) for p in hit)}); shared-contact entries in report: {len(report['shared_contacts'])}")
# Since schema 1.3.0 each entry has a kind: between-advertisers or plausibly-one-advertiser.
between = [s for s in report["shared_contacts"] if s.get("kind") == "between-advertisers"]
one = [s for s in report["shared_contacts"] if s.get("kind") == "plausibly-one-advertiser"]
if between or one:
    bhit = [p for p in truth_pairs if p in owner_pairs(between)]
    print(f"  between-advertisers entries: {len(between)} ({sum(1 for s in between if entry_owners(s) > 1)} spanning several true owners), truth pairs among them: {len(bhit)}; "
          f"plausibly-one-advertiser entries: {len(one)} ({sum(1 for s in one if entry_owners(s) == 1)} with one true owner)")
