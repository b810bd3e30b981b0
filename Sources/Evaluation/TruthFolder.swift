import ChainSources
import Clustering
import Foundation
import Investigation

/// One sample chain's answers (`truth/`): who owns each address, what each transaction was, which payment paid
/// each ad. Read by `spoor evaluate`, the corpus benchmark and tests only — never by the analysis.
///
/// Files (each may also be gzip-compressed, `NAME.gz`): `transactions.json`, `entities.json`, `ads.csv`.
public struct ChainTruth: Sendable {
    /// The chain's name: its folder's (the folder holding `truth/`).
    public var name: String
    public var folder: URL
    public var transactions: GroundTruth
    /// Entity → kind (`adsite`, `exchange`, `advertiser`, `user`, `miner`).
    public var entityKind: [String: String]
    /// Every address a wallet handed out → its owner.
    public var owner: [String: String]
    /// The ad site's addresses that appear on the chain.
    public var siteUsedAddresses: Set<String>
    public var ads: [TruthAd]

    public struct TruthAd: Sendable, Hashable {
        public var adID: String
        public var advertiser: String
        public var paid: Bool
        public var paymentTxid: String
        public var vout: Int?
        public var contact: String
        public var contactOwner: String
    }

    static let requiredFiles = ["transactions.json", "entities.json", "ads.csv"]

    /// - Parameter path: the truth folder, or the chain folder holding `truth/`.
    /// - Throws: `TruthError` naming the folder and every missing file, or the file and what is wrong with it.
    public init(path: String) throws(TruthError) {
        var dir = URL(fileURLWithPath: path)
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.appendingPathComponent("truth").path) { dir = dir.appendingPathComponent("truth") }
        func located(_ file: String) -> URL? {
            [file, file + ".gz"].map { dir.appendingPathComponent($0) }.first { fm.fileExists(atPath: $0.path) }
        }
        let missing = Self.requiredFiles.filter { located($0) == nil }
        guard missing.isEmpty else {
            throw TruthError(file: dir.path, message: "not a complete truth folder: missing \(missing.joined(separator: ", ")) (expected \(Self.requiredFiles.joined(separator: ", ")), each optionally .gz)")
        }
        folder = dir.deletingLastPathComponent()
        name = dir.lastPathComponent == "truth" ? folder.lastPathComponent : dir.lastPathComponent
        func bytes(_ file: String) throws(TruthError) -> (Data, String) {
            let url = located(file)!  // Present: checked above.
            do { return (try Self.contents(of: url), url.path) } catch {
                throw TruthError(file: url.path, message: "cannot read: \(error)")
            }
        }
        let (txData, txFile) = try bytes("transactions.json")
        transactions = try GroundTruth(transactionsJSON: txData, file: txFile)
        let (entityData, entityFile) = try bytes("entities.json")
        (entityKind, owner, siteUsedAddresses) = try Self.entities(entityData, file: entityFile)
        let (adData, adFile) = try bytes("ads.csv")
        ads = try Self.ads(adData, file: adFile)
    }

    /// A file's bytes, gunzipped when its name ends in `.gz`.
    static func contents(of url: URL) throws -> Data {
        guard url.pathExtension == "gz" else { return try Data(contentsOf: url) }
        let reader = try GzipLineReader(path: url.path)
        var out = Data()
        try reader.forEachLine { line, _ in
            out.append(contentsOf: line)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func entities(_ data: Data, file: String) throws(TruthError) -> ([String: String], [String: String], Set<String>) {
        struct RawAddress: Decodable { var used: Bool? }
        struct RawEntity: Decodable {
            var kind: String
            var addresses: [String: RawAddress]?
        }
        let raw: [String: RawEntity]
        do { raw = try JSONDecoder().decode([String: RawEntity].self, from: data) } catch {
            throw TruthError(file: file, message: "not an entities file (name → {kind, addresses}): \(error)")
        }
        var kinds: [String: String] = [:], owner: [String: String] = [:], site = Set<String>()
        for (name, e) in raw {
            kinds[name] = e.kind
            for (a, info) in e.addresses ?? [:] {
                owner[a] = name
                if e.kind == "adsite" && info.used == true { site.insert(a) }
            }
        }
        guard kinds.values.contains("adsite") else { throw TruthError(file: file, message: "no entity of kind adsite") }
        return (kinds, owner, site)
    }

    static func ads(_ data: Data, file: String) throws(TruthError) -> [TruthAd] {
        guard let text = String(data: data, encoding: .utf8) else { throw TruthError(file: file, message: "not UTF-8 text") }
        let table: CSVTable
        do { table = try CSVTable(text: text, file: file) } catch { throw TruthError(file: file, message: "\(error)") }
        let names = ["ad_id", "advertiser", "payment_txid", "vout", "contact", "contact_owner", "status"]
        let missing = names.filter { table.column($0) == nil }
        guard missing.isEmpty else { throw TruthError(file: file, message: "line 1: missing column(s) \(missing.joined(separator: ", "))") }
        let c = names.map { table.column($0)! }  // Present: checked above.
        return try table.rows.map { (line, f) throws(TruthError) in
            guard f.count > c.max()! else { throw TruthError(file: file, message: "line \(line): \(f.count) fields, expected \(table.header.count)") }
            let status = f[c[6]]
            guard status == "paid" || status == "unpaid" else {
                throw TruthError(file: file, message: "line \(line): status '\(status)' is neither paid nor unpaid")
            }
            return TruthAd(adID: f[c[0]], advertiser: f[c[1]], paid: status == "paid", paymentTxid: f[c[2]].lowercased(),
                           vout: Int(f[c[3]]), contact: f[c[4]], contactOwner: f[c[5]])
        }
    }

    /// Checks that this truth describes the chain in the case database: every truth transaction is in the
    /// database and the database's best chain holds no other.
    /// - Parameter databaseTxids: display-hex txids of the database's best-chain transactions.
    public func checkBelongs(to databaseTxids: Set<String>, database: String) throws(TruthError) {
        let truthTxids = transactions.transactions.keys
        let found = truthTxids.filter(databaseTxids.contains).count
        let file = folder.appendingPathComponent("truth").path
        // Regtest chains share their genesis block: a handful in common is still another chain.
        if found * 2 < truthTxids.count {
            throw TruthError(file: file, message: "belongs to another chain: \(found) of its \(truthTxids.count) transactions are in \(database) (\(databaseTxids.count) transactions)")
        }
        if found < truthTxids.count || databaseTxids.count != truthTxids.count {
            throw TruthError(file: file, message: "does not describe the chain in \(database): \(found) of its \(truthTxids.count) transactions are there, and the database's best chain holds \(databaseTxids.count); ingest the whole chain, or pass this chain's truth")
        }
    }
}
