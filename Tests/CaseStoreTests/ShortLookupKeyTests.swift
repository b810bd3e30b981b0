import BitcoinPrimitives
@testable import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Synchronization
import Testing

/// Lookups by txid and by address go through the short-key indexes (`Schema.txidMatches`, `addressMatches`):
/// SQLite must use them, and a shared short key must not confuse two values.
@Suite struct ShortLookupKeyTests {
    /// Every statement that compares a txid or an address text — the incremental ingest's prevout, duplicate and
    /// address lookups, and the read side's by-txid and by-address queries — is planned through `tx_txid_key` or
    /// `address_key`, never as a scan of `tx` or `address`. The statements are those SQLite runs, traced.
    @Test func everyLookupIsPlannedThroughAShortKeyIndex() throws {
        let blocks = try RegtestFixture.blocks()
        let path = try temporaryDatabasePath("short-keys")
        // Real addresses: their last characters are checksum, which the short key relies on.
        try ingest(RegtestFixture.items(blocks.prefix(60)), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let traced = Mutex<Set<String>>([])
        try db.queue.inDatabase { db in
            db.trace(options: .statement) { event in
                if case let .statement(s) = event { traced.withLock { _ = $0.insert(s.sql) } }
            }
        }
        var options = IngestOptions()
        options.network = .regtest
        try Ingestor(database: db, options: options)
            .ingest(ItemSource(RegtestFixture.items(blocks.dropFirst(60)), network: .regtest))

        let txid = blocks[70].transactions[0].txid
        let address = try #require(try db.read { try StoreQueries.addressStrings([5], $0)[5] })
        let found = try StoreQueries.transactions(txid, in: db).count
        #expect(found == 1)
        #expect(try StoreQueries.address(address, in: db) != nil)
        let ids: [Int64?] = try db.read { db in
            [try StoreQueries.addressIDs([address], db)[address].map(Int64.init),
             try ClusterRunStore.addressID(db, text: address).map(Int64.init),
             try ClusterStore.addressID(db, address)]
        }
        #expect(ids == [5, 5, 5])
        #expect(try db.read { try ClusterRunStore.bestChainTransactionID($0, txid: txid) } != nil)
        _ = try TagStore.insert([StoredTag(Tag(address: address, label: "x", origin: "t.csv"), addressID: nil)], into: db)
        #expect(try TagStore.all(in: db).first?.addressID == 5)
        #expect(try CaseEsploraFetchStore(database: db, network: .regtest).containsTransaction(txid))
        try db.queue.inDatabase { db in db.trace(options: .statement, nil) }
        // No index holds the whole text any more: the ingest's lookup before each insert keeps one row per address.
        let (rows, distinct) = try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM address") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT address) FROM address") ?? -1)
        }
        #expect(rows == distinct && rows > 5)

        let lookups = traced.withLock { $0 }.filter { !$0.hasPrefix("CREATE") && $0.contains("substr(") }
        // Distinct statements: the ingest's address, prevout and BIP30 lookups, the read side's by-txid ones (three),
        // by-address ones (two texts for five functions) and the tag join.
        #expect(lookups.count >= 8, "\(lookups.sorted())")
        try db.read { db throws in
            // The unresolved inputs are listed, never looked up by prevout: their index only has to list them.
            let unresolved = try RawStatement(db, "EXPLAIN QUERY PLAN SELECT id, prevTxid FROM input WHERE \(Schema.unresolvedInput)")
            #expect(try unresolved.step() && String(decoding: unresolved.blob(3), as: UTF8.self).contains("input_unresolved"))
            for sql in lookups {
                // Unbound parameters are NULL, which does not change the plan.
                let explain = try RawStatement(db, "EXPLAIN QUERY PLAN " + sql)
                var steps: [String] = []
                while try explain.step() { steps.append(String(decoding: explain.blob(3), as: UTF8.self)) }
                let plan = steps.joined(separator: "; ")
                #expect(plan.contains("INDEX tx_txid_key") || plan.contains("INDEX address_key"), "\(sql)\n→ \(plan)")
            }
        }
    }

    /// Values that share a short key (the same first 8 txid bytes, the same last 8 address characters) are told
    /// apart by the whole-value comparison; a value whose short key matches a stored one but is absent is absent.
    @Test func valuesSharingAShortKeyAreToldApart() throws {
        let db = try CaseDatabase(path: try temporaryDatabasePath("short-key-collisions"))
        let prefix = [UInt8](repeating: 0xab, count: 8)
        let txids = (1...3).map { Txid(digest: Digest32(bytes: prefix + [UInt8](repeating: UInt8($0), count: 24))!) }
        let addresses = ["1Aaaaaaa2345678x", "3Bbbbbbb2345678x", "bc1qcccccc2345678x"]
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO block(id, hash, height, prevHash, time, bits, version, merkleRoot, nonce, size,
                                  strippedSize, weight, txCount, inBestChain)
                VALUES (1, zeroblob(32), 0, zeroblob(32), 0, 0, 1, zeroblob(32), 0, 0, 0, 0, 2, 1)
                """)
            for (i, txid) in txids.prefix(2).enumerated() {
                try db.execute(sql: """
                    INSERT INTO tx(id, txid, blockId, position, version, lockTime, size, strippedSize, weight,
                                   isCoinbase, inputCount, outputCount) VALUES (?, ?, 1, ?, 1, 0, 0, 0, 0, 0, 0, 0)
                    """, arguments: [10 + i, txid.digest.data, i])
            }
            for (i, a) in addresses.prefix(2).enumerated() {
                try db.execute(sql: "INSERT INTO address(id, address, scriptKind) VALUES (?, ?, 0)", arguments: [20 + i, a])
            }
        }
        let found = try db.read { db in
            (try txids.map { try ClusterRunStore.bestChainTransactionID(db, txid: $0) },
             try addresses.map { try ClusterRunStore.addressID(db, text: $0) })
        }
        #expect(found.0 == [10, 11, nil])
        #expect(found.1 == [20, 21, nil])
        #expect(try StoreQueries.transactions(txids[1], in: db).map(\.txid) == [txids[1]])
    }

    /// A case written before v9, with the whole-value indexes, gets the short keys on its next writable open.
    @Test func anOlderCaseGetsTheShortKeysOnItsNextWritableOpen() throws {
        let path = try temporaryDatabasePath("v8-case")
        try ingest(RegtestFixture.items(try RegtestFixture.blocks()), into: path, classify: nil)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                DROP INDEX tx_txid_key; DROP INDEX address_key; DROP INDEX input_unresolved;
                CREATE INDEX tx_txid ON tx(txid);
                CREATE UNIQUE INDEX address_text ON address(address);
                CREATE INDEX input_unresolved ON input(prevTxid, prevVout)
                    WHERE spentOutputId IS NULL AND prevVout <> 4294967295;
                DELETE FROM grdb_migrations WHERE identifier = 'v9-short-lookup-keys';
                """)
        }
        try queue.close()
        let indexes = try CaseDatabase(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                .reduce(into: [String: String]()) { $0[$1["name"]] = $1["sql"] }
        }
        #expect(indexes["tx_txid"] == nil && indexes["address_text"] == nil)
        #expect(indexes["tx_txid_key"]?.contains("substr(txid, 1, 8)") == true)
        #expect(indexes["address_key"]?.contains("substr(address, -8)") == true)
        #expect(indexes["input_unresolved"]?.contains("input(prevVout)") == true)
    }
}
