import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import GRDB

/// The case database's best chain read back as a chain source, so every writer of chain data (the bitcoin-etl
/// export first) works from a database as it does from files.
///
/// Blocks come in height order, then loose transactions in the order they were stored. Each input's prevout is
/// the output it was resolved to; where the store only knows a stated value and address (a fetched input whose
/// funding transaction was never stored), the script is rebuilt from the address, which fixes it exactly.
/// Witness data is not stored, so transactions are rebuilt from their parts with their stored sizes: the txid
/// is recomputed (and checked against the stored one), the wtxid is not known.
///
/// Blocks stored only in part (an Esplora fetch) are not yielded: a partial block would export a wrong
/// transaction count and merkle root. They are counted in `partialBlocksSkipped` for the caller to report.
public final class DatabaseChainSource: ChainSource {
    public let network: Network?
    public private(set) var partialBlocksSkipped = 0
    private let database: CaseDatabase
    private var blocks: [(id: Int64, height: Int?)] = []
    private var blockCursor = 0
    private var looseTransactions: [Int64] = []
    private var looseCursor = 0

    public init(database: CaseDatabase) throws {
        self.database = database
        network = try database.network()
        try database.read { db in
            let partial = Set(try Int64.fetchAll(db, sql: "SELECT blockId FROM partial_block"))
            for row in try Row.fetchAll(db, sql: """
                SELECT id, height FROM block WHERE inBestChain = 1 ORDER BY height, id
                """) {
                let id: Int64 = row["id"]
                if partial.contains(id) { partialBlocksSkipped += 1; continue }
                blocks.append((id, row["height"]))
            }
            looseTransactions = try Int64.fetchAll(db, sql: "SELECT id FROM tx WHERE blockId IS NULL ORDER BY id")
        }
    }

    private var location: SourceLocation { SourceLocation(file: database.path) }

    public func next() throws -> SourceItem? {
        if blockCursor < blocks.count {
            let (id, height) = blocks[blockCursor]
            blockCursor += 1
            return try database.read { db in try self.block(id: id, height: height, db) }
        }
        if looseCursor < looseTransactions.count {
            let id = looseTransactions[looseCursor]
            looseCursor += 1
            return try database.read { db in
                // `SourceItem.transaction` carries no prevouts: a loose transaction exports with the ones the
                // writer learns in the run.
                guard let tx = try self.transactions(where: "t.id = ?", id, db).0.first else {
                    throw SourceError("transaction row \(id) vanished while reading", at: self.location)
                }
                return .transaction(tx, self.location)
            }
        }
        return nil
    }

    private func block(id: Int64, height: Int?, _ db: Database) throws -> SourceItem {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM block WHERE id = ?", arguments: [id]),
              let hash = row.digest("hash"), let prev = row.digest("prevHash"), let merkle = row.digest("merkleRoot")
        else { throw SourceError("block row \(id) is incomplete", at: location) }
        let header = BlockHeader(version: Int32(truncatingIfNeeded: row["version"] as Int64),
                                 previousBlockHash: BlockHash(digest: prev), merkleRoot: merkle,
                                 time: UInt32(truncatingIfNeeded: row["time"] as Int64),
                                 bits: UInt32(truncatingIfNeeded: row["bits"] as Int64),
                                 nonce: UInt32(truncatingIfNeeded: row["nonce"] as Int64))
        guard header.hash.digest == hash else {
            throw SourceError("block row \(id): stored header fields hash to \(header.hash), not the stored "
                              + "\(BlockHash(digest: hash)); the database is damaged", at: location)
        }
        let (txs, prevouts) = try transactions(where: "t.blockId = ?", id, db)
        let block = Block(header: header, transactions: txs)
        return .block(SourceBlock(block: block, height: height, prevouts: prevouts, location: location))
    }

    /// Transactions matching `condition` (on `tx t`) in block order, with each input's prevout where known.
    private func transactions(where condition: String, _ argument: Int64, _ db: Database) throws
        -> ([Transaction], [[TxOut?]]) {
        var inputs: [Int64: [(TxIn, TxOut?)]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT i.txId, \(InputPrevTxid.column(input: "i")) AS prevTxid, i.prevVout, i.sequence, i.scriptSig,
                   i.value, o.id AS outId, o.script, o.scriptKind AS outKind, oa.address AS outAddress,
                   o.value AS outValue, a.address
            FROM input i JOIN tx t ON t.id = i.txId
            \(InputPrevTxid.joins(input: "i"))
            LEFT JOIN output o ON o.id = i.spentOutputId
            LEFT JOIN address oa ON oa.id = o.addressId
            LEFT JOIN address a ON a.id = i.addressId
            WHERE \(condition) ORDER BY i.txId, i.n
            """, arguments: [argument]) {
            let txId: Int64 = row["txId"]
            guard let prevTxid = row.digest("prevTxid") else {
                throw SourceError("input of transaction row \(txId) has no prevTxid", at: location)
            }
            let input = TxIn(prevout: OutPoint(txid: Txid(digest: prevTxid),
                                               vout: UInt32(truncatingIfNeeded: row["prevVout"] as Int64)),
                             scriptSig: [UInt8](row["scriptSig"] as Data? ?? Data()),
                             sequence: UInt32(truncatingIfNeeded: row["sequence"] as Int64))
            var prevout: TxOut?
            if let script = row["script"] as Data?, let value = row["outValue"] as Int64? {
                prevout = TxOut(value: Amount(satoshis: value),
                                scriptPubKey: try OutputScript.bytes(stored: [UInt8](script), kindCode: row["outKind"],
                                                                     address: row["outAddress"], outputId: row["outId"]))
            } else if let value = row["value"] as Int64?, let text = row["address"] as String?,
                      let address = try? Address(text, network: network ?? .main) {
                prevout = TxOut(value: Amount(satoshis: value), scriptPubKey: address.scriptPubKey)
            }
            inputs[txId, default: []].append((input, prevout))
        }
        var outputs: [Int64: [TxOut]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT o.id, o.txId, o.value, o.script, o.scriptKind, a.address FROM output o JOIN tx t ON t.id = o.txId
            LEFT JOIN address a ON a.id = o.addressId
            WHERE \(condition) ORDER BY o.txId, o.n
            """, arguments: [argument]) {
            let script = try OutputScript.bytes(stored: [UInt8](row["script"] as Data? ?? Data()), kindCode: row["scriptKind"],
                                                address: row["address"], outputId: row["id"])
            outputs[row["txId"], default: []].append(TxOut(value: Amount(satoshis: row["value"]), scriptPubKey: script))
        }
        var txs: [Transaction] = []
        var prevouts: [[TxOut?]] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT t.id, t.txid, t.version, t.lockTime, t.size, t.strippedSize FROM tx t
            WHERE \(condition) ORDER BY t.position, t.id
            """, arguments: [argument]) {
            let id: Int64 = row["id"]
            let ins = inputs[id] ?? []
            let size: Int = row["size"]
            let stripped: Int = row["strippedSize"]
            let tx = Transaction(version: Int32(truncatingIfNeeded: row["version"] as Int64), inputs: ins.map(\.0),
                                 outputs: outputs[id] ?? [], lockTime: UInt32(truncatingIfNeeded: row["lockTime"] as Int64),
                                 statedWtxid: nil, statedSize: size, statedStrippedSize: stripped,
                                 hasWitness: size != stripped)
            guard let stored = row.digest("txid"), tx.txid.digest == stored else {
                throw SourceError("transaction row \(id): its stored parts hash to \(tx.txid), not the stored txid; "
                                  + "the database is damaged", at: location)
            }
            txs.append(tx)
            prevouts.append(tx.isCoinbase ? [nil] : ins.map(\.1))
        }
        return (txs, prevouts)
    }
}
