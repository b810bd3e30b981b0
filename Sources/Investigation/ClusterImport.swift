import BitcoinPrimitives
import CaseStore
import ChainIndex
import ChainSources
import Clustering
import Foundation
import GRDB

/// Loads a clustering made elsewhere (the Spark job in `Sources/SparkClustering`) into a case database, through
/// the same writer as a local run (`ClusterRunStore`), so that `explain`, `trace`, `report` and `investigate`
/// read it as they read a local `spoor cluster`. The result is input like any other: it must cover exactly the
/// case's best chain and addresses, and its clusters must be exactly the components of its merges, which must be
/// a forest (what a chain-order walk keeps); otherwise nothing is written.
public enum ClusterImport {
    /// `run.json` as the job writes it (the fields the import reads).
    struct JobRun: Decodable {
        var profile: String
        var profile_hash: String
        var transactions: Int
        var excluded_transactions: Int
        var exclusions_per_rule: [String: Int]
        var merges_per_heuristic: [String: Int]
    }

    /// What was loaded: the stored summary, and how many addresses the job gave another cluster id than the
    /// case's own order gives (0 when the export and the case hold the same chain; the case's ids are stored).
    public struct Outcome: Sendable {
        public var summary: ClusterSummary
        public var idsRenumbered: Int
    }

    /// Loads `directory` (`run.json`, `clusters/`, `merges/`, `stops/`) into `database`, replacing its clustering.
    /// - Throws: `InputError` naming the file and line of the first problem; nothing is written then.
    public static func load(_ database: CaseDatabase, directory: String) throws -> Outcome {
        let runFile = directory + "/run.json"
        guard let data = FileManager.default.contents(atPath: runFile) else { throw InputError(file: runFile, "cannot read it") }
        let job: JobRun
        do { job = try JSONDecoder().decode(JobRun.self, from: data) } catch {
            throw InputError(file: runFile, "not the job's run.json: \(error)")
        }
        let tags = try TagStore.entityTagsByAddress(in: database)
        guard tags.isEmpty else {
            throw InputError(file: directory, "the case holds \(tags.count) cluster-defining tag(s): the entity guard refuses "
                             + "merges in chain order, which the Spark job does not walk; cluster this case with spoor cluster")
        }
        let started = Date()
        return try database.write { db in
            let chain = try ClusterRunStore.bestChainTransactions(db)
            guard chain.loose == 0 else {
                throw InputError(file: directory, "the case holds \(chain.loose) loose transaction(s), which a bitcoin-etl export of blocks does not")
            }
            guard chain.count == job.transactions else {
                throw InputError(file: runFile, "the job clustered \(job.transactions) transactions, the case's best chain holds \(chain.count)")
            }
            let addresses = try ClusterRunStore.addressIDsByText(db)
            let (roots, renumbered) = try readClusters(directory + "/clusters", addresses: addresses)
            let merges = try readLinks(directory + "/merges", addresses: addresses, txids: chain.ids)
            let stops = try readLinks(directory + "/stops", addresses: addresses, txids: chain.ids)
            try checkForest(merges, roots: roots, in: directory + "/merges")
            try ClusterRunStore.dropEvidence(db)
            try ClusterRunStore.writeClusters(db, roots: roots)
            try ClusterRunStore.appendEvidence(db, kind: 0, count: merges.count) { merges[$0] }
            try ClusterRunStore.appendEvidence(db, kind: 1, count: stops.count) { stops[$0] }
            var statistics = StoredStatistics()
            statistics.transactions = job.transactions
            statistics.excluded = job.excluded_transactions
            statistics.merges = job.merges_per_heuristic
            statistics.exclusions = job.exclusions_per_rule
            let state = ClusterRunState(profile: job.profile, profileHash: job.profile_hash, watermark: chain.last,
                                        transactions: job.transactions, statistics: statistics,
                                        tagsDigest: ClusterRunStore.tagsDigest([:]), idSum: chain.idSum)
            // A co-spend run leaves the seen bitmap empty (only change rules read it) and learns no change kinds.
            try ClusterRunStore.writeState(db, state, seen: [UInt64](repeating: 0, count: (roots.count + 63) / 64), changeKinds: [:])
            var summary = try ClusterRunStore.summary(db, state: state)
            summary.transactionsProcessed = job.transactions
            summary.seconds = Date().timeIntervalSince(started)
            return Outcome(summary: summary, idsRenumbered: renumbered)
        }
    }

    /// The job's part files of one output, in order (Spark writes `part-00000…`, sorted across parts).
    static func parts(_ folder: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw InputError(file: folder, "no such folder of the job's output")
        }
        return names.filter { $0.hasPrefix("part-") && !$0.hasSuffix(".crc") }.sorted().map { folder + "/" + $0 }
    }

    static func eachLine(_ folder: String, _ body: (_ fields: [Substring], _ file: String, _ line: Int) throws -> Void) throws {
        for file in try parts(folder) {
            let reader: GzipLineReader
            do { reader = try GzipLineReader(path: file) } catch { throw InputError(file: file, "\(error)") }
            do {
                while let bytes = try reader.nextLine() {
                    let text = String(decoding: bytes, as: UTF8.self)
                    try body(text.split(separator: "\t", omittingEmptySubsequences: false), file, reader.lineNumber)
                }
            } catch let e as SourceError { throw InputError(file: file, "\(e)") }
        }
    }

    /// `address,cluster_id` per line: every address of the case exactly once. Returns each address's cluster as
    /// the case numbers it (smallest member's id) and how many lines stated another id.
    static func readClusters(_ folder: String, addresses: [String: UInt32]) throws -> (roots: [UInt32], renumbered: Int) {
        let bound = Int(addresses.values.max().map { $0 + 1 } ?? 0)
        var label = [Int64](repeating: -1, count: bound)
        var stated = [Int64](repeating: -1, count: bound)
        var lines = 0
        try eachLine(folder) { fields, file, line in
            guard fields.count == 1, let comma = fields[0].lastIndex(of: ","),
                  let cluster = Int64(fields[0][fields[0].index(after: comma)...]) else {
                throw InputError(file: file, line: line, "expected address,cluster_id")
            }
            let address = String(fields[0][..<comma])
            guard let id = addresses[address] else { throw InputError(file: file, line: line, "\(address) is not an address of the case") }
            guard label[Int(id)] < 0 else { throw InputError(file: file, line: line, "\(address) is listed twice") }
            label[Int(id)] = cluster
            stated[Int(id)] = cluster
            lines += 1
        }
        guard lines == addresses.count else {
            throw InputError(file: folder, "\(lines) addresses listed, the case holds \(addresses.count)")
        }
        var smallest: [Int64: UInt32] = [:]
        for id in 0..<bound where label[id] >= 0 && smallest[label[id]] == nil { smallest[label[id]] = UInt32(id) }
        var roots = (0..<UInt32(bound)).map { $0 }
        var renumbered = 0
        for id in 0..<bound where label[id] >= 0 {
            roots[id] = smallest[label[id]]!  // Every label seen above has an entry.
            if Int64(roots[id]) != stated[id] { renumbered += 1 }
        }
        return (roots, renumbered)
    }

    /// `txid<TAB>address<TAB>address<TAB>heuristic ids` per line, in chain order.
    static func readLinks(_ folder: String, addresses: [String: UInt32], txids: [Txid: UInt32]) throws
        -> [(a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32)] {
        var links: [(a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32)] = []
        try eachLine(folder) { f, file, line in
            guard f.count == 4 else { throw InputError(file: file, line: line, "expected txid, address, address, heuristic ids") }
            guard let txid = Txid(hex: f[0]), let tx = txids[txid] else {
                throw InputError(file: file, line: line, "\(f[0]) is not a transaction of the case's best chain")
            }
            guard let a = addresses[String(f[1])], let b = addresses[String(f[2])] else {
                throw InputError(file: file, line: line, "\(addresses[String(f[1])] == nil ? f[1] : f[2]) is not an address of the case")
            }
            var mask: UInt32 = 0
            for id in f[3].split(separator: ",") {
                guard let bit = HeuristicRegistry.bit(of: HeuristicID(String(id))) else {
                    throw InputError(file: file, line: line, "unknown heuristic id \(id)")
                }
                mask |= 1 << UInt32(bit)
            }
            links.append((a, b, tx, mask))
        }
        return links
    }

    /// The merges must join distinct components one at a time and end in exactly the listed clusters.
    static func checkForest(_ merges: [(a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32)], roots: [UInt32], in folder: String) throws {
        var uf = UnionFind(count: roots.count)
        uf.stopTrackingSizes()
        for (i, m) in merges.enumerated() where !uf.union(m.a, m.b) {
            throw InputError(file: folder, "merge \(i + 1) joins two addresses an earlier merge already joined: not the evidence a chain-order walk keeps")
        }
        guard uf.roots() == roots else {
            throw InputError(file: folder, "the clusters are not the components of the merges")
        }
    }
}
