"""Clusters a bitcoin-etl export on Apache Spark with Spoor's own heuristics; the clusters equal a local
`spoor cluster` run's, ids included.

Stages:
  map         each partition of transaction lines goes through `spoor cluster map` (the heuristics stay in
              Swift): merges, stops, exclusions, and each address's first output in the partition.
  components  address ids in Spoor's local order (rank of the address's first output in the chain: block,
              position, vout), then connected components of the merges by large-star/small-star (Kiveris et al.
              2014), every label the smallest id of its component (union by minimum).
  evidence    the merges a chain-order walk keeps: the minimum spanning forest for the weight (block,
              position, seq), found by Borůvka rounds on DataFrames: exactly the evidence a local run stores.
  write       OUT/clusters (address,cluster_id by address id), OUT/merges and OUT/stops (txid, address a,
              address b, heuristic ids; chain order), OUT/run.json (profile, counts, iterations, stage times).
`spoor import clusters OUT --db CASE` loads the result into a case database.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

from pyspark import SparkFiles, StorageLevel
from pyspark.sql import SparkSession, functions as F


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--transactions", nargs="+", required=True,
                   help="bitcoin-etl transactions files, directories or globs (.json, .json.gz)")
    p.add_argument("--spoor", required=True,
                   help="the spoor binary: a path on every worker, or the name of a file shipped with --files")
    p.add_argument("--profile", default="default",
                   help="profile name (default) or a JSON/YAML file (a path, or the name of a file shipped with --files)")
    p.add_argument("--network", default=None, help="main, testnet3, testnet4, signet, regtest (default: told by the addresses)")
    p.add_argument("--out", required=True, help="output directory (must not exist)")
    p.add_argument("--partitions", type=int, default=None, help="minimum input partitions")
    p.add_argument("--chunk", type=int, default=100000, help="transactions the mapper decides together")
    p.add_argument("--max-iterations", type=int, default=100)
    return p.parse_args(argv)


def worker_path(name):
    """A file named on the command line, as a worker sees it: the path itself, or the copy --files shipped."""
    if os.path.exists(name):
        return os.path.abspath(name)
    shipped = SparkFiles.get(os.path.basename(name))
    if os.path.exists(shipped):
        return shipped
    raise FileNotFoundError(f"{name}: not on this worker and not shipped with --files")


def mapper(spoor, profile, network, chunk):
    """The partition function: lines in, `spoor cluster map` records out; a failing mapper fails the task."""
    def run(lines):
        command = [worker_path(spoor), "cluster", "map", "--chunk", str(chunk), "--profile",
                   profile if profile in ("default", "conservative", "change") else worker_path(profile)]
        if network:
            command += ["--network", network]
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        failure = []

        def feed():
            try:
                for line in lines:
                    child.stdin.write(line.encode("utf-8"))
                    child.stdin.write(b"\n")
            except Exception as e:  # a closed pipe: the child's exit status says why
                failure.append(e)
            finally:
                try:
                    child.stdin.close()
                except OSError:
                    pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        errors = []
        drain = threading.Thread(target=lambda: errors.append(child.stderr.read()), daemon=True)
        drain.start()
        for raw in child.stdout:
            yield raw.decode("utf-8").rstrip("\n")
        status = child.wait()
        feeder.join()
        drain.join()
        if status != 0:
            message = (errors[0] if errors else b"").decode("utf-8", "replace").strip()
            raise RuntimeError(f"spoor cluster map exited {status}: {message}")
    return run


def large_star(edges):
    """Kiveris et al.: each node's larger neighbours link to the smallest of its closed neighbourhood."""
    both = edges.select("u", "v").union(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (both.join(smallest, "u").where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v")).distinct())


def small_star(edges):
    """Kiveris et al.: each node and its smaller neighbours link to the smallest of them."""
    down = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
    smallest = down.groupBy("u").agg(F.min("v").alias("m"))
    linked = (down.join(smallest, "u").select(F.col("v").alias("u"), F.col("m").alias("v"))
              .union(smallest.select("u", F.col("m").alias("v"))))
    return linked.where(F.col("u") != F.col("v")).select(
        F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).distinct()


def components(edges, max_iterations):
    """(node, label) for every node on an edge, label = smallest node of its component; and the rounds taken."""
    current = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).distinct().localCheckpoint()
    rounds = 0
    while True:
        rounds += 1
        if rounds > max_iterations:
            raise RuntimeError(f"connected components did not converge in {max_iterations} large-star/small-star rounds")
        following = small_star(large_star(current)).localCheckpoint()
        if following.count() == current.count() and following.exceptAll(current).isEmpty():
            break
        current = following
    # Converged: every component is a star around its smallest node.
    labels = (current.select("u", "v").union(current.select(F.col("v").alias("u"), F.col("v").alias("v")))
              .groupBy("u").agg(F.min("v").alias("label")))
    return labels.withColumnRenamed("u", "node"), rounds


def chain_order_forest(merges, max_rounds):
    """The merges a chain-order walk keeps, found without gathering a component in one task.

    A union-find walking the merges in chain order (the local run) keeps exactly Kruskal's minimum spanning
    forest for the weight (block, position, seq). Those weights are distinct, so that forest is unique and
    Borůvka's rounds find the same one: every super-node takes its lightest edge (in the forest by the cut
    property), the chosen edges are contracted (`tree_roots`), and edges inside a super-node or heavier than
    another between the same two super-nodes are dropped (cycle property). Every round at least halves the
    super-nodes of every component that still has edges. Returns the kept (h, i, seq) and the rounds taken."""
    edges = merges.select(F.struct("h", "i", "seq").alias("w"), "u", "v").where(F.col("u") != F.col("v"))
    edges = lightest_per_pair(edges).localCheckpoint()
    kept, rounds = None, 0
    while not edges.isEmpty():
        rounds += 1
        if rounds > max_rounds:
            raise RuntimeError(f"the evidence forest did not finish in {max_rounds} Borůvka rounds")
        both = edges.select("w", F.col("u").alias("x"), F.col("v").alias("y")).union(
            edges.select("w", F.col("v").alias("x"), F.col("u").alias("y")))
        lightest = (both.groupBy("x").agg(F.min(F.struct("w", "y")).alias("m"))
                    .select("x", F.col("m.w").alias("w"), F.col("m.y").alias("y")).localCheckpoint())
        chosen = lightest.select(F.col("w.h").alias("h"), F.col("w.i").alias("i"), F.col("w.seq").alias("seq"))
        kept = chosen if kept is None else kept.union(chosen)
        roots = tree_roots(lightest.select("x", "y"), max_rounds)
        edges = (edges.join(roots.select(F.col("x").alias("u"), F.col("root").alias("ru")), "u")
                 .join(roots.select(F.col("x").alias("v"), F.col("root").alias("rv")), "v")
                 .where(F.col("ru") != F.col("rv")).select("w", F.col("ru").alias("u"), F.col("rv").alias("v")))
        edges = lightest_per_pair(edges).localCheckpoint()
    if kept is None:
        return merges.select("h", "i", "seq").limit(0), 0
    return kept.distinct(), rounds


def lightest_per_pair(edges):
    """Of the edges between the same two (super-)nodes only the lightest can be in the forest."""
    return (edges.groupBy(F.least("u", "v").alias("u"), F.greatest("u", "v").alias("v"))
            .agg(F.min("w").alias("w")))


def tree_roots(chosen, max_rounds):
    """(x, root) for every super-node x that chose the edge to y: the choices form trees whose only cycle is a
    pair that chose each other (the same lightest edge); its smaller id becomes the root, and pointer jumping
    (parent := parent's parent) reaches it in O(log depth) rounds."""
    mutual = chosen.select(F.col("y").alias("x"), F.col("x").alias("y"), F.lit(True).alias("mutual"))
    parent = (chosen.join(mutual, ["x", "y"], "left")
              .select("x", F.when(F.col("mutual").isNotNull() & (F.col("x") < F.col("y")), F.col("x"))
                      .otherwise(F.col("y")).alias("root"))
              .localCheckpoint())
    for _ in range(max_rounds):
        jumped = parent.join(parent.select(F.col("x").alias("root"), F.col("root").alias("next")), "root")
        if jumped.where(F.col("root") != F.col("next")).isEmpty():
            return parent
        parent = jumped.select("x", F.col("next").alias("root")).localCheckpoint()
    raise RuntimeError(f"pointer jumping did not finish in {max_rounds} rounds")


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName("spoor-cluster").getOrCreate()
    sc = spark.sparkContext
    times = {}

    started = time.monotonic()
    paths = []
    for t in args.transactions:
        paths.append(os.path.join(t, "*") if os.path.isdir(t) else t)
    lines = sc.textFile(",".join(paths), minPartitions=args.partitions or sc.defaultParallelism)
    mapped = lines.mapPartitions(mapper(args.spoor, args.profile, args.network, args.chunk))
    records = (spark.createDataFrame(mapped.map(lambda s: (s,)), "line string")
               .select(F.split("line", "\t").alias("f")).select(F.col("f")[0].alias("kind"), "f")
               .persist(StorageLevel.MEMORY_AND_DISK))
    records.count()
    times["map"] = time.monotonic() - started

    started = time.monotonic()
    profiles = [tuple(r.f[1:3]) for r in records.where("kind = 'profile'").select("f").distinct().collect()]
    if len(profiles) != 1:
        raise RuntimeError(f"partitions ran different profiles: {profiles}")
    transactions = records.where("kind = 'transactions'").select(F.sum(F.col("f")[1].cast("long"))).first()[0] or 0
    first = records.where("kind = 'first'").select(
        F.col("f")[1].alias("address"),
        F.struct(F.col("f")[2].cast("long").alias("h"), F.col("f")[3].cast("long").alias("i"),
                 F.col("f")[4].cast("long").alias("o")).alias("at"))
    ranked = first.groupBy("address").agg(F.min("at").alias("at")).orderBy("at")
    ids = (spark.createDataFrame(ranked.select("address").rdd.zipWithIndex().map(lambda p: (p[0][0], p[1] + 1)),
                                 "address string, id long").persist(StorageLevel.MEMORY_AND_DISK))

    def links(kind):
        return records.where(F.col("kind") == kind).select(
            F.col("f")[1].cast("long").alias("h"), F.col("f")[2].cast("long").alias("i"),
            F.col("f")[3].cast("long").alias("seq"), F.col("f")[4].alias("txid"), F.col("f")[5].alias("a"),
            F.col("f")[6].alias("b"), F.col("f")[7].alias("ids"))
    merges = (links("merge").join(ids.select(F.col("address").alias("a"), F.col("id").alias("u")), "a")
              .join(ids.select(F.col("address").alias("b"), F.col("id").alias("v")), "b")
              .persist(StorageLevel.MEMORY_AND_DISK))
    missing = links("merge").count() - merges.count()
    if missing:
        raise RuntimeError(f"{missing} merge(s) name an address no output pays: is the export missing transactions?")
    labels, rounds = components(merges.select("u", "v"), args.max_iterations)
    labels = labels.persist(StorageLevel.MEMORY_AND_DISK)
    clusters = (ids.join(labels, ids.id == labels.node, "left")
                .select("id", "address", F.coalesce("label", "id").alias("cluster")))
    times["components"] = time.monotonic() - started

    started = time.monotonic()
    forest, evidence_rounds = chain_order_forest(merges, args.max_iterations)
    kept = merges.join(forest, ["h", "i", "seq"], "left_semi").select(
        "h", "i", "seq", "u", "v", "txid", "a", "b", "ids")
    kept = kept.persist(StorageLevel.MEMORY_AND_DISK)
    merge_count = kept.count()
    times["evidence"] = time.monotonic() - started

    started = time.monotonic()
    out = args.out
    clusters.orderBy("id").select(F.concat_ws(",", "address", F.col("cluster").cast("string"))).write.text(out + "/clusters")
    for name, frame in (("merges", kept), ("stops", links("stop"))):
        (frame.orderBy("h", "i", "seq").select(F.concat_ws("\t", "txid", "a", "b", "ids"))
         .write.text(f"{out}/{name}"))
    exclusions = records.where("kind = 'exclude'").select(F.split(F.col("f")[4], ",").alias("rules"))
    per_rule = {r[0]: r[1] for r in exclusions.select(F.explode("rules")).groupBy("col").count().collect()}
    per_merge = {r[0]: r[1] for r in kept.select(F.explode(F.split("ids", ","))).groupBy("col").count().collect()}
    summary = {
        "profile": profiles[0][0], "profile_hash": profiles[0][1], "transactions": transactions,
        "excluded_transactions": exclusions.count(), "exclusions_per_rule": per_rule, "merges_per_heuristic": per_merge,
        "addresses": ids.count(), "merges": merge_count, "stops": links("stop").count(),
        "component_rounds": rounds, "evidence_rounds": evidence_rounds, "partitions": lines.getNumPartitions(),
    }
    times["write"] = time.monotonic() - started
    summary["seconds"] = {k: round(v, 3) for k, v in times.items()}
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(summary, sort_keys=True))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
