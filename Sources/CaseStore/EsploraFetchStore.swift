import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import GRDB

/// The tables a fetch adds: its frontier (so an interrupted `spoor fetch` resumes) and the partial blocks it
/// stores (blocks of which only the fetched transactions are held).
enum FetchSchema {
    static func register(in m: inout DatabaseMigrator) {
        m.registerMigration("v4-fetch") { db in
            try db.execute(sql: """
                CREATE TABLE fetch_frontier (
                    id INTEGER PRIMARY KEY,
                    address TEXT UNIQUE,
                    txid BLOB UNIQUE,
                    hop INTEGER NOT NULL,
                    visited INTEGER NOT NULL DEFAULT 0,
                    expanded INTEGER NOT NULL DEFAULT 0,
                    cursor BLOB,
                    info BLOB,
                    CHECK ((address IS NULL) <> (txid IS NULL))
                );
                CREATE INDEX fetch_frontier_open ON fetch_frontier(hop, id) WHERE visited = 0 OR expanded = 0;
                CREATE TABLE partial_block (
                    blockId INTEGER PRIMARY KEY,
                    fullTxCount INTEGER NOT NULL
                );
                """)
        }
    }
}

/// The case database as the store of an Esplora crawl.
///
/// Fetched transactions go into the same tables as ingested ones. Their block gets a row of its own, listed in
/// `partial_block` with the whole block's transaction count, while `block.txCount` counts the transactions
/// actually stored; an ingest that later brings the whole block completes it (IngestState+PartialBlocks.swift). Inputs are linked to stored outputs where they can be, else take the value
/// and address the API stated for the spent output (and are linked when that transaction arrives). Each
/// transaction is written in one SQLite transaction: an interrupted fetch leaves whole transactions only.
public final class CaseEsploraFetchStore: EsploraFetchStore {
    public let database: CaseDatabase
    public let network: Network
    private let classifier: ScriptClassifier

    public init(database: CaseDatabase, network: Network) throws {
        if let stored = try database.network(), stored != network {
            throw StoreError.networkMismatch(database: stored.rawValue, source: network.rawValue)
        }
        self.database = database
        self.network = network
        classifier = ScriptClassifier(network: network)
    }

    // MARK: frontier

    public func enqueue(_ item: FetchItem, hop: Int, info: [UInt8]?) throws {
        try database.write { db in
            let (column, value) = Self.key(item)
            let infoData = info.map { Data($0) }
            if let row = try Row.fetchOne(db, sql: "SELECT id, hop FROM fetch_frontier WHERE \(column) = ?",
                                          arguments: [value]) {
                let known: Int = row["hop"]
                if let infoData {
                    try db.execute(sql: "UPDATE fetch_frontier SET info = ? WHERE id = ? AND visited = 0 AND info IS NULL",
                                   arguments: [infoData, row["id"] as Int64])
                }
                if hop < known {
                    try db.execute(sql: "UPDATE fetch_frontier SET hop = ?, visited = 0, expanded = 0 WHERE id = ?",
                                   arguments: [hop, row["id"] as Int64])
                }
                return
            }
            try db.execute(sql: "INSERT INTO fetch_frontier(\(column), hop, info) VALUES (?, ?, ?)",
                           arguments: [value, hop, infoData])
        }
    }

    private static func key(_ item: FetchItem) -> (String, DatabaseValueConvertible) {
        switch item {
        case .address(let a): return ("address", a)
        case .transaction(let t): return ("txid", t.digest.data)
        }
    }

    public func nextTask(maxHops: Int) throws -> FetchTask? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT address, txid, hop, cursor, info FROM fetch_frontier
                WHERE hop <= ?1 AND (visited = 0 OR (expanded = 0 AND hop < ?1))
                ORDER BY hop, id LIMIT 1
                """, arguments: [maxHops]) else { return nil }
            let cursor = row.digest("cursor").map { Txid(digest: $0) }
            if let address = row["address"] as String? {
                return FetchTask(item: .address(address), hop: row["hop"], cursor: cursor)
            }
            guard let digest = row.digest("txid") else {
                throw StoreError.badData("fetch_frontier holds a row with neither an address nor a txid", at: nil)
            }
            let info = (row["info"] as Data?).map { [UInt8]($0) }
            return FetchTask(item: .transaction(Txid(digest: digest)), hop: row["hop"], cursor: nil, info: info)
        }
    }

    public func reopen(_ address: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE fetch_frontier SET visited = 0, cursor = NULL WHERE address = ?",
                           arguments: [address])
        }
    }

    public func saveCursor(_ address: String, after: Txid) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE fetch_frontier SET cursor = ? WHERE address = ?",
                           arguments: [after.digest.data, address])
        }
    }

    public func finish(_ item: FetchItem, expanded: Bool) throws {
        try database.write { db in
            let (column, value) = Self.key(item)
            try db.execute(sql: "UPDATE fetch_frontier SET visited = 1, expanded = ?, info = NULL WHERE \(column) = ?",
                           arguments: [expanded ? 1 : 0, value])
        }
    }

    /// Items still to visit (for a progress line and the summary).
    public func openCount(maxHops: Int) throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM fetch_frontier WHERE hop <= ?1 AND (visited = 0 OR (expanded = 0 AND hop < ?1))
                """, arguments: [maxHops]) ?? 0
        }
    }

    // MARK: results

    public func containsTransaction(_ txid: Txid) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM tx WHERE txid = ?)", arguments: [txid.digest.data])
                ?? false
        }
    }

    public func containsBlock(_ hash: BlockHash) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM block WHERE hash = ?)",
                              arguments: [hash.digest.data]) ?? false
        }
    }

    public func store(_ fetched: FetchedTransaction, block: FetchedBlock?) throws {
        try database.write { db in try write(fetched, block: block, db) }
    }

    private func write(_ f: FetchedTransaction, block: FetchedBlock?, _ db: Database) throws {
        let tx = f.transaction
        let txidData = tx.txid.digest.data
        let location = SourceLocation(file: "esplora tx \(tx.txid.hex)")
        if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM tx WHERE txid = ?)", arguments: [txidData]) == true {
            return
        }
        try db.execute(sql: """
            INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING
            """, arguments: [MetaKey.network, network.rawValue])

        // The block: stored already (whole or partial), or new and partial.
        var isPartial = true
        let blockId: Int64
        if let row = try Row.fetchOne(db, sql: "SELECT id, height FROM block WHERE hash = ?",
                                      arguments: [f.blockHash.digest.data]) {
            blockId = row["id"]
            if let h = row["height"] as Int?, h != f.height {
                throw StoreError.sourcesDisagree("block \(f.blockHash) is at height \(f.height) per the API but at "
                                                 + "\(h) in the database", at: location)
            }
            isPartial = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM partial_block WHERE blockId = ?)",
                                          arguments: [blockId]) ?? false
            if !isPartial {
                // The whole block is stored but lacks this transaction: the API and the store disagree.
                throw StoreError.sourcesDisagree("block \(f.blockHash) is stored whole but does not hold "
                                                 + "transaction \(tx.txid)", at: location)
            }
        } else {
            guard let b = block, b.header.hash == f.blockHash else {
                throw StoreError.badData("block \(f.blockHash) of transaction \(tx.txid) was not fetched", at: location)
            }
            blockId = try nextId("block", db)
            try db.execute(sql: """
                INSERT INTO block(id, hash, height, prevHash, time, bits, version, merkleRoot, nonce, size,
                    strippedSize, weight, txCount, inBestChain) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,1)
                """, arguments: [blockId, b.header.hash.digest.data, b.height, b.header.previousBlockHash.digest.data,
                                 Int64(b.header.time), Int64(b.header.bits), Int64(b.header.version),
                                 b.header.merkleRoot.data, Int64(b.header.nonce), b.size, (b.weight - b.size) / 3,
                                 b.weight])
            try db.execute(sql: "INSERT INTO partial_block(blockId, fullTxCount) VALUES (?, ?)",
                           arguments: [blockId, b.transactionCount])
        }

        let txId = try nextId("tx", db)
        var inputId = try nextId("input", db)
        var outputId = try nextId("output", db)
        var inputSum: Int64 = 0
        var unknownInputs = 0
        let isCoinbase = tx.isCoinbase
        for (n, input) in tx.inputs.enumerated() {
            var spentOutputId: Int64?
            var addressId: Int64?
            var value: Int64?
            if !isCoinbase {
                let stated = n < f.prevouts.count ? f.prevouts[n] : nil
                if let found = try Row.fetchOne(db, sql: """
                    SELECT o.id, o.addressId, o.value FROM output o JOIN tx t ON t.id = o.txId
                    WHERE t.txid = ? AND o.n = ? ORDER BY t.id DESC LIMIT 1
                    """, arguments: [input.prevout.txid.digest.data, Int64(input.prevout.vout)]) {
                    spentOutputId = found["id"]
                    addressId = found["addressId"]
                    value = found["value"]
                    if let stated, let v = value, stated.value.satoshis != v {
                        throw StoreError.sourcesDisagree("input \(n) of \(tx.txid) spends \(input.prevout) worth "
                            + "\(stated.value.satoshis) sat per the API but \(v) sat as stored", at: location)
                    }
                    try db.execute(sql: "UPDATE output SET spentByInputId = ? WHERE id = ?",
                                   arguments: [inputId, spentOutputId])
                } else if let stated {
                    value = stated.value.satoshis
                    addressId = try address(for: stated.scriptPubKey, db).addressId
                }
                if let v = value { inputSum &+= v } else { unknownInputs += 1 }
            }
            try db.execute(sql: """
                INSERT INTO input(id, txId, n, prevTxid, prevVout, sequence, scriptSig, spentOutputId, addressId, value)
                VALUES (?,?,?,COALESCE(?, X''),?,?,?,?,?,?)
                """, arguments: [inputId, txId, n, spentOutputId == nil ? input.prevout.txid.digest.data : nil,
                                 Int64(input.prevout.vout),
                                 Int64(input.sequence), Data(input.scriptSig), spentOutputId, addressId, value])
            inputId += 1
        }

        var outputSum: Int64 = 0
        var touched: Set<Int64> = []
        for (n, out) in tx.outputs.enumerated() {
            let a = try address(for: out.scriptPubKey, db)
            outputSum &+= out.value.satoshis
            // An input stored earlier that spends this output: link both ways.
            var spender: Int64?
            if let waiting = try Row.fetchOne(db, sql: """
                SELECT id, txId, value FROM input WHERE prevTxid = ? AND prevVout = ? AND spentOutputId IS NULL
                ORDER BY id LIMIT 1
                """, arguments: [txidData, Int64(n)]) {
                let waitingId: Int64 = waiting["id"]
                if let statedValue = waiting["value"] as Int64?, statedValue != out.value.satoshis {
                    throw StoreError.sourcesDisagree("output \(n) of \(tx.txid) is worth \(out.value.satoshis) sat "
                        + "but a stored input states \(statedValue) sat for it", at: location)
                }
                spender = waitingId
                try db.execute(sql: "UPDATE input SET spentOutputId = ?, addressId = ?, value = ?, prevTxid = X'' WHERE id = ?",
                               arguments: [outputId, a.addressId, out.value.satoshis, waitingId])
                touched.insert(waiting["txId"])
            }
            try db.execute(sql: """
                INSERT INTO output(id, txId, n, value, scriptKind, addressId, script, spentByInputId)
                VALUES (?,?,?,?,?,?,COALESCE(?, X''),?)
                """, arguments: [outputId, txId, n, out.value.satoshis, Int64(a.kind), a.addressId,
                                 a.elide ? nil : Data(out.scriptPubKey), spender])
            outputId += 1
        }
        let fee: Int64? = isCoinbase ? 0 : (unknownInputs == 0 ? inputSum &- outputSum : nil)
        try db.execute(sql: """
            INSERT INTO tx(id, txid, blockId, position, version, lockTime, size, strippedSize, weight,
                isCoinbase, inputCount, outputCount, fee) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: [txId, txidData, blockId, f.position, Int64(tx.version), Int64(tx.lockTime), tx.size,
                             tx.strippedSize, tx.weight, isCoinbase ? 1 : 0, tx.inputs.count, tx.outputs.count, fee])
        if isPartial {
            try db.execute(sql: "UPDATE block SET txCount = txCount + 1 WHERE id = ?", arguments: [blockId])
        }
        // The narrow clustering rows of this transaction and of those whose inputs it resolved.
        try ClusterInputs.rebuild(db, txIds: [txId] + touched.sorted())
        // Transactions whose last unknown input value just arrived now have a fee.
        for id in touched.sorted() {
            try db.execute(sql: """
                UPDATE tx SET fee = CASE WHEN isCoinbase = 1 THEN 0 ELSE
                    (SELECT SUM(value) FROM input WHERE txId = ?1) - (SELECT SUM(value) FROM output WHERE txId = ?1)
                    END
                WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM input WHERE txId = ?1 AND value IS NULL
                    AND prevVout <> 4294967295)
                """, arguments: [id])
        }
    }

    private func nextId(_ table: String, _ db: Database) throws -> Int64 {
        (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)") ?? 0) + 1
    }

    /// Kind and address id of a script (creating the address row), and whether the output may store it empty
    /// (`OutputScript`: the address rebuilds exactly these bytes).
    private func address(for script: [UInt8], _ db: Database) throws -> (kind: UInt8, addressId: Int64?, elide: Bool) {
        let c = classifier.classify(script)
        guard let text = c.address else { return (c.kind.code, nil, false) }
        let elide = OutputScript.elidable(script, kind: c.kind, address: text)
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM address WHERE address = ?", arguments: [text]) {
            return (c.kind.code, id, elide)
        }
        let id = try nextId("address", db)
        try db.execute(sql: "INSERT INTO address(id, address, scriptKind) VALUES (?, ?, ?)",
                       arguments: [id, text, Int64(c.kind.code)])
        return (c.kind.code, id, elide)
    }
}
