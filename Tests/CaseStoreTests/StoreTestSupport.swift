import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// The 104-block regtest chain of Core's `rpc_getblockstats.json` test, decoded.
enum RegtestFixture {
    static func blocks() throws -> [Block] {
        let data = try Data(contentsOf: Fixtures.url("bitcoin-core/rpc_getblockstats.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let hexes = json?["blocks"] as? [String] ?? []
        return try hexes.map { try Block(bytes: try Hex.decode($0)) }
    }

    static func stats() throws -> [[String: Any]] {
        let data = try Data(contentsOf: Fixtures.url("bitcoin-core/rpc_getblockstats.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return json?["stats"] as? [[String: Any]] ?? []
    }

    /// Source items for blocks (heights left for the ingest to derive from the parents).
    static func items(_ blocks: some Sequence<Block>, file: String = "fixture") -> [SourceItem] {
        blocks.map { .block(SourceBlock(block: $0, height: nil, location: SourceLocation(file: file))) }
    }
}

/// A test classifier that needs no address codec: every script that is not OP_RETURN "pays" the address
/// `s:<script hex>`, so address rows, reuse and input addresses can be checked before the real codecs exist.
let hexScriptClassifier: ScriptClassify = { script in
    if script.first == 0x6a { return ScriptClassification(kind: .nulldata, address: nil) }
    return ScriptClassification(kind: .nonstandard, address: "s:" + Hex.encode(script))
}

/// A database in a fresh temporary folder.
func temporaryDatabasePath(_ label: String = "store") throws -> String {
    try Fixtures.temporaryDirectory(label).appendingPathComponent("case.sqlite").path
}

/// Ingests items into the database at `path` with the given batch size and returns the summary.
@discardableResult
func ingest(_ items: [SourceItem], into path: String, batchBlocks: Int = 5_000, network: Network = .regtest,
            classify: ScriptClassify? = hexScriptClassifier) throws -> IngestSummary {
    let db = try CaseDatabase(path: path)
    var options = IngestOptions()
    options.batchBlocks = batchBlocks
    options.network = network
    let ingestor = Ingestor(database: db, options: options, classify: classify)
    return try ingestor.ingest(ItemSource(items, network: network))
}

/// Every table's rows (ids included), in id order: two databases with equal dumps hold the same data.
func fullDump(_ path: String) throws -> [String] {
    let db = try CaseDatabase(path: path, mode: .readOnly)
    return try db.read { db in
        var lines: [String] = []
        for table in ["block", "tx", "output", "input", "address", "reorg", "meta", "clusterInput"] {
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1")
            for row in rows { lines.append("\(table) \(row.description)") }
        }
        let stale = try ClusterInputs.mismatches(db)
        #expect(stale.isEmpty, "clusterInput disagrees with the chain tables: \(stale.prefix(5))")
        try expectPrevTxidRule(db)
        return lines
    }
}

/// InputPrevTxid.swift: a linked input stores an empty `prevTxid`, an unlinked one its 32 bytes — in every
/// state the database reaches (after resolving later, reorgs, kills).
func expectPrevTxidRule(_ db: Database) throws {
    let broken = try Int64.fetchAll(db, sql: """
        SELECT id FROM input WHERE (spentOutputId IS NULL AND length(prevTxid) <> 32)
            OR (spentOutputId IS NOT NULL AND length(prevTxid) <> 0) LIMIT 5
        """)
    #expect(broken.isEmpty, "inputs breaking the prevTxid rule: \(broken)")
}

/// The chain's content without ids, in analysis order: databases built in different orders compare equal.
func canonicalDump(_ path: String) throws -> [String] {
    let db = try CaseDatabase(path: path, mode: .readOnly)
    return try db.read { db in
        var lines: [String] = []
        let stale = try ClusterInputs.mismatches(db)
        #expect(stale.isEmpty, "clusterInput disagrees with the chain tables: \(stale.prefix(5))")
        try expectPrevTxidRule(db)
        let txs = try Row.fetchAll(db, sql: """
            SELECT t.id, hex(t.txid) AS txid, b.height, t.position, t.fee FROM tx t LEFT JOIN block b ON b.id = t.blockId
            ORDER BY t.blockId IS NULL, b.height, t.position, t.txid
            """)
        for t in txs {
            let id: Int64 = t["id"]
            lines.append("tx \(t["txid"] as String) h=\(t["height"] as Int? ?? -1) p=\(t["position"] as Int? ?? -1) fee=\(t["fee"] as Int64? ?? -1)")
            for i in try Row.fetchAll(db, sql: """
                SELECT i.n, i.value, a.address, hex(st.txid) AS stx, so.n AS sn FROM input i
                LEFT JOIN address a ON a.id = i.addressId LEFT JOIN output so ON so.id = i.spentOutputId
                LEFT JOIN tx st ON st.id = so.txId WHERE i.txId = ? ORDER BY i.n
                """, arguments: [id]) {
                lines.append("  in \(i["n"] as Int) v=\(i["value"] as Int64? ?? -1) a=\(i["address"] as String? ?? "-") from=\(i["stx"] as String? ?? "-"):\(i["sn"] as Int? ?? -1)")
            }
            for o in try Row.fetchAll(db, sql: """
                SELECT o.n, o.value, a.address, hex(st.txid) AS stx, si.n AS sn FROM output o
                LEFT JOIN address a ON a.id = o.addressId LEFT JOIN input si ON si.id = o.spentByInputId
                LEFT JOIN tx st ON st.id = si.txId WHERE o.txId = ? ORDER BY o.n
                """, arguments: [id]) {
                lines.append("  out \(o["n"] as Int) v=\(o["value"] as Int64) a=\(o["address"] as String? ?? "-") by=\(o["stx"] as String? ?? "-"):\(o["sn"] as Int? ?? -1)")
            }
        }
        return lines
    }
}

/// Builds blocks on top of a chain for reorg and BIP30 tests, mined at regtest difficulty (a couple of hashes).
enum BlockFactory {
    static let regtestBits = RegtestMining.bits

    static func coinbase(height: Int, tag: UInt8 = 0, value: Int64 = 50 * 100_000_000,
                         script: [UInt8] = [0x51]) -> Transaction {
        var heightPush: [UInt8] = []
        var h = height
        repeat { heightPush.append(UInt8(h & 0xff)); h >>= 8 } while h > 0
        if let last = heightPush.last, last & 0x80 != 0 { heightPush.append(0) }
        let sig = [UInt8(heightPush.count)] + heightPush + [0x01, tag]
        return Transaction(version: 2, inputs: [TxIn(prevout: .null, scriptSig: sig)],
                           outputs: [TxOut(value: Amount(satoshis: value), scriptPubKey: script)], lockTime: 0)
    }

    static func spend(_ outpoints: [OutPoint], outputs: [(Int64, [UInt8])]) -> Transaction {
        Transaction(version: 2, inputs: outpoints.map { TxIn(prevout: $0, scriptSig: [0x51]) },
                    outputs: outputs.map { TxOut(value: Amount(satoshis: $0.0), scriptPubKey: $0.1) }, lockTime: 0)
    }

    static func block(on parent: BlockHash, time: UInt32, transactions: [Transaction], nonce: UInt32 = 0) -> Block {
        let root = Merkle.root(transactions.map(\.txid.digest))
        let header = BlockHeader(version: 0x2000_0000, previousBlockHash: parent, merkleRoot: root, time: time,
                                 bits: regtestBits, nonce: 0)
        // Distinct `nonce` tags start the search in distinct ranges, so they still give distinct blocks.
        return Block(header: RegtestMining.mine(header, startNonce: nonce &* 65_536), transactions: transactions)
    }
}

/// Serves `items` and runs `hook` once, just before serving item `at` (what another process does meanwhile).
final class HookSource: ChainSource {
    let network: Network? = .regtest
    let items: [SourceItem]
    let at: Int
    let hook: () throws -> Void
    private(set) var hookRan = false
    private var served = 0

    init(_ items: [SourceItem], at: Int, hook: @escaping () throws -> Void) {
        self.items = items
        self.at = at
        self.hook = hook
    }

    func next() throws -> SourceItem? {
        if served == at, !hookRan {
            hookRan = true
            try hook()
        }
        guard served < items.count else { return nil }
        defer { served += 1 }
        return items[served]
    }
}

extension HookSource {
    /// Serves `items` and fails, as a cut-short blk file does, when asked for item `failAfter`.
    static func failing(_ items: [SourceItem], failAfter: Int) -> HookSource {
        HookSource(items, at: failAfter) {
            throw SourceError("truncated block", at: SourceLocation(file: "blk00000.dat", byteOffset: 4242))
        }
    }
}
