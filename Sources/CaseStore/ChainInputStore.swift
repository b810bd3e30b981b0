import BitcoinPrimitives
import ChainSources
import Foundation
import GRDB

/// The chain inputs an ingest read (`ChainInput`): table `chainInput`, migration "v8-chain-inputs".
///
/// One row per distinct input: a file (`location` its path, `sha256` of the bytes read — of the decompressed
/// text when `decompressed` is 1 —, `bytes` its size), a node (`location` its URL, `chain`, the height range
/// `firstHeight`…`tipHeight` read and `tipHash`, the block at its top), or an Esplora server (`location` its
/// base URL, `blockHashes` the 32-byte hashes of the blocks fetched from, concatenated in sorted order).
/// `firstIngestedAt` is when an ingest first recorded the row; an ingest that reads the same input again adds
/// nothing, and a file changed on disk adds a row of its own. Written only by `Ingestor`.
enum ChainInputStore {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v8-chain-inputs") { db in
            try db.execute(sql: """
                CREATE TABLE chainInput (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    location TEXT NOT NULL,
                    sha256 TEXT,
                    bytes INTEGER,
                    decompressed INTEGER NOT NULL,
                    chain TEXT,
                    firstHeight INTEGER,
                    tipHeight INTEGER,
                    tipHash BLOB,
                    blockHashes BLOB,
                    firstIngestedAt TEXT NOT NULL
                );
                """)
        }
    }

    /// Records `inputs`, each unless an identical row exists.
    static func record(_ db: Database, _ inputs: [ChainInput], at time: Date) throws {
        let stamp = ISO8601DateFormatter().string(from: time)
        for input in inputs {
            let blockHashes: Data? = input.blockHashes.isEmpty ? nil : Data(input.blockHashes.flatMap(\.digest.bytes))
            let values: [DatabaseValueConvertible?] = [
                input.kind.rawValue, input.location, input.sha256, input.bytes, input.decompressed ? 1 : 0, input.chain,
                input.firstHeight, input.tipHeight, input.tipHash.map { Data($0.digest.bytes) }, blockHashes,
            ]
            let exists = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM chainInput WHERE kind = ? AND location = ? AND sha256 IS ? AND bytes IS ?
                    AND decompressed = ? AND chain IS ? AND firstHeight IS ? AND tipHeight IS ? AND tipHash IS ?
                    AND blockHashes IS ?)
                """, arguments: StatementArguments(values)) ?? false
            if exists { continue }
            try db.execute(sql: """
                INSERT INTO chainInput(kind, location, sha256, bytes, decompressed, chain, firstHeight, tipHeight,
                                       tipHash, blockHashes, firstIngestedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: StatementArguments(values + [stamp]))
        }
    }

    /// Every recorded input, in the order they were first recorded.
    static func all(_ db: Database) throws -> [ChainInput] {
        try Row.fetchAll(db, sql: "SELECT * FROM chainInput ORDER BY id").map { row in
            var input = ChainInput(kind: ChainInput.Kind(rawValue: row["kind"]) ?? .file, location: row["location"])
            input.sha256 = row["sha256"]
            input.bytes = row["bytes"]
            input.decompressed = (row["decompressed"] as Int64? ?? 0) != 0
            input.chain = row["chain"]
            input.firstHeight = row["firstHeight"]
            input.tipHeight = row["tipHeight"]
            input.tipHash = (row["tipHash"] as Data?).flatMap { Digest32(bytes: $0) }.map(BlockHash.init(digest:))
            let hashes = row["blockHashes"] as Data? ?? Data()
            input.blockHashes = stride(from: 0, to: hashes.count - 31, by: 32).compactMap { start in
                Digest32(bytes: hashes[hashes.startIndex + start ..< hashes.startIndex + start + 32]).map(BlockHash.init(digest:))
            }
            return input
        }
    }
}

extension CaseDatabase {
    /// The chain inputs ingests have read into this case (`ChainInputStore`), in the order first recorded.
    public func chainInputs() throws -> [ChainInput] {
        try read { db in try ChainInputStore.all(db) }
    }
}
