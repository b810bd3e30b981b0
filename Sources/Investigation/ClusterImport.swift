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

    /// Reads the job's `run.json` (its profile decides whether a stored clustering may be replaced).
    public static func readRun(directory: String) throws -> (profile: String, profileHash: String) {
        let job = try jobRun(directory: directory)
        return (job.profile, job.profile_hash)
    }

    static func jobRun(directory: String) throws -> JobRun {
        let runFile = directory + "/run.json"
        guard let data = FileManager.default.contents(atPath: runFile) else { throw InputError(file: runFile, "cannot read it") }
        do { return try JSONDecoder().decode(JobRun.self, from: data) } catch {
            throw InputError(file: runFile, "not the job's run.json: \(error)")
        }
    }

    /// Loads `directory` (`run.json`, `clusters/`, `merges/`, `stops/`) into `database`, replacing its clustering.
    /// Streams: addresses and transactions are looked up in the store line by line, and the evidence is written
    /// in batches inside the one write transaction, which a refusal rolls back.
    /// - Throws: `InputError` naming the file and line of the first problem; nothing is written then.
    public static func load(_ database: CaseDatabase, directory: String) throws -> ClusterSummary {
        let job = try jobRun(directory: directory)
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
                throw InputError(file: directory + "/run.json", "the job clustered \(job.transactions) transactions, the case's best chain holds \(chain.count)")
            }
            let roots = try readClusters(directory + "/clusters", db)
            try ClusterRunStore.writeClusters(db, roots: roots)
            var forest = UnionFind(count: roots.count)
            forest.stopTrackingSizes()
            try ClusterRunStore.rewritingWhole(.clusterEvidence, db) {
                try appendLinks(directory + "/merges", kind: 0, db) { a, b, number, file, line in
                    guard forest.union(a, b) else {
                        throw InputError(file: file, line: line, "merge \(number) joins two addresses an earlier merge already joined: "
                                         + "not the evidence a chain-order walk keeps")
                    }
                }
                try appendLinks(directory + "/stops", kind: 1, db) { _, _, _, _, _ in }
            }
            guard forest.roots() == roots else {
                throw InputError(file: directory + "/merges", "the clusters are not the components of the merges")
            }
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
            return summary
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

    /// `address,cluster_id` per line, in the case's address id order (the job numbers addresses as the case does:
    /// by first appearance in the chain), each cluster numbered by its smallest member. Walked in step with the
    /// store's addresses, so only one cluster id per address is held. Returns each address's cluster id.
    static func readClusters(_ folder: String, _ db: Database) throws -> [UInt32] {
        let bound = try ClusterRunStore.addressBound(db)
        var roots = (0..<UInt32(bound)).map { $0 }
        let stored = try ClusterRunStore.addressesInIDOrder(db)
        var lines = 0
        try eachLine(folder) { fields, file, line in
            guard fields.count == 1, let comma = fields[0].lastIndex(of: ","),
                  let cluster = UInt32(fields[0][fields[0].index(after: comma)...]) else {
                throw InputError(file: file, line: line, "expected address,cluster_id")
            }
            let address = fields[0][..<comma]
            guard let (id, text) = try stored.next() else {
                throw InputError(file: file, line: line, "more addresses listed than the case holds")
            }
            guard text == address else {
                throw InputError(file: file, line: line, "\(address) where the case's address \(id) is \(text): the job did not "
                                 + "number the addresses as the case does (first appearance in the chain), or not over the same chain")
            }
            guard cluster == id || (cluster < id && roots[Int(cluster)] == cluster) else {
                throw InputError(file: file, line: line, "cluster \(cluster) of address \(id) is not the smallest address id of a cluster")
            }
            roots[Int(id)] = cluster
            lines += 1
        }
        if let (id, text) = try stored.next() {
            throw InputError(file: folder, "\(lines) addresses listed; the case's address \(id) (\(text)) and any after it are missing")
        }
        return roots
    }

    /// Appends `txid<TAB>address<TAB>address<TAB>heuristic ids` lines (chain order) as evidence of one kind, each
    /// looked up in the store and passed to `check` (with its 1-based number, file and line) before it is kept.
    static func appendLinks(_ folder: String, kind: Int64, _ db: Database,
                            check: (_ a: UInt32, _ b: UInt32, _ number: Int, _ file: String, _ line: Int) throws -> Void) throws {
        typealias Link = (a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32)
        var batch: [Link] = []
        var number = 0
        func flush() throws {
            try ClusterRunStore.appendEvidence(db, kind: kind, count: batch.count) { batch[$0] }
            batch.removeAll(keepingCapacity: true)
        }
        try eachLine(folder) { f, file, line in
            guard f.count == 4 else { throw InputError(file: file, line: line, "expected txid, address, address, heuristic ids") }
            guard let txid = Txid(hex: f[0]), let tx = try ClusterRunStore.bestChainTransactionID(db, txid: txid) else {
                throw InputError(file: file, line: line, "\(f[0]) is not a transaction of the case's best chain")
            }
            var ends: [UInt32] = []
            for text in f[1...2] {
                guard let id = try ClusterRunStore.addressID(db, text: String(text)) else {
                    throw InputError(file: file, line: line, "\(text) is not an address of the case")
                }
                ends.append(id)
            }
            var mask: UInt32 = 0
            for id in f[3].split(separator: ",") {
                guard let bit = HeuristicRegistry.bit(of: HeuristicID(String(id))) else {
                    throw InputError(file: file, line: line, "unknown heuristic id \(id)")
                }
                mask |= 1 << UInt32(bit)
            }
            number += 1
            try check(ends[0], ends[1], number, file, line)
            batch.append((ends[0], ends[1], tx, mask))
            if batch.count == 1 << 16 { try flush() }
        }
        try flush()
    }
}
