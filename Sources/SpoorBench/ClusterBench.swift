import BitcoinPrimitives
import Clustering
import Foundation

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
        default: throw BenchError("unknown clustering benchmark \(command)")
        }
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
        print("chain \(root.lastPathComponent): \(blocks.count) blocks, \(builder.batch.count) transactions, \(builder.scripts.count) addresses")
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
