import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainIndex
import Clustering
import Foundation
import Investigation

/// Clustering benchmarks and experiments.
///
/// - `spoor-bench cluster-sample DIR [PROFILE.json ...]`: clusters a sample chain straight from its
///   `blocks/` and scores each profile against `truth/` (pairwise precision/recall, CoinJoin check,
///   change table). This is how the change profile is checked on chains it was not written against.
enum ClusterBench {
    static func main(_ args: [String]) throws {
        guard let command = args.first else { throw BenchError("usage: spoor-bench cluster-sample DIR [PROFILE.json ...]") }
        switch command {
        case "cluster-sample": try sample(Array(args.dropFirst()))
        case "cluster-generate": try generate(Array(args.dropFirst()))
        case "cluster-store": try store(Array(args.dropFirst()))
        case "cluster-migrate": try migrate(Array(args.dropFirst()))
        case "cluster-evidence": try evidence(Array(args.dropFirst()))
        default: throw BenchError("unknown clustering benchmark \(command)")
        }
    }

    static func option(_ args: [String], _ name: String) -> String? {
        guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
        return args[i + 1]
    }

    /// `cluster-generate --transactions N --db PATH [--seed S]`: writes the synthetic chain through the real ingest.
    static func generate(_ args: [String]) throws {
        guard let db = option(args, "--db") else { throw BenchError("cluster-generate needs --db PATH") }
        let n = Int(option(args, "--transactions") ?? "10000000") ?? 10_000_000
        let seed = UInt64(option(args, "--seed") ?? "1") ?? 1
        let database = try CaseDatabase(path: db)
        var options = IngestOptions()
        options.network = .regtest
        options.checkConsensus = false
        let start = Date()
        let summary = try Ingestor(database: database, options: options).ingest(ClusterChainGenerator(transactions: n, seed: seed))
        print("generated \(summary.transactionsAdded) transactions into \(db) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }

    /// `cluster-migrate --db PATH`: opens the database for writing, which brings an older file up to this
    /// build's schema (for v6, backfilling the narrow clustering input from the chain tables). Untimed preparation.
    static func migrate(_ args: [String]) throws {
        guard let db = option(args, "--db") else { throw BenchError("cluster-migrate needs --db PATH") }
        let (t0, c0) = (DispatchTime.now(), processCPUSeconds())
        _ = try CaseDatabase(path: db)
        print(String(format: "schema up to date in %.1f s (CPU %.1f s)", Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9,
                     processCPUSeconds() - c0))
    }

    /// `cluster-store --db PATH [--lists FILE] [--profile FILE] [--progress]`: Spoor's store → final cluster ids,
    /// timed as `spoor cluster` does it (the narrow clustering input for profiles without a change rule, the full
    /// columns otherwise), evidence of every effective union collected in memory; `--progress` passes the walk a
    /// progress hook, as `spoor cluster` on a terminal does (its cost). Then, untimed, writes the co-spend lists for
    /// the C and graphsense lines.
    static func store(_ args: [String]) throws {
        guard let db = option(args, "--db") else { throw BenchError("cluster-store needs --db PATH") }
        var profile = HeuristicProfile.builtInDefault
        if let p = option(args, "--profile") { profile = try HeuristicProfile.load([UInt8](try Data(contentsOf: URL(fileURLWithPath: p))), file: p) }
        let lean = ClusterPlanner.usesCospendsOnly(profile)
        var progressCalls = 0
        let progress: ((Int) -> Void)? = args.contains("--progress") ? { _ in progressCalls += 1 } : nil
        let database = try CaseDatabase(path: db, mode: .readOnly)
        // CPU time as well as wall time: the machine is shared, and the wall clock mostly measures the others.
        let (t0, c0) = (DispatchTime.now(), processCPUSeconds())
        var clusterer: Clusterer
        var loaded: (transactions: Int, inputs: Int, bound: Int, cospends: CospendIndex?)
        var t1 = t0, c1 = c0
        var candidates = 0, streamed = false
        if lean {
            // What `spoor cluster` runs: one pass over the narrow clustering input, clustering row by row.
            let run: CospendRun
            (clusterer, run) = try database.read { db in
                try ClusterRunner.clusterCospends(db, make: { Clusterer(profile: profile) }, tick: progress)
            }
            (t1, c1) = (DispatchTime.now(), processCPUSeconds())
            loaded = (run.transactions, 0, run.addressBound, nil)
            candidates = run.candidates
            streamed = run.streamed
        } else {
            let chain = try database.read {
                try ChainIndexLoader.load($0, columns: ClusterPlanner.needsSpenders(profile) ? [.spenderShapes] : [])
            }
            (t1, c1) = (DispatchTime.now(), processCPUSeconds())
            clusterer = Clusterer(profile: profile, addressCount: chain.addressBound)
            clusterer.process(chain.index, progress: progress.map { tick in { walked, _ in tick(walked) } })
            loaded = (chain.index.txCount, chain.index.inputCount, chain.addressBound, CospendIndex(chain.index))
            candidates = chain.index.txCount
        }
        let roots = clusterer.clusterIDs()
        let (t2, c2) = (DispatchTime.now(), processCPUSeconds())
        func s(_ a: DispatchTime, _ b: DispatchTime) -> Double { Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9 }
        var clusters = 0
        for (i, r) in roots.enumerated() where r == UInt32(i) { clusters += 1 }
        let addresses = max(1, loaded.bound - 1)
        let evidenceBytes = (clusterer.merges.count + clusterer.stops.count) * EvidenceRecord.bytesPerRecord
        print("spoor: profile \(profile.id), reads \(lean ? "the narrow clustering input (clusterInput) + CoinJoin candidates' columns" : "tx, input, output, address")")
        print("spoor: \(loaded.transactions) transactions, \(addresses) addresses, \(candidates) CoinJoin candidates read in full, "
              + "\(clusterer.flagged.count) excluded\(lean ? (streamed ? ", streamed in id order" : ", ids out of chain order: loaded and sorted") : "")")
        let phases = lean ? "scan + cluster + evidence %.3f s, final ids %.3f s" : "load %.3f s, cluster + evidence + final ids %.3f s"
        print(String(format: "spoor: store -> final cluster ids %.3f s (\(phases)), %d clusters (ids 0..<%d)",
                     s(t0, t2), s(t0, t1), s(t1, t2), clusters, loaded.bound))
        print(String(format: "spoor: store -> final cluster ids CPU %.3f s (\(phases))", c2 - c0, c1 - c0, c2 - c1))
        let ufBytes = clusterer.unionFind.bytesPerAddressInUse
        print(String(format: "spoor: union-find %d bytes/address (\(ufBytes == 4 ? "parent array; sizes not tracked without a growth guard" : "parent + size arrays"); %.1f MB); evidence log in memory %.2f bytes/address (%d merges, %d stops x %d bytes)",
                     ufBytes, Double(ufBytes * loaded.bound) / 1e6,
                     Double(evidenceBytes) / Double(addresses), clusterer.merges.count, clusterer.stops.count, EvidenceRecord.bytesPerRecord))
        var checksum: UInt64 = 0
        for r in roots { checksum = checksum &* 31 &+ UInt64(r) }
        print("spoor: cluster id checksum \(checksum)")
        if progress != nil { print("spoor: progress hook called \(progressCalls) times") }
        print(String(format: "spoor: peak resident memory %.0f MB", peakResidentMB()))
        if let lists = option(args, "--lists") {
            let b = try loaded.cospends ?? database.read { try ClusterStore.loadCospends($0, candidates: false).cospends }
            // uint32 little endian: addressBound, listCount, then per list: k, k ids. Only non-excluded spends.
            let flagged = Set(clusterer.flagged.map(\.tx.raw))
            var out: [UInt32] = [UInt32(loaded.bound), 0]
            var count: UInt32 = 0
            for t in 0..<b.count where b.flags[t] & CospendIndex.coinbaseFlag == 0 && !flagged.contains(b.txStoreID[t]) {
                let ids = b.inputAddress[b.inputStart[t]..<b.inputStart[t + 1]].filter { $0 != ChainIndex.noAddress }
                guard ids.count >= 2 else { continue }
                out.append(UInt32(ids.count)); out.append(contentsOf: ids); count += 1
            }
            out[1] = count
            try out.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: lists)) }
            print("spoor: wrote \(count) co-spend lists to \(lists)")
        }
    }

    /// `cluster-evidence --db PATH [--profile FILE]`: the real `spoor cluster` (fresh) on the database: store ->
    /// ids -> evidence and cluster ids written; prints its time and what the evidence log occupies in the file.
    static func evidence(_ args: [String]) throws {
        guard let db = option(args, "--db") else { throw BenchError("cluster-evidence needs --db PATH") }
        var profile = HeuristicProfile.builtInDefault
        if let p = option(args, "--profile") { profile = try HeuristicProfile.load([UInt8](try Data(contentsOf: URL(fileURLWithPath: p))), file: p) }
        func s(_ a: DispatchTime, _ b: DispatchTime) -> Double { Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9 }
        let writable = try CaseDatabase(path: db)
        let (w0, wc0) = (DispatchTime.now(), processCPUSeconds())
        let summary = try ClusterRunner.run(writable, profile: profile, allowIncremental: false)
        let (w1, wc1) = (DispatchTime.now(), processCPUSeconds())
        let sizes = try writable.read { db in
            (evidence: try ClusterStore.storedBytes(db, of: ["clusterEvidence", "clusterEvidence_a", "clusterEvidence_b"]),
             clusters: try ClusterStore.storedBytes(db, of: ["addressCluster", "addressCluster_cluster"]))
        }
        let addresses = Double(max(1, summary.addresses))
        print(String(format: "spoor cluster (store -> ids -> evidence and cluster ids written to the case database): %.2f s (CPU %.3f s), %d merges, %d stops stored",
                     s(w0, w1), wc1 - wc0, summary.evidenceMerges, summary.evidenceStops))
        print(String(format: "spoor: evidence log in the database %.2f bytes/address (%.1f MB: table + 2 indexes, %.1f bytes per record); cluster ids table %.2f bytes/address",
                     Double(sizes.evidence) / addresses, Double(sizes.evidence) / 1e6,
                     Double(sizes.evidence) / Double(max(1, summary.evidenceMerges + summary.evidenceStops)), Double(sizes.clusters) / addresses))
        print(String(format: "spoor cluster: peak resident memory %.0f MB", peakResidentMB()))
    }

    /// Peak resident set size of this process (Linux: ru_maxrss is in KiB).
    static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func sample(_ args: [String]) throws {
        guard let dir = args.first else { throw BenchError("cluster-sample needs a sample chain directory") }
        let root = URL(fileURLWithPath: dir)
        let blocks = try readBlkDirectory(root.appendingPathComponent("blocks"))
        var builder = ChainBuilder()
        for b in blocks { builder.append(b) }
        let truthURL = root.appendingPathComponent("truth/transactions.json")
        let truth = try GroundTruth(transactionsJSON: try Data(contentsOf: truthURL), file: truthURL.path)
        var profiles: [HeuristicProfile] = []
        for p in args.dropFirst() {
            profiles.append(try HeuristicProfile.load([UInt8](try Data(contentsOf: URL(fileURLWithPath: p))), file: p))
        }
        if profiles.isEmpty { profiles = [.builtInDefault] }
        print("chain \(root.lastPathComponent): \(blocks.count) blocks, \(builder.batch.txCount) transactions, \(builder.scripts.count) addresses")
        for profile in profiles {
            var clusterer = Clusterer(profile: profile, addressCount: builder.scripts.count)
            let start = DispatchTime.now()
            clusterer.process(builder.batch)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
            let txids = builder.txids
            let report = EvaluationReport(batch: builder.batch, txid: { txids[Int($0.raw)].hex }, truth: truth, clusterer: &clusterer)
            let c = report.clustering
            print("profile \(profile.id) (\(profile.hash.prefix(12))): \(String(format: "%.1f", ms)) ms")
            print(String(format: "  pairwise precision %.5f recall %.4f clusters %d mixed %d (owned addresses %d, owners %d)",
                         c.precision, c.recall, c.clusters, c.mixedClusters, c.addresses, c.owners))
            print("  coinjoins in truth \(report.coinjoins.inTruth), detected \(report.coinjoins.detected), missed \(report.coinjoins.missed.count), other flagged \(report.coinjoins.flaggedOther.count)")
            for other in report.coinjoins.flaggedOther.prefix(10) { print("  flagged, not a CoinJoin in truth: \(other) (\(truth.transactions[other]?.kind ?? "?"))") }
            print("  merges: " + clusterer.statistics.merges.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            print("  exclusions: " + clusterer.statistics.exclusions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            for row in report.change {
                print(String(format: "  %-60@ named %5d correct %5d precision %.4f recall %.4f", row.heuristic as NSString,
                             row.named, row.correct, row.precision, row.recall))
            }
        }
    }

    /// Reads `blk*.dat` (with `xor.dat` when present) and returns the blocks in chain order (following
    /// previous-block hashes from the genesis block).
    static func readBlkDirectory(_ dir: URL) throws -> [Block] {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("blk") }.sorted()
        var key = [UInt8](repeating: 0, count: 8)
        if let k = try? Data(contentsOf: dir.appendingPathComponent("xor.dat")), k.count == 8 { key = [UInt8](k) }
        var byPrev: [BlockHash: Block] = [:]
        var genesis: Block?
        for f in files {
            var bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(f)))
            for i in bytes.indices { bytes[i] ^= key[i % 8] }
            var offset = 0
            let networkMagic = Array(bytes.prefix(4))
            while offset + 8 <= bytes.count {
                // Pre-allocated padding follows the last block: anything without the magic ends the file.
                if Array(bytes[offset..<offset + 4]) != networkMagic { break }
                let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
                guard offset + 8 + size <= bytes.count else { throw BenchError("\(f): block at byte \(offset) runs past the end") }
                let block = try Block(bytes: Array(bytes[(offset + 8)..<(offset + 8 + size)]))
                if block.header.previousBlockHash.digest.isZero { genesis = block } else { byPrev[block.header.previousBlockHash] = block }
                offset += 8 + size
            }
        }
        guard var current = genesis else { throw BenchError("\(dir.path): no genesis block") }
        var chain = [current]
        while let next = byPrev[current.hash] { chain.append(next); current = next }
        return chain
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
