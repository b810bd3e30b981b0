import BitcoinPrimitives
import GRDB

/// The case database's layout. Migrations are never edited once shipped: add a new one instead.
///
/// Tables hold plain SQL types only (no app types), with dense integer ids assigned by the ingest in chain
/// order, so analysis scans `input`/`output` sequentially by id:
/// - `block`: hashes as 32-byte BLOBs in internal byte order; `inBestChain` 0 for blocks a reorg disconnected.
/// - `tx`: `blockId` NULL for a loose transaction; `fee` NULL until every input has a value (0 for coinbases).
/// - `output`: `scriptKind` = `ScriptKind.code`; `spentByInputId` points at the spending input, or is -1
///   (`overwrittenSpender`) when a later coinbase with the same txid overwrote the unspent output (BIP30:
///   mainnet blocks 91842 and 91880 repeat the coinbases of 91812 and 91722; as in Core's UTXO set only the
///   later copy exists, so the earlier one counts as neither unspent nor in a balance); a bulk load sets the links
///   of outputs spent by later batches at its end (`DeferredSpends`). `script` is an
///   empty BLOB (never NULL: the column is NOT NULL) when the ingest checked that the output's kind and address
///   rebuild it exactly — P2PKH, P2SH, P2WPKH, P2WSH, P2TR, other witness versions, anchors; P2PK, multisig,
///   OP_RETURN and nonstandard scripts keep their bytes, as do rows written before that rule. Read it only
///   through `OutputScript.bytes`, which accepts both.
/// - `input`: `spentOutputId` points at the spent output; `addressId` and `value` are copied from it (or from
///   a prevout the source stated) so clustering scans inputs without joins. Coinbase inputs have
///   `prevVout = 4294967295` and a zero `prevTxid`. A linked input (`spentOutputId` set) stores an empty
///   `prevTxid`: its spent output's transaction names the txid (`InputPrevTxid`, the only way to read it;
///   rows written before that rule keep the 32 bytes).
/// - `address`: one row per distinct address string (the ingest looks each up before inserting it).
/// - Lookups by txid and by address text go through short-key indexes (v9): `txidMatches`, `addressMatches`.
/// - `clusterInput` (v6, v7): per transaction its input address ids and the flags and CoinJoin-candidate columns
///   clustering reads, derived from the tables above by every write path (`ClusterInputs.swift`).
/// - `chainInput` (v8): the files, nodes and Esplora servers ingests read, with file hashes (`ChainInputStore`).
/// Ordering for analysis: `block.height`, then `tx.position`; loose transactions after all blocks.
public enum Schema {
    /// The coinbase input's `prevVout` (the null outpoint's, 4294967295): no real output index is this large.
    /// Frozen migrations keep their own literal; everything else names this.
    public static let coinbaseVout = Int64(OutPoint.null.vout)
    /// SQL condition on `input`: its spent output is not stored (yet), and it is no coinbase input.
    static let unresolvedInput = "spentOutputId IS NULL AND prevVout <> \(coinbaseVout)"
    /// `output.spentByInputId` of an output a later transaction with the same txid overwrote (BIP30).
    public static let overwrittenSpender: Int64 = -1

    /// Every migration, in order. Long on purpose: each one's SQL is written out in full, frozen once shipped, and
    /// calls no application code (v6 and v7 bring their own copies in `ClusterInputMigrations`).
    static func migrator() -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                CREATE TABLE block (
                    id INTEGER PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    height INTEGER,
                    prevHash BLOB NOT NULL,
                    time INTEGER NOT NULL,
                    bits INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    merkleRoot BLOB NOT NULL,
                    nonce INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    strippedSize INTEGER NOT NULL,
                    weight INTEGER NOT NULL,
                    txCount INTEGER NOT NULL,
                    inBestChain INTEGER NOT NULL
                );
                CREATE INDEX block_height ON block(height);
                CREATE TABLE tx (
                    id INTEGER PRIMARY KEY,
                    txid BLOB NOT NULL,
                    blockId INTEGER,
                    position INTEGER,
                    version INTEGER NOT NULL,
                    lockTime INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    strippedSize INTEGER NOT NULL,
                    weight INTEGER NOT NULL,
                    isCoinbase INTEGER NOT NULL,
                    inputCount INTEGER NOT NULL,
                    outputCount INTEGER NOT NULL,
                    fee INTEGER
                );
                CREATE INDEX tx_txid ON tx(txid);
                CREATE INDEX tx_block ON tx(blockId, position);
                CREATE TABLE output (
                    id INTEGER PRIMARY KEY,
                    txId INTEGER NOT NULL,
                    n INTEGER NOT NULL,
                    value INTEGER NOT NULL,
                    scriptKind INTEGER NOT NULL,
                    addressId INTEGER,
                    script BLOB NOT NULL,
                    spentByInputId INTEGER
                );
                CREATE INDEX output_tx ON output(txId, n);
                CREATE TABLE input (
                    id INTEGER PRIMARY KEY,
                    txId INTEGER NOT NULL,
                    n INTEGER NOT NULL,
                    prevTxid BLOB NOT NULL,
                    prevVout INTEGER NOT NULL,
                    sequence INTEGER NOT NULL,
                    scriptSig BLOB NOT NULL,
                    spentOutputId INTEGER,
                    addressId INTEGER,
                    value INTEGER
                );
                CREATE INDEX input_tx ON input(txId, n);
                CREATE INDEX input_unresolved ON input(prevTxid, prevVout)
                    WHERE spentOutputId IS NULL AND prevVout <> 4294967295;
                CREATE TABLE address (
                    id INTEGER PRIMARY KEY,
                    address TEXT NOT NULL UNIQUE,
                    scriptKind INTEGER NOT NULL
                );
                CREATE TABLE reorg (
                    id INTEGER PRIMARY KEY,
                    forkHeight INTEGER NOT NULL,
                    oldTip BLOB NOT NULL,
                    newTip BLOB NOT NULL,
                    blocksDisconnected INTEGER NOT NULL,
                    transactionsRemoved INTEGER NOT NULL
                );
                """)
        }
        ClusterSchema.register(&m)
        TagSchema.register(&m)
        FetchSchema.register(in: &m)  // v4-fetch: the fetch frontier and partial blocks (EsploraFetchStore.swift)
        // v5: the address table's uniqueness moves from a column constraint to a named index, so a bulk load
        // into an empty database can build it once at the end (sorted) instead of row by row.
        m.registerMigration("v5-store-deferred-indexes") { db in
            try db.execute(sql: """
                CREATE TABLE address_v3 (
                    id INTEGER PRIMARY KEY,
                    address TEXT NOT NULL,
                    scriptKind INTEGER NOT NULL
                );
                INSERT INTO address_v3(id, address, scriptKind) SELECT id, address, scriptKind FROM address;
                DROP TABLE address;
                ALTER TABLE address_v3 RENAME TO address;
                CREATE UNIQUE INDEX address_text ON address(address);
                """)
        }
        ClusterInputMigrations.register(&m)  // v6, v7: the narrow clustering input (frozen: ClusterInputMigrations.swift)
        ChainInputStore.register(&m)  // v8: the chain inputs ingests read (ChainInputStore.swift)
        // v9: lookups by txid and by address go through short keys (`txidMatches`, `addressMatches`) instead of
        // indexes that held every txid and every address text a second time. The unresolved inputs' index only
        // lists them (the ingest reads them all into memory; nothing looks one up by prevout): keyed by prevVout
        // it no longer holds each one's 32-byte prevout txid a second time, and rows enter it near its end.
        m.registerMigration("v9-short-lookup-keys") { db in
            try db.execute(sql: """
                DROP INDEX IF EXISTS tx_txid;
                DROP INDEX IF EXISTS address_text;
                DROP INDEX IF EXISTS input_unresolved;
                CREATE INDEX IF NOT EXISTS tx_txid_key ON tx(substr(txid, 1, 8));
                CREATE INDEX IF NOT EXISTS address_key ON address(substr(address, -8));
                CREATE INDEX input_unresolved ON input(prevVout)
                    WHERE spentOutputId IS NULL AND prevVout <> 4294967295;
                """)
        }
        return m
    }

    /// Indexes an ingest into an empty database builds once at the end (sorted) instead of row by row: the
    /// random-order ones (txid and address keys), the per-transaction lookups and the address lookups. A database
    /// at rest always has them; an ingest that is killed part-way may leave them missing, and the next ingest (or
    /// `ensureIndexes`) creates them.
    public static let deferredIndexes = ["tx_txid_key", "tx_block", "output_tx", "input_tx", "address_key",
                                         "output_address", "input_address"]

    static func createDeferredIndexes(_ db: Database) throws {
        try CaseDatabase.sortingWholeTables(db) { try createDeferredIndexesNow(db) }
    }

    private static func createDeferredIndexesNow(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX IF NOT EXISTS tx_txid_key ON tx(substr(txid, 1, 8));
            CREATE INDEX IF NOT EXISTS tx_block ON tx(blockId, position);
            CREATE INDEX IF NOT EXISTS output_tx ON output(txId, n);
            CREATE INDEX IF NOT EXISTS input_tx ON input(txId, n);
            CREATE INDEX IF NOT EXISTS address_key ON address(substr(address, -8));
            CREATE INDEX IF NOT EXISTS output_address ON output(addressId) WHERE addressId IS NOT NULL;
            CREATE INDEX IF NOT EXISTS input_address ON input(addressId) WHERE addressId IS NOT NULL;
            """)
    }

    /// SQL that is true when `column` (a `tx.txid`) equals `value` (a 32-byte BLOB), written so SQLite finds the
    /// row through `tx_txid_key`: the index holds each txid's first 8 bytes, uniform for a hash, and the query
    /// names that expression exactly as the index does before comparing the whole txid. `value` is evaluated
    /// twice: pass a numbered parameter (`?1`) or a column, never a bare `?`. The unary `+` on the whole
    /// comparison keeps SQLite from propagating `value` into the key expression (its constant propagation), which
    /// would leave the key without a column and plan a scan.
    static func txidMatches(_ column: String, _ value: String) -> String {
        "substr(\(column), 1, 8) = substr(\(value), 1, 8) AND +\(column) = \(value)"
    }

    /// SQL that is true when `column` (an `address.address`) equals `value` (text), through `address_key`: the
    /// index holds each address's last 8 characters, which encode its checksum (Base58Check's 4 bytes, Bech32's
    /// 30 bits) and so spread like a hash. Uniqueness of the text is the ingest's (`IngestState.address(for:)`):
    /// no index holds the whole text. `value` is evaluated twice, as in `txidMatches`.
    static func addressMatches(_ column: String, _ value: String) -> String {
        "substr(\(column), -8) = substr(\(value), -8) AND +\(column) = \(value)"
    }

    static func dropDeferredIndexes(_ db: Database) throws {
        for name in deferredIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(name)") }
    }
}
