import ChainIndex
import Foundation
import GRDB
import GRDBSQLite

/// The narrow clustering input the ingest keeps next to the chain tables (migration "v6-cluster-inputs"):
/// one row per stored transaction,
///
///     clusterInput(txId INTEGER PRIMARY KEY, blockId, position, flags, addresses BLOB)
///
/// `blockId`/`position` mirror `tx`; `flags` holds `CospendIndex.coinbaseFlag` and `equalOutputsFlag`;
/// `addresses` is the input address ids in input order, 4 bytes little endian each, `0xFFFFFFFF` for an
/// input without one (a coinbase, bare multisig, or a spent output not stored yet).
///
/// Migration "v7-cluster-input-details" adds `details BLOB`: for a CoinJoin candidate (not a coinbase, two or
/// more inputs, equal outputs; `CospendIndex.isCandidate`) the rest of what an exclusion reads, NULL for every
/// other transaction, so clustering never leaves this table:
///
///     version i32, lockTime u32, outputCount u32,
///     per input (as many as `addresses` holds): value i64, sequence u32, script kind u8,
///     per output: value i64, address id u32 (0xFFFFFFFF: none), script kind u8        (all little endian)
///
/// Why: a profile without change rules needs, for nearly every transaction, only its input addresses; reading
/// them from here is one sequential scan of a table of ~13 bytes per transaction plus 4 per input, instead of
/// four wide tables (`tx`, `input`, `output`, `address`). The rows are derived data: every write path that
/// changes what they mirror (new transactions, inputs resolved later, loose transactions confirmed, reorgs,
/// fetched transactions) updates them, and `mismatches` recomputes them from the wide tables so tests can
/// prove they agree. The migrations that created and filled the table are frozen in `ClusterInputMigrations`.
public enum ClusterInputs {
    public static let noAddress = ChainIndex.noAddress

    /// A candidate's details (see the type's documentation for the layout).
    struct Details {
        var bytes: [UInt8] = []
        init(version: Int32, lockTime: UInt32, outputCount: Int) {
            put(UInt32(bitPattern: version)); put(lockTime); put(UInt32(truncatingIfNeeded: outputCount))
        }
        @inline(__always) mutating func put(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        @inline(__always) mutating func put(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func input(value: Int64?, sequence: UInt32, kind: UInt8) { put(value ?? 0); put(sequence); bytes.append(kind) }
        mutating func output(value: Int64, addressId: Int64?, kind: UInt8) {
            put(value); put(addressId.map { UInt32(truncatingIfNeeded: $0) } ?? noAddress); bytes.append(kind)
        }
    }

    /// Appends one input's address id in the stored form.
    @inline(__always) static func append(_ addressId: Int64?, to blob: inout [UInt8]) {
        let a = addressId.map { UInt32(truncatingIfNeeded: $0) } ?? noAddress
        withUnsafeBytes(of: a.littleEndian) { blob.append(contentsOf: $0) }
    }

    /// One row as the wide tables describe it now (nil when the transaction is not stored).
    struct Row: Equatable, CustomStringConvertible {
        var txId: Int64
        var blockId: Int64?
        var position: Int64?
        var flags: Int64
        var addresses: [UInt8]
        var details: [UInt8]?
        var description: String {
            let ids = stride(from: 0, to: addresses.count - addresses.count % 4, by: 4).map { k -> String in
                let v = UInt32(addresses[k]) | UInt32(addresses[k + 1]) << 8 | UInt32(addresses[k + 2]) << 16 | UInt32(addresses[k + 3]) << 24
                return v == noAddress ? "-" : String(v)
            }
            return "tx \(txId) block \(blockId.map(String.init) ?? "-") position \(position.map(String.init) ?? "-") flags \(flags) inputs [\(ids.joined(separator: ","))] details \(details.map { "\($0.count) bytes" } ?? "-")"
        }
    }

    static func derive(_ db: Database, txId: Int64) throws -> Row? {
        let tx = try RawStatement(db, "SELECT blockId, position, isCoinbase, version, lockTime FROM tx WHERE id = ?")
        tx.bind(1, txId)
        guard try tx.step() else { tx.reset(); return nil }
        let blockId = tx.optionalInt64(0), position = tx.optionalInt64(1), coinbase = tx.int64(2) != 0
        let version = Int32(truncatingIfNeeded: tx.int64(3)), lockTime = UInt32(truncatingIfNeeded: tx.int64(4))
        tx.reset()
        var blob: [UInt8] = []
        var inputs: [(value: Int64?, sequence: UInt32, kind: UInt8)] = []
        let ins = try RawStatement(db, """
            SELECT i.addressId, i.value, i.sequence, a.scriptKind FROM input i LEFT JOIN address a ON a.id = i.addressId
            WHERE i.txId = ? ORDER BY i.n
            """)
        ins.bind(1, txId)
        while try ins.step() {
            append(ins.optionalInt64(0), to: &blob)
            inputs.append((ins.optionalInt64(1), UInt32(truncatingIfNeeded: ins.int64(2)), UInt8(truncatingIfNeeded: ins.optionalInt64(3) ?? 0)))
        }
        ins.reset()
        var outputs: [(value: Int64, addressId: Int64?, kind: UInt8)] = []
        let outs = try RawStatement(db, "SELECT value, addressId, scriptKind FROM output WHERE txId = ? ORDER BY n")
        outs.bind(1, txId)
        while try outs.step() { outputs.append((outs.int64(0), outs.optionalInt64(1), UInt8(truncatingIfNeeded: outs.int64(2)))) }
        outs.reset()
        let f = CospendIndex.flags(isCoinbase: coinbase, outputValues: outputs.map(\.value))
        var details: [UInt8]?
        if CospendIndex.isCandidate(flags: f, inputCount: inputs.count) {
            var d = Details(version: version, lockTime: lockTime, outputCount: outputs.count)
            for i in inputs { d.input(value: i.value, sequence: i.sequence, kind: i.kind) }
            for o in outputs { d.output(value: o.value, addressId: o.addressId, kind: o.kind) }
            details = d.bytes
        }
        return Row(txId: txId, blockId: blockId, position: position, flags: Int64(f), addresses: blob, details: details)
    }

    /// Rewrites the rows of these transactions from the wide tables (deleting those of transactions no longer
    /// stored). For the rare paths: inputs resolved after their transaction was written, reorgs, fetches.
    static func rebuild(_ db: Database, txIds: some Sequence<Int64>) throws {
        let upsert = try RawStatement(db, """
            INSERT OR REPLACE INTO clusterInput(txId, blockId, position, flags, addresses, details) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let delete = try RawStatement(db, "DELETE FROM clusterInput WHERE txId = ?")
        for id in txIds {
            guard let row = try derive(db, txId: id) else {
                delete.bind(1, id)
                try delete.run()
                continue
            }
            upsert.bind(1, row.txId); upsert.bind(2, row.blockId); upsert.bind(3, row.position); upsert.bind(4, row.flags)
            if let d = row.details { upsert.bind(6, copying: d) } else { upsert.bindNull(6) }
            try row.addresses.withUnsafeBytes { b in
                upsert.bind(5, borrowed: b)
                try upsert.run()
            }
        }
    }

    /// Rows that differ from what the wide tables say now (stored row, expected row), plus rows of
    /// transactions that are gone. Empty when the table is consistent. Reads everything: for tests and checks.
    public static func mismatches(_ db: Database) throws -> [String] {
        var problems: [String] = []
        var stored: [Int64: Row] = [:]
        let rows = try RawStatement(db, "SELECT txId, blockId, position, flags, addresses, details FROM clusterInput")
        while try rows.step() {
            stored[rows.int64(0)] = Row(txId: rows.int64(0), blockId: rows.optionalInt64(1), position: rows.optionalInt64(2),
                                        flags: rows.int64(3), addresses: rows.blob(4), details: rows.isNull(5) ? nil : rows.blob(5))
        }
        rows.reset()
        for id in try Int64.fetchAll(db, sql: "SELECT id FROM tx ORDER BY id") {
            let expected = try derive(db, txId: id)
            let have = stored.removeValue(forKey: id)
            if have != expected {
                problems.append("stored \(have.map(\.description) ?? "nothing"), expected \(expected.map(\.description) ?? "nothing")")
            }
        }
        for (_, row) in stored.sorted(by: { $0.key < $1.key }) { problems.append("stored \(row) for a transaction not stored") }
        return problems
    }
}

/// What the co-spend loader read: the transactions in chain order and what a run records about them.
public struct LoadedCospends {
    public var cospends: CospendIndex
    /// One past the largest address id.
    public var addressBound: Int
    /// Chain position of the last transaction loaded (nil when none was).
    public var lastPosition: ChainPosition?
    /// Sum of the loaded transaction ids (the incremental run's check that the chain only grew).
    public var idSum: Int64
}

extension ClusterStore {
    /// Appends a candidate (its details and the input addresses of its row) to `index`; false when the bytes
    /// do not hold as many inputs as `addresses` and the outputs they state.
    static func decodeDetails(_ d: UnsafeRawBufferPointer, id: UInt32, addresses: UnsafeRawBufferPointer,
                              into index: ChainIndex) -> Bool {
        let inputs = addresses.count / 4
        guard d.count >= 12 else { return false }
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: d.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func i64(_ at: Int) -> Int64 { Int64(littleEndian: d.loadUnaligned(fromByteOffset: at, as: Int64.self)) }
        let outputs = Int(u32(8))
        guard d.count == 12 + inputs * 13 + outputs * 13 else { return false }
        index.beginTransaction(storeID: id, version: Int32(bitPattern: u32(0)), lockTime: u32(4), isCoinbase: false)
        var at = 12
        for j in 0..<inputs {
            let a = UInt32(littleEndian: addresses.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self))
            index.appendInput(address: a, value: i64(at), kind: d[at + 12], sequence: u32(at + 8))
            at += 13
        }
        for _ in 0..<outputs {
            index.appendOutput(address: u32(at + 8), value: i64(at), kind: d[at + 12], spender: 0)
            at += 13
        }
        return true
    }

    /// Bytes of the database file the named tables and indexes occupy (SQLite's dbstat: whole pages).
    public static func storedBytes(_ db: Database, of names: [String]) throws -> Int64 {
        let list = names.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ",")
        return try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN (\(list))") ?? 0
    }

    /// Loads the co-spend view of every best-chain (and loose) transaction in chain order, optionally only those
    /// after `after`, from the narrow `clusterInput` table: one sequential scan, plus the full columns of the
    /// CoinJoin candidates (kept in each row's details) when `candidates` is true (profiles with CoinJoin
    /// exclusions).
    public static func loadCospends(_ db: Database, after: ChainPosition? = nil, candidates: Bool = true) throws -> LoadedCospends {
        let maxAddress = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1
        let bound = Int(max(0, maxAddress + 1))
        var lists = CospendRows()
        let candidateColumns = ChainIndex()  // in the order read
        var scan = try ClusterInputScan(db, after: after)
        defer { scan.finish() }
        while let row = try scan.next() {
            var candidate = -1
            if candidates && CospendIndex.isCandidate(flags: row.flags, inputCount: row.addresses.count / 4) {
                candidate = candidateColumns.txCount
                let d = scan.details
                guard decodeDetails(d, id: UInt32(truncatingIfNeeded: row.id), addresses: row.addresses, into: candidateColumns) else {
                    throw StoreError.badData("clusterInput row of CoinJoin candidate \(row.id) lacks valid details "
                                             + "(\(d.count) bytes); run spoor ingest to rebuild it", at: nil)
                }
            }
            lists.append(id: row.id, flags: row.flags, key: row.key, addresses: row.addresses, candidate: candidate)
        }
        for a in lists.addresses where a != ClusterInputs.noAddress && Int(a) >= bound {
            throw StoreError.badData("clusterInput names address \(a), but the largest address id is \(maxAddress)", at: nil)
        }
        // Only after a reorg or a confirmed loose transaction: ids no longer follow chain order.
        let full = lists.inChainOrder ? candidateColumns : lists.sortIntoChainOrder(candidates: candidateColumns)
        let cospends: CospendIndex
        do {
            cospends = try CospendIndex(txStoreID: lists.txIDs, flags: lists.flags, inputStart: lists.starts,
                                        inputAddress: lists.addresses, candidates: full, addressBound: bound)
        } catch {
            throw StoreError.badData("clusterInput disagrees with the chain tables: \(error); run spoor ingest to rebuild", at: nil)
        }
        let idSum = lists.txIDs.reduce(Int64(0)) { $0 &+ Int64($1) }
        return LoadedCospends(cospends: cospends, addressBound: bound, lastPosition: lists.keys.last.map(ChainOrderKey.position),
                              idSum: idSum)
    }
}

/// Chain order packed in 64 bits: height, then position in the block; loose transactions after every block,
/// by id (height field all ones).
enum ChainOrderKey {
    static let looseHeight: UInt64 = 0xFFFF_FFFF

    @inline(__always) static func block(height: Int64, position: Int64) -> UInt64 {
        UInt64(height) << 32 | UInt64(truncatingIfNeeded: position)
    }
    @inline(__always) static func loose(id: Int64) -> UInt64 { looseHeight << 32 | UInt64(truncatingIfNeeded: id) }
    static func key(_ p: ChainPosition) -> UInt64 {
        p.height == Int64.max ? loose(id: p.position) : block(height: p.height, position: p.position)
    }
    static func position(_ k: UInt64) -> ChainPosition {
        k >> 32 == looseHeight ? ChainPosition(height: Int64.max, position: Int64(k & 0xFFFF_FFFF))
                               : ChainPosition(height: Int64(k >> 32), position: Int64(k & 0xFFFF_FFFF))
    }
}

/// One pass over `clusterInput` in id order, yielding the rows of best-chain and loose transactions after a
/// chain position, each with its chain-order key; rows of stale blocks are passed over.
struct ClusterInputScan {
    struct Row {
        var id: Int64
        var key: UInt64
        var flags: UInt8
        /// The input address ids, 4 bytes little endian each; valid until the next step.
        var addresses: UnsafeRawBufferPointer
    }

    private let rows: RawStatement
    private let heights: [Int64]
    private let afterKey: UInt64?

    init(_ db: Database, after: ChainPosition?) throws {
        heights = try BestChainBlocks(db).height
        afterKey = after.map(ChainOrderKey.key)
        rows = try RawStatement(db, "SELECT txId, blockId, position, flags, addresses, details FROM clusterInput ORDER BY txId")
    }

    /// The current row's details column (a CoinJoin candidate's full columns); valid until the next step.
    var details: UnsafeRawBufferPointer { rows.blobBytes(5) }

    @inline(__always) mutating func next() throws -> Row? {
        while try rows.step() {
            let id = rows.int64(0)
            let k: UInt64
            if rows.isNull(1) {
                k = ChainOrderKey.loose(id: id)
            } else {
                let b = rows.int64(1)
                guard b >= 0 && b < Int64(heights.count), heights[Int(b)] >= 0 else { continue }  // stale block
                k = ChainOrderKey.block(height: heights[Int(b)], position: rows.int64(2))
            }
            if let afterKey, k <= afterKey { continue }
            let bytes = rows.blobBytes(4)
            guard bytes.count % 4 == 0 else {
                throw StoreError.badData("clusterInput row of transaction \(id) holds \(bytes.count) address bytes, not a multiple of 4", at: nil)
            }
            return Row(id: id, key: k, flags: UInt8(truncatingIfNeeded: rows.int64(3)), addresses: bytes)
        }
        return nil
    }

    func finish() { rows.reset() }
}

/// The co-spend lists `loadCospends` collects, in the order read, and whether that is chain order.
struct CospendRows {
    var txIDs: [UInt32] = [], flags: [UInt8] = [], keys: [UInt64] = [], starts: [Int] = [0], addresses: [UInt32] = []
    /// Per transaction, its place among the CoinJoin candidates' columns, -1 for none.
    var candidateOf: [Int] = []
    private(set) var inChainOrder = true

    mutating func append(id: Int64, flags f: UInt8, key: UInt64, addresses bytes: UnsafeRawBufferPointer, candidate: Int) {
        if let last = keys.last, key < last { inChainOrder = false }
        txIDs.append(UInt32(truncatingIfNeeded: id)); flags.append(f); keys.append(key); candidateOf.append(candidate)
        let n = bytes.count / 4, at = addresses.count
        addresses.append(contentsOf: repeatElement(ClusterInputs.noAddress, count: n))
        if n > 0 {
            addresses.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: at * 4).copyMemory(from: bytes.baseAddress!, byteCount: n * 4) }
            #if _endian(big)
            for i in at ..< addresses.count { addresses[i] = UInt32(littleEndian: addresses[i]) }
            #endif
        }
        starts.append(addresses.count)
    }

    /// Puts the lists in chain order and returns the candidates' columns in the same order.
    mutating func sortIntoChainOrder(candidates: ChainIndex) -> ChainIndex {
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var newStarts = [0], newAddresses: [UInt32] = []
        newAddresses.reserveCapacity(addresses.count)
        for t in order {
            newAddresses.append(contentsOf: addresses[starts[t]..<starts[t + 1]])
            newStarts.append(newAddresses.count)
        }
        txIDs = order.map { txIDs[$0] }; flags = order.map { flags[$0] }; keys = order.map { keys[$0] }
        candidateOf = order.map { candidateOf[$0] }
        starts = newStarts; addresses = newAddresses
        inChainOrder = true
        let sorted = ChainIndex()
        for c in candidateOf where c >= 0 { sorted.appendTransaction(c, of: candidates) }
        return sorted
    }
}

/// What a streamed co-spend run covered.
public struct CospendRun: Sendable {
    public var transactions: Int
    /// One past the largest address id.
    public var addressBound: Int
    public var lastPosition: ChainPosition?
    public var idSum: Int64
    /// CoinJoin candidates whose columns the exclusions read.
    public var candidates: Int
    /// False when ids were out of chain order and the run fell back to loading and sorting first.
    public var streamed: Bool

    public init(transactions: Int, addressBound: Int, lastPosition: ChainPosition?, idSum: Int64, candidates: Int, streamed: Bool) {
        self.transactions = transactions; self.addressBound = addressBound; self.lastPosition = lastPosition
        self.idSum = idSum; self.candidates = candidates; self.streamed = streamed
    }
}

extension ClusterStore {
    /// Passes every best-chain (and loose) transaction after `after` to `visitor`, straight from the narrow
    /// clustering input, row by row in one sequential scan, as C would: no intermediate copy of the lists.
    /// Rows come in id order, which is chain order unless a reorg or a confirmed loose transaction reordered
    /// them; then it stops and returns nil (the visitor is half-done: start over and `loadCospends`, which
    /// sorts). A candidate's columns are decoded into one reused one-transaction index: no allocation per
    /// candidate.
    public static func streamCospends(_ db: Database, after: ChainPosition?, into visitor: inout some CospendVisitor) throws -> CospendRun? {
        let bound = try ClusterRunStore.addressBound(db)
        let wantCandidates = visitor.wantsCandidates
        let full = ChainIndex()
        var count = 0, idSum: Int64 = 0, last: UInt64 = 0, started = false, candidateCount = 0
        var scan = try ClusterInputScan(db, after: after)
        defer { scan.finish() }
        while let row = try scan.next() {
            let id = row.id, bytes = row.addresses
            if started && row.key < last { return nil }
            started = true
            last = row.key
            var flags = row.flags
            let n = bytes.count / 4
            var candidate: ChainIndex?
            if wantCandidates && CospendIndex.isCandidate(flags: flags, inputCount: n) {
                let d = scan.details
                if d.count >= 12,
                   !visitor.wantsColumns(inputCount: n, outputCount: Int(UInt32(littleEndian: d.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))) {
                    // No rule of the profile can match these counts: a plain co-spend, no columns to decode.
                    flags &= ~CospendIndex.equalOutputsFlag
                }
            }
            if wantCandidates && CospendIndex.isCandidate(flags: flags, inputCount: n) {
                full.removeAll()
                guard decodeDetails(scan.details, id: UInt32(truncatingIfNeeded: id), addresses: bytes, into: full) else {
                    throw StoreError.badData("clusterInput row of CoinJoin candidate \(id) lacks valid details "
                                             + "(\(scan.details.count) bytes); run spoor ingest to rebuild it", at: nil)
                }
                candidateCount += 1
                candidate = full
            }
            do {
                try visitor.visit(tx: UInt32(truncatingIfNeeded: id), flags: flags, addresses: bytes, candidate: candidate)
            } catch {
                throw StoreError.badData("clusterInput: \(error)", at: nil)
            }
            count += 1
            idSum &+= id
        }
        let lastPosition: ChainPosition? = started ? ChainOrderKey.position(last) : nil
        return CospendRun(transactions: count, addressBound: bound, lastPosition: lastPosition, idSum: idSum,
                          candidates: candidateCount, streamed: true)
    }
}
