import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex
import ChainSources
import Foundation
import GRDB

/// An unspent (as far as this session knows) output: what an input spending it copies.
struct CachedOutput {
    var outputId: Int64
    var addressId: Int64  // -1: no address
    var value: Int64
}

/// An input stored without its spent output, waiting for the transaction that created it.
struct PendingInput {
    var vout: UInt32
    var inputId: Int64
    var txId: Int64
    /// The value the source stated for the prevout, if any (checked when the output arrives).
    var statedValue: Int64?
}

struct ChainEntry {
    var id: Int64
    var height: Int?
    var bits: UInt32
    var txCount: Int
}

/// A competing branch being collected until it has more work than the stored chain above the fork.
struct PendingBranch {
    var forkHeight: Int
    var blocks: [(SourceBlock, Int)]
    var work: UInt256
    var storedWork: UInt256
    var storedTip: BlockHash
}

/// What the batch writer does with one source item, decided when the item is read.
enum IngestAction {
    case connect(SourceBlock, height: Int?)
    case loose(Transaction, SourceLocation)
    case reorg(forkHeight: Int, oldTip: BlockHash, branch: [(SourceBlock, Int)])
    /// The whole of a block stored partially by a fetch (IngestState+PartialBlocks.swift).
    case fill(SourceBlock, blockId: Int64)
    /// More transactions of a block stored partially, or a check that a stored block holds them (a fetch's
    /// partial block meeting a stored one; IngestState+PartialBlocks.swift).
    case addToStored(SourceBlock)
}

/// Staged rows of the open batch; written with multi-row-free prepared inserts at the end of the batch.
struct StagedTx {
    var id: Int64
    var txid: Txid
    var blockId: Int64?
    var position: Int?
    var version: Int32
    var lockTime: UInt32
    var size: Int
    var strippedSize: Int
    var isCoinbase: Bool
    var inputCount: Int
    var outputCount: Int
    var inputSum: Int64
    var unknownInputs: Int
    var outputSum: Int64

    var fee: Int64? {
        if isCoinbase { return 0 }
        return unknownInputs == 0 ? inputSum &- outputSum : nil
    }
}

struct StagedOutput {
    var id: Int64
    var txId: Int64
    var n: Int
    var value: Int64
    var kind: UInt8
    var addressId: Int64?
    /// Empty when the script is rebuilt from the address on read (`OutputScript`).
    var script: [UInt8]
    var spentBy: Int64?
}

struct StagedInput {
    var id: Int64
    var txId: Int64
    var n: Int
    var prevTxid: Digest32
    var prevVout: UInt32
    var sequence: UInt32
    var scriptSig: [UInt8]
    var spentOutputId: Int64?
    var addressId: Int64?
    var value: Int64?
}

struct StagedBlock {
    var id: Int64
    var header: BlockHeader
    var height: Int?
    var size: Int
    var strippedSize: Int
    var weight: Int
    var txCount: Int
    /// A block row that exists as stale (inBestChain 0) and comes back.
    var reactivate: Bool
}

/// What the ingest knows about one distinct output script.
struct ScriptEntry {
    /// -1: no address. First, so the entry packs into 16 bytes (a cache slot of 56 with its key).
    var addressId: Int64
    var kind: UInt8
    /// Stored as an empty BLOB: rebuilding from the kind and address gives these exact bytes.
    var elide: Bool
}

/// The rows of one batch: staged in memory, then written in one SQLite transaction. New rows carry dense ids
/// from `first…Id` on; the rest are updates to rows written before the batch.
struct StagedRows {
    var blocks: [StagedBlock] = []
    /// Blocks of `blocks` held only in part: id and the whole block's transaction count.
    var partialBlocks: [(blockId: Int64, transactionCount: Int)] = []
    var txs: [StagedTx] = []
    var outputs: [StagedOutput] = []
    var inputs: [StagedInput] = []
    /// New address rows of a bulk load (id, text, kind code); outside one they are inserted as they are met.
    var addresses: [(id: Int64, text: String, kind: Int64)] = []
    var firstTxId: Int64 = 1
    var firstOutputId: Int64 = 1
    var firstInputId: Int64 = 1
    var outputSpends: [(outputId: Int64, inputId: Int64)] = []
    var lateResolved: [(inputId: Int64, outputId: Int64, addressId: Int64?, value: Int64)] = []
    var touchedTxIds: Set<Int64> = []
    var attachments: [(txId: Int64, blockId: Int64, position: Int)] = []
    /// The chain tip after this batch, for its checkpoint.
    var tip: (hash: BlockHash, height: Int?)?

    /// Empties the arrays, keeping their capacity, for a batch whose new rows start at the given ids.
    mutating func reset(firstTxId: Int64, firstOutputId: Int64, firstInputId: Int64) {
        blocks.removeAll(keepingCapacity: true)
        partialBlocks.removeAll(keepingCapacity: true)
        txs.removeAll(keepingCapacity: true)
        outputs.removeAll(keepingCapacity: true)
        inputs.removeAll(keepingCapacity: true)
        addresses.removeAll(keepingCapacity: true)
        outputSpends.removeAll(keepingCapacity: true)
        lateResolved.removeAll(keepingCapacity: true)
        touchedTxIds.removeAll(keepingCapacity: true)
        attachments.removeAll(keepingCapacity: true)
        (self.firstTxId, self.firstOutputId, self.firstInputId) = (firstTxId, firstOutputId, firstInputId)
    }
}

/// The session of one `Ingestor`: caches that mirror committed rows, the chain view, and the open batch.
final class IngestState {
    let database: CaseDatabase
    let network: Network
    let options: IngestOptions
    let classify: ScriptClassify

    // Next free ids (dense: MAX(id) + 1).
    var nextBlockId: Int64 = 1
    var nextTxId: Int64 = 1
    var nextOutputId: Int64 = 1
    var nextInputId: Int64 = 1
    var nextAddressId: Int64 = 1

    // Caches.
    var utxo: [OutPoint: CachedOutput] = [:]
    /// Outputs spent by loose transactions: a block transaction may still claim them.
    var spentByLoose: [OutPoint: (CachedOutput, inputId: Int64)] = [:]
    /// A bulk load: the session began on an empty database, so every stored output is in `utxo` (or spent) and
    /// every address in `scriptCache`; a miss is final, no database lookup, and the deferred indexes are
    /// dropped until the end (see `Schema.deferredIndexes`).
    var bulkLoad = false
    /// Script → kind, address id, and whether the script is stored empty (`OutputScript.elidable`).
    var scriptCache: [ScriptKey: ScriptEntry] = [:]
    /// In a bulk load, P2PKH addresses by key hash: a P2PK output pays the same address as the P2PKH of its key.
    var keyHashAddressIds: [ScriptKey: Int64] = [:]
    var pending: [Txid: [PendingInput]] = [:]
    var looseTxids: [Txid: Int64] = [:]
    /// Blocks a fetch stored with only some of their transactions: block hash → block id.
    var partialBlocks: [BlockHash: Int64] = [:]

    // Chain view.
    var best: [BlockHash: ChainEntry] = [:]
    var bestAtHeight: [Int: BlockHash] = [:]
    var staleBlockIds: [BlockHash: Int64] = [:]
    var tip: (hash: BlockHash, height: Int?)?
    var branch: PendingBranch?

    // The open batch.
    var actions: [IngestAction] = []
    var actionTransactions = 0
    var actionBlocks = 0
    var summary = IngestSummary()

    /// The open batch's rows, staged in memory and written in one transaction (`writeStaged`).
    var staged = StagedRows()
    /// Writes of earlier batches in flight on the writer thread (bulk loads only; `IngestPipeline`).
    var pipeline: IngestPipeline?
    /// Set for the duration of a batch's write transaction.
    var statements: IngestStatements?

    /// The connection of the open write transaction. Staging a pipelined bulk load runs outside one and never
    /// looks rows up (every stored output and address is in the caches).
    func connection(_ db: Database?) throws -> Database {
        guard let db else {
            throw StoreError.sqlite(code: 21, message: "ingest lookup outside a write transaction", path: database.path)
        }
        return db
    }

    func sql() throws -> IngestStatements {
        guard let statements else {
            throw StoreError.sqlite(code: 21, message: "ingest statements used outside a write transaction",
                                    path: database.path)
        }
        return statements
    }

    init(database: CaseDatabase, network: Network, options: IngestOptions, classify: @escaping ScriptClassify) throws {
        self.database = database
        self.network = network
        self.options = options
        self.classify = classify
        try database.read { db in try load(db) }
        bulkLoad = nextTxId == 1 && nextAddressId == 1
        try database.write { db in
            if bulkLoad {
                try Schema.dropDeferredIndexes(db)
                try DeferredSpends.begin(db, fromInput: nextInputId)
            } else {
                // A killed bulk load leaves them missing; lookups below need them, and the spends below the
                // outputs' side of every earlier link.
                try Schema.createDeferredIndexes(db)
                try DeferredSpends.finish(db)
            }
        }
    }

    /// Ends bulk-load mode (a loose transaction, a reorg or a trimmed cache needs database lookups again). Every
    /// row staged in bulk-load mode must be written by now: the deferred spent-by links are set from them.
    func leaveBulkLoad(_ db: Database) throws {
        guard bulkLoad else { return }
        try Schema.createDeferredIndexes(db)
        try DeferredSpends.finish(db)
        bulkLoad = false
        keyHashAddressIds.removeAll()
    }

    /// Reads the ids, the chain view and the waiting inputs from the database.
    func load(_ db: Database) throws {
        func nextId(_ table: String) throws -> Int64 {
            (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)") ?? 0) + 1
        }
        nextBlockId = try nextId("block")
        nextTxId = try nextId("tx")
        nextOutputId = try nextId("output")
        nextInputId = try nextId("input")
        nextAddressId = try nextId("address")
        utxo.removeAll(keepingCapacity: true)
        spentByLoose.removeAll()
        scriptCache.removeAll(keepingCapacity: true)

        best.removeAll(); bestAtHeight.removeAll(); staleBlockIds.removeAll(); tip = nil
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, hash, height, bits, txCount, inBestChain FROM block ORDER BY height, id
            """)
        while let row = try rows.next() {
            guard let digest = row.digest("hash") else { continue }
            let hash = BlockHash(digest: digest)
            let id: Int64 = row["id"]
            if (row["inBestChain"] as Int64) == 0 {
                staleBlockIds[hash] = id
                continue
            }
            let height: Int? = row["height"]
            best[hash] = ChainEntry(id: id, height: height, bits: UInt32(truncatingIfNeeded: row["bits"] as Int64),
                                    txCount: row["txCount"])
            if let height {
                bestAtHeight[height] = hash
                if tip == nil || (tip?.height ?? -1) <= height { tip = (hash, height) }
            }
        }

        pending.removeAll()
        let waiting = try Row.fetchCursor(db, sql: """
            SELECT id, txId, prevTxid, prevVout, value FROM input
            WHERE \(Schema.unresolvedInput)
            """)
        while let row = try waiting.next() {
            guard let digest = row.digest("prevTxid") else { continue }
            pending[Txid(digest: digest), default: []].append(PendingInput(
                vout: UInt32(truncatingIfNeeded: row["prevVout"] as Int64), inputId: row["id"], txId: row["txId"],
                statedValue: row["value"]))
        }

        try loadPartialBlocks(db)
        looseTxids.removeAll()
        let loose = try Row.fetchCursor(db, sql: "SELECT id, txid FROM tx WHERE blockId IS NULL")
        while let row = try loose.next() {
            guard let digest = row.digest("txid") else { continue }
            looseTxids[Txid(digest: digest)] = row["id"]
        }
    }

    // MARK: Reading the source

    func run(_ source: some ChainSource, started: Date,
             progress: ((IngestProgress) -> Void)?) throws -> IngestSummary {
        summary = IngestSummary()
        var seenBlocks = 0
        var seenTransactions = 0
        var lastReport = Date.distantPast
        let sized = source as? any ProgressReportingSource
        while let item = try nextItem(source) {
            switch item {
            case .block(let sb):
                try judge(sb)
                seenBlocks += 1
                seenTransactions += sb.block.transactions.count
            case .transaction(let tx, let location):
                actions.append(.loose(tx, location))
                actionTransactions += 1
                seenTransactions += 1
            }
            if actionTransactions >= options.batchTransactions || actionBlocks >= options.batchBlocks {
                try commitBatch()
            }
            if let progress, seenBlocks & 63 == 0 {
                let now = Date()
                if now.timeIntervalSince(lastReport) >= 0.5 {
                    lastReport = now
                    progress(IngestProgress(blocks: seenBlocks, transactions: seenTransactions, height: tip?.height,
                                            seconds: now.timeIntervalSince(started),
                                            fractionComplete: sized?.fractionComplete))
                }
            }
        }
        if let b = branch {
            // The source ended before its branch overtook the stored chain: keep the stored chain.
            summary.ignoredBranches.append(IgnoredBranch(forkHeight: b.forkHeight,
                                                         tip: b.blocks.last.map { $0.0.block.hash } ?? .zero,
                                                         blocks: b.blocks.count))
            branch = nil
        }
        try commitBatch()
        try finishWrites()
        if let progress {
            progress(IngestProgress(blocks: seenBlocks, transactions: seenTransactions, height: tip?.height,
                                    seconds: Date().timeIntervalSince(started), fractionComplete: 1))
        }
        summary.tipHash = tip?.hash
        summary.tipHeight = tip?.height
        summary.unconnectedBlocks += source.unconnectedBlocks.count
        summary.unconnectedPieces += source.unconnectedPieces
        return summary
    }

    /// The source's next item. A fault in the source data (a cut-short last record, a corrupt block) ends the
    /// ingest with that fault, but the whole blocks read before it are committed first — as Core's reindex
    /// keeps every whole block before a cut — and the error says how many.
    private func nextItem(_ source: some ChainSource) throws -> SourceItem? {
        do {
            return try source.next()
        } catch var fault as SourceError {
            branch = nil
            try commitBatch()
            try finishWrites()
            fault.message += "; the \(summary.blocksAdded) block(s) and \(summary.transactionsAdded) transaction(s) "
                + "before it were stored"
            throw fault
        }
    }

    /// Decides what to do with a block: skip (stored), connect, or collect into a competing branch.
    func judge(_ sb: SourceBlock) throws {
        let block = sb.block
        let hash = block.hash
        try checkSelfConsistent(sb)
        if try extendBranch(with: sb) { return }
        if let known = best[hash] {
            try meetStored(sb, known: known)
            return
        }

        let prev = block.header.previousBlockHash
        var height = sb.height
        if let parent = best[prev], let ph = parent.height {
            if let h = height, h != ph + 1 {
                throw StoreError.sourcesDisagree("block \(hash) is stated at height \(h) but its parent \(prev) is "
                                                 + "at height \(ph) in the database", at: sb.location)
            }
            height = ph + 1
        }
        if height == nil {
            if prev == .zero { height = 0 } else { height = block.bip34Height }
        }

        if let h = height {
            if let occupant = bestAtHeight[h] {
                // Part of a block is no ground for a reorg: the stored chain stands.
                if sb.partial != nil {
                    throw StoreError.sourcesDisagree("block \(hash) is at height \(h) per the source, but the stored "
                                                     + "chain has block \(occupant) there", at: sb.location)
                }
                // A competing block at a stored height: a branch forking at h - 1.
                guard h > 0, bestAtHeight[h - 1] == prev else {
                    throw StoreError.chainMismatch("block \(hash) at height \(h) competes with the stored block "
                        + "\(occupant), but its parent \(prev) is not the stored block at height \(h - 1): the "
                        + "source's chain leaves the stored one further down; ingest it from the fork point",
                        at: sb.location)
                }
                try openBranch(with: sb, at: h, occupant: occupant)
                return
            }
            if h > 0, let below = bestAtHeight[h - 1], below != prev {
                throw StoreError.chainMismatch("block \(hash) at height \(h) builds on \(prev), but the stored block "
                    + "at height \(h - 1) is \(below); ingest the source from the fork point", at: sb.location)
            }
        }
        accept(sb, height: height)
        actions.append(.connect(sb, height: height))
        actionTransactions += block.transactions.count
        actionBlocks += 1
    }

    /// What a block says of itself: proof of work (and its structure, unless the source checked it), and stated
    /// prevouts that match its transactions' inputs.
    private func checkSelfConsistent(_ sb: SourceBlock) throws {
        let block = sb.block, hash = block.hash
        if options.checkConsensus {
            let fault = sb.structureChecked ? block.header.proofOfWorkFault(powLimit: network.powLimit)
                : block.consensusFault(powLimit: network.powLimit)
            if let fault { throw StoreError.badData("block \(hash): \(fault)", at: sb.location) }
        }
        if let prevouts = sb.prevouts {
            guard prevouts.count == block.transactions.count,
                  zip(prevouts, block.transactions).allSatisfy({ $0.count == $1.inputs.count }) else {
                throw StoreError.badData("block \(hash): the stated prevouts do not match the transactions' inputs",
                                         at: sb.location)
            }
        }
    }

    /// A block that follows the competing branch being collected joins it (true); any other block ends that
    /// branch, which is ignored (recorded in the summary).
    private func extendBranch(with sb: SourceBlock) throws -> Bool {
        guard var b = branch else { return false }
        let block = sb.block, hash = block.hash
        if block.header.previousBlockHash == b.blocks.last?.0.block.hash {
            let height = b.forkHeight + b.blocks.count + 1
            if let stated = sb.height, stated != height {
                throw StoreError.sourcesDisagree("block \(hash) is stated at height \(stated) but follows "
                                                 + "height \(height - 1)", at: sb.location)
            }
            b.blocks.append((sb, height))
            b.work = b.work + block.header.work
            branch = b
            try considerBranch()
            return true
        }
        summary.ignoredBranches.append(IgnoredBranch(forkHeight: b.forkHeight,
                                                     tip: b.blocks.last.map { $0.0.block.hash } ?? .zero,
                                                     blocks: b.blocks.count))
        branch = nil
        return false
    }

    /// A block the database already holds: more of a partly stored block, the rest of one, or a skip once its
    /// height and transaction count agree.
    private func meetStored(_ sb: SourceBlock, known: ChainEntry) throws {
        let block = sb.block, hash = block.hash
        if let stated = sb.height, let stored = known.height, stated != stored {
            throw StoreError.sourcesDisagree("block \(hash) is at height \(stated) here but at \(stored) in "
                                             + "the database", at: sb.location)
        }
        if sb.partial != nil {
            queueAddition(sb)
            return
        }
        if let blockId = partialBlocks.removeValue(forKey: hash) {
            fill(sb, blockId: blockId)
            return
        }
        if known.txCount != block.transactions.count {
            throw StoreError.sourcesDisagree("block \(hash) has \(block.transactions.count) transactions here "
                                             + "but \(known.txCount) in the database", at: sb.location)
        }
        summary.blocksSkipped += 1
    }

    /// A block competing with the stored block at height `h`: starts a branch forking at `h - 1`, with the work of
    /// the stored blocks from `h` up to weigh it against.
    private func openBranch(with sb: SourceBlock, at h: Int, occupant: BlockHash) throws {
        var storedWork = UInt256.zero
        var height = h
        var storedTip = occupant
        while let stored = bestAtHeight[height], let entry = best[stored] {
            storedWork = storedWork + UInt256.work(fromCompactBits: entry.bits)
            storedTip = stored
            height += 1
        }
        branch = PendingBranch(forkHeight: h - 1, blocks: [(sb, h)], work: sb.block.header.work,
                               storedWork: storedWork, storedTip: storedTip)
        try considerBranch()
    }

    /// Adds a block to the chain view (its rows are written with the batch).
    private func accept(_ sb: SourceBlock, height: Int?) {
        let hash = sb.block.hash
        best[hash] = ChainEntry(id: -1, height: height, bits: sb.block.header.bits,
                                txCount: sb.partial?.transactionCount ?? sb.block.transactions.count)
        if let height {
            bestAtHeight[height] = hash
            if tip == nil || (tip?.height ?? -1) <= height { tip = (hash, height) }
        } else if tip == nil {
            tip = (hash, nil)
        }
    }

    /// Applies the pending branch once it has more work than the stored blocks above its fork.
    private func considerBranch() throws {
        guard let b = branch else { return }
        if b.storedWork < b.work {
            branch = nil
            // Chain view: drop the stored blocks above the fork, take the branch.
            var h = b.forkHeight + 1
            while let hash = bestAtHeight[h] {
                bestAtHeight[h] = nil
                best.removeValue(forKey: hash)
                h += 1
            }
            tip = bestAtHeight[b.forkHeight].map { ($0, b.forkHeight) }
            for (sb, height) in b.blocks { accept(sb, height: height) }
            actions.append(.reorg(forkHeight: b.forkHeight, oldTip: b.storedTip, branch: b.blocks))
            actionTransactions += b.blocks.reduce(0) { $0 + $1.0.block.transactions.count }
            actionBlocks += b.blocks.count
            return
        }
        if b.blocks.count > options.maxBranchBlocks {
            throw StoreError.chainMismatch("the source's chain leaves the stored one at height \(b.forkHeight) and "
                + "runs \(b.blocks.count) blocks without overtaking it: these look like different chains (another "
                + "network or database?)", at: b.blocks.last?.0.location)
        }
    }

    // MARK: Committing a batch

    func commitBatch() throws {
        guard !actions.isEmpty else { return }
        let batch = actions
        actions.removeAll(keepingCapacity: true)
        actionTransactions = 0
        actionBlocks = 0
        if try !commitPipelined(batch) {
            try commitInOneTransaction(batch)
        }
        try trimCaches()
    }

    /// Stages and writes a batch inside one write transaction (staging may look rows up).
    private func commitInOneTransaction(_ batch: [IngestAction]) throws {
        try finishWrites()
        let tStart = ThreadClock.now()
        var tStaged = 0.0, tWritten = 0.0
        try database.queue.write { db in
            self.statements = try IngestStatements(db)
            defer { self.statements = nil }
            try self.beginStaging()
            defer { tWritten = ThreadClock.now() }
            for action in batch {
                switch action {
                case let .connect(sb, height):
                    try self.stageBlock(sb, height: height, db)
                case let .loose(tx, location):
                    try self.stageLoose(tx, at: location, db)
                case let .fill(sb, blockId):
                    try self.stageFill(sb, blockId: blockId, db)
                case let .addToStored(sb):
                    try self.stageAddition(sb, db)
                case let .reorg(forkHeight, oldTip, blocks):
                    try self.writeStaged(db)
                    try self.disconnect(above: forkHeight, oldTip: oldTip,
                                        newTip: blocks.last?.0.block.hash ?? oldTip, db)
                    for (sb, height) in blocks { try self.stageBlock(sb, height: height, db) }
                }
            }
            tStaged = ThreadClock.now()
            try self.writeBatch(db)
        }
        let tEnd = ThreadClock.now()
        summary.timing.stageSeconds += tStaged - tStart
        summary.timing.writeSeconds += tWritten - tStaged
        summary.timing.commitSeconds += tEnd - tWritten
    }

    /// Writes the open batch's rows with the checkpoint of the chain tip after them.
    func writeBatch(_ db: Database) throws {
        staged.tip = tip
        try write(staged, db)
        try writeCheckpoint(staged, db)
    }

    private func trimCaches() throws {
        guard utxo.count > options.maxCachedOutputs || scriptCache.count > options.maxCachedScripts else { return }
        try finishWrites()
        if bulkLoad { try database.write { db in try leaveBulkLoad(db) } }
        if utxo.count > options.maxCachedOutputs { utxo.removeAll() }
        if scriptCache.count > options.maxCachedScripts { scriptCache.removeAll() }
    }

    func beginStaging() throws {
        staged.reset(firstTxId: nextTxId, firstOutputId: nextOutputId, firstInputId: nextInputId)
    }

    func stageBlock(_ sb: SourceBlock, height: Int?, _ db: Database?) throws {
        let block = sb.block
        let blockId: Int64
        var reactivate = false
        if let staleId = staleBlockIds.removeValue(forKey: block.hash) {
            blockId = staleId
            reactivate = true
        } else {
            blockId = nextBlockId
            nextBlockId += 1
        }
        if let partial = sb.partial {
            staged.blocks.append(StagedBlock(id: blockId, header: block.header, height: height, size: partial.size,
                                            strippedSize: (partial.weight - partial.size) / 3, weight: partial.weight,
                                            txCount: block.transactions.count, reactivate: reactivate))
            staged.partialBlocks.append((blockId, partial.transactionCount))
            partialBlocks[block.hash] = blockId
        } else {
            staged.blocks.append(StagedBlock(id: blockId, header: block.header, height: height, size: block.size,
                                            strippedSize: block.strippedSize, weight: block.weight,
                                            txCount: block.transactions.count, reactivate: reactivate))
        }
        summary.blocksAdded += 1
        for (k, tx) in block.transactions.enumerated() {
            let position = sb.partial?.positions[k] ?? k
            if !looseTxids.isEmpty, let looseId = looseTxids.removeValue(forKey: tx.txid) {
                staged.attachments.append((looseId, blockId, position))
                summary.transactionsConfirmed += 1
                // Spends made as a loose transaction now stand confirmed.
                for input in tx.inputs where !input.prevout.isNull {
                    spentByLoose.removeValue(forKey: input.prevout)
                }
                continue
            }
            try stageTransaction(tx, blockId: blockId, position: position, stated: sb.prevouts?[k],
                                 location: sb.location, db)
        }
    }

    func stageLoose(_ tx: Transaction, at location: SourceLocation, _ db: Database) throws {
        // Whether it is stored already is a txid lookup: that needs the index. The blocks staged before it in
        // this batch are written first, so the end of the bulk load sets their deferred spent-by links too.
        if bulkLoad { try writeStaged(db) }
        try leaveBulkLoad(db)
        let txid = tx.txid
        if looseTxids[txid] != nil {
            summary.transactionsSkipped += 1
            return
        }
        let exists = try sql().txExists()
        var found = false
        withUnsafeBytes(of: txid.digest) { exists.bind(1, borrowed: $0) }
        found = try exists.step()
        exists.reset()
        if found {
            summary.transactionsSkipped += 1
            return
        }
        looseTxids[txid] = nextTxId
        try stageTransaction(tx, blockId: nil, position: nil, stated: nil, location: location, db)
    }

    /// Assigns ids to one transaction's rows, resolves its inputs and offers its outputs to later spenders.
    func stageTransaction(_ tx: Transaction, blockId: Int64?, position: Int?, stated: [TxOut?]?,
                          location: SourceLocation, _ db: Database?) throws {
        let txId = nextTxId
        nextTxId += 1
        let txid = tx.txid
        let isCoinbase = tx.isCoinbase
        var txRow = StagedTx(id: txId, txid: txid, blockId: blockId, position: position, version: tx.version,
                              lockTime: tx.lockTime, size: tx.size, strippedSize: tx.strippedSize,
                              isCoinbase: isCoinbase, inputCount: tx.inputs.count, outputCount: tx.outputs.count,
                              inputSum: 0, unknownInputs: 0, outputSum: 0)

        for (n, input) in tx.inputs.enumerated() {
            let inputId = nextInputId
            nextInputId += 1
            var row = StagedInput(id: inputId, txId: txId, n: n, prevTxid: input.prevout.txid.digest,
                                  prevVout: input.prevout.vout, sequence: input.sequence, scriptSig: input.scriptSig,
                                  spentOutputId: nil, addressId: nil, value: nil)
            if !isCoinbase {
                let statedOut = stated?[n]
                if let found = try findOutput(input.prevout, spenderId: inputId, isBlockTx: blockId != nil,
                                              location: location, db) {
                    if let statedOut, statedOut.value.satoshis != found.value {
                        throw StoreError.sourcesDisagree("input \(n) of \(txid) spends \(input.prevout) worth "
                            + "\(statedOut.value.satoshis) sat per the source but \(found.value) sat as stored",
                            at: location)
                    }
                    row.spentOutputId = found.outputId
                    row.addressId = found.addressId >= 0 ? found.addressId : nil
                    row.value = found.value
                } else {
                    if let statedOut {
                        row.value = statedOut.value.satoshis
                        let a = try address(for: statedOut.scriptPubKey, db)
                        row.addressId = a.addressId >= 0 ? a.addressId : nil
                    }
                    pending[input.prevout.txid, default: []].append(PendingInput(
                        vout: input.prevout.vout, inputId: inputId, txId: txId, statedValue: row.value))
                }
                if let v = row.value { txRow.inputSum &+= v } else { txRow.unknownInputs += 1 }
            }
            staged.inputs.append(row)
        }

        // A coinbase repeating an earlier one's txid (BIP30) overwrites its unspent outputs, as in Core's UTXO
        // set: those held in memory are replaced below, those only in the database are looked up here.
        var overwritten = Set<Int64>()
        if isCoinbase, !bulkLoad {
            for id in try Int64.fetchAll(try connection(db), sql: """
                SELECT o.id FROM output o JOIN tx t ON t.id = o.txId
                WHERE \(Schema.txidMatches("t.txid", "?1")) AND o.spentByInputId IS NULL
                """, arguments: [txid.digest.data]) where overwritten.insert(id).inserted {
                markSpent(id, by: Schema.overwrittenSpender)
            }
        }
        var outputSum: Int64 = 0
        for (n, out) in tx.outputs.enumerated() {
            let outputId = nextOutputId
            nextOutputId += 1
            let a = try address(for: out.scriptPubKey, db)
            let value = out.value.satoshis
            outputSum &+= value
            staged.outputs.append(StagedOutput(id: outputId, txId: txId, n: n, value: value, kind: a.kind,
                                              addressId: a.addressId >= 0 ? a.addressId : nil,
                                              script: a.elide ? [] : out.scriptPubKey, spentBy: nil))
            // A later transaction with the same txid (BIP30) replaces the entry, as in Core's UTXO set.
            let entry = CachedOutput(outputId: outputId, addressId: a.addressId, value: value)
            if let earlier = utxo.updateValue(entry, forKey: OutPoint(txid: txid, vout: UInt32(n))),
               overwritten.insert(earlier.outputId).inserted {
                markSpent(earlier.outputId, by: Schema.overwrittenSpender)
            }
        }
        txRow.outputSum = outputSum
        staged.txs.append(txRow)
        summary.transactionsAdded += 1
        summary.inputsAdded += tx.inputs.count
        summary.outputsAdded += tx.outputs.count

        if !pending.isEmpty, let waiting = pending.removeValue(forKey: txid) {
            try resolveWaiting(waiting, txid: txid, outputCount: tx.outputs.count, location: location)
        }
    }

    /// Links inputs stored (or staged) earlier to the outputs of the transaction that just arrived.
    private func resolveWaiting(_ waiting: [PendingInput], txid: Txid, outputCount: Int,
                                location: SourceLocation) throws {
        var still: [PendingInput] = []
        for w in waiting {
            guard Int(w.vout) < outputCount,
                  let cached = utxo.removeValue(forKey: OutPoint(txid: txid, vout: w.vout)) else {
                still.append(w)
                continue
            }
            if let stated = w.statedValue, stated != cached.value {
                throw StoreError.sourcesDisagree("an input stored earlier spends \(txid):\(w.vout) as worth \(stated) "
                    + "sat, but the output is worth \(cached.value) sat", at: location)
            }
            markSpent(cached.outputId, by: w.inputId)
            let addressId = cached.addressId >= 0 ? cached.addressId : nil
            if w.inputId >= staged.firstInputId {
                let i = Int(w.inputId - staged.firstInputId)
                staged.inputs[i].spentOutputId = cached.outputId
                staged.inputs[i].addressId = addressId
                if staged.inputs[i].value == nil {
                    staged.inputs[i].value = cached.value
                    let t = Int(w.txId - staged.firstTxId)
                    staged.txs[t].unknownInputs -= 1
                    staged.txs[t].inputSum &+= cached.value
                }
            } else {
                staged.lateResolved.append((w.inputId, cached.outputId, addressId, cached.value))
                staged.touchedTxIds.insert(w.txId)
                summary.inputsResolvedLater += 1
            }
        }
        if !still.isEmpty { pending[txid, default: []] += still }
    }

    /// Links an output to its spender (or marks it overwritten). An output of an earlier batch spent during a bulk
    /// load is left for the sorted pass at its end (`DeferredSpends`): the spending input's `spentOutputId`,
    /// written with this batch, already records the link.
    private func markSpent(_ outputId: Int64, by inputId: Int64) {
        if outputId >= staged.firstOutputId {
            staged.outputs[Int(outputId - staged.firstOutputId)].spentBy = inputId
        } else if !(bulkLoad && inputId >= 0) {
            staged.outputSpends.append((outputId, inputId))
        }
    }

    /// The output an input spends: from memory, else from the database (unless everything is in memory).
    private func findOutput(_ outpoint: OutPoint, spenderId: Int64, isBlockTx: Bool, location: SourceLocation,
                            _ db: Database?) throws -> CachedOutput? {
        if let cached = utxo.removeValue(forKey: outpoint) {
            markSpent(cached.outputId, by: spenderId)
            if !isBlockTx { spentByLoose[outpoint] = (cached, spenderId) }
            return cached
        }
        if !spentByLoose.isEmpty, let (cached, _) = spentByLoose[outpoint] {
            // Already spent by a loose transaction: a block transaction takes the spend over; another loose one
            // (a conflicting, replaced transaction) just learns the value and address.
            if isBlockTx {
                spentByLoose[outpoint] = nil
                markSpent(cached.outputId, by: spenderId)
            }
            return cached
        }
        if bulkLoad { return nil }
        let q = try sql().findOutput()
        withUnsafeBytes(of: outpoint.txid.digest) { q.bind(1, borrowed: $0) }
        q.bind(2, Int64(outpoint.vout))
        guard try q.step() else { q.reset(); return nil }
        let found = CachedOutput(outputId: q.int64(0), addressId: q.optionalInt64(1) ?? -1, value: q.int64(2))
        let spender = q.optionalInt64(3)
        q.reset()
        if let spender, spender != spenderId {
            let spenderInBlock = try Int64.fetchOne(try connection(db), sql: """
                SELECT t.blockId FROM input i JOIN tx t ON t.id = i.txId WHERE i.id = ?
                """, arguments: [spender]) != nil
            if isBlockTx && spenderInBlock {
                throw StoreError.sourcesDisagree("\(outpoint) is spent twice: by stored input \(spender) and by "
                                                 + "a transaction of this source", at: location)
            }
            if isBlockTx { markSpent(found.outputId, by: spenderId) }
            return found
        }
        markSpent(found.outputId, by: spenderId)
        if !isBlockTx { spentByLoose[outpoint] = (found, spenderId) }
        return found
    }

    /// The kind and address id of an output script, creating the address row on first sight, and whether the
    /// script can be stored empty because its address rebuilds it exactly (checked here, once per script).
    func address(for script: [UInt8], _ db: Database?) throws -> ScriptEntry {
        let key = ScriptKey(script)
        if let hit = scriptCache[key] { return hit }
        let c = classify(script)
        var id: Int64 = -1
        if let text = c.address, bulkLoad {
            // Every stored address is in the caches: only P2PK and P2PKH scripts can share an address.
            let keyHash = (c.kind == .pubkey || c.kind == .pubkeyhash) ? Self.keyHash(script, kind: c.kind) : nil
            if let keyHash, let known = keyHashAddressIds[keyHash] {
                id = known
            } else {
                staged.addresses.append((nextAddressId, text, Int64(c.kind.code)))
                id = nextAddressId
                nextAddressId += 1
                summary.addressesAdded += 1
                if let keyHash { keyHashAddressIds[keyHash] = id }
            }
        } else if let text = c.address {
            // No index holds the whole text (`Schema.addressMatches`): looking it up before inserting is what
            // keeps one row per address.
            let statements = try sql()
            let select = try statements.selectAddress()
            select.bind(1, text: text)
            let known = try select.step() ? select.int64(0) : nil
            select.reset()
            if let known {
                id = known
            } else {
                let insert = try statements.insertAddress()
                insert.bind(1, nextAddressId)
                insert.bind(2, text: text)
                insert.bind(3, Int64(c.kind.code))
                try insert.run()
                id = nextAddressId
                nextAddressId += 1
                summary.addressesAdded += 1
            }
        }
        let entry = ScriptEntry(addressId: id, kind: c.kind.code,
                                elide: id >= 0 && OutputScript.elidable(script, kind: c.kind, address: c.address))
        scriptCache[key] = entry
        return entry
    }

    /// The 20-byte key hash a P2PKH script names or a P2PK script's key hashes to.
    static func keyHash(_ script: [UInt8], kind: ScriptKind) -> ScriptKey? {
        if kind == .pubkeyhash, script.count == 25 { return ScriptKey(Array(script[3..<23])) }
        if kind == .pubkey, script.count == 35 || script.count == 67 {
            return ScriptKey(Hash160.hash(Array(script[1..<(script.count - 1)])).bytes)
        }
        return nil
    }

    /// Writes the open batch's rows and applies its updates to earlier rows, inside the caller's transaction.
    func writeStaged(_ db: Database) throws {
        try write(staged, db)
        try beginStaging()
    }

    /// Writes one batch's rows and applies its updates to earlier rows.
    func write(_ staged: StagedRows, _ db: Database) throws {
        try insertStagedBlocks(staged, db)
        for p in staged.partialBlocks {
            try db.execute(sql: "INSERT INTO partial_block(blockId, fullTxCount) VALUES (?, ?)",
                           arguments: [p.blockId, p.transactionCount])
        }
        try insertStagedAddresses(staged, db)
        try insertStagedTransactions(staged, db)
        try insertStagedOutputs(staged, db)
        try insertStagedInputs(staged, db)
        try insertClusterInputRows(staged, db)
        try applyStagedUpdates(staged, db)
    }

    /// The address rows a bulk load met first in this batch.
    private func insertStagedAddresses(_ staged: StagedRows, _ db: Database) throws {
        guard !staged.addresses.isEmpty else { return }
        let insert = try sql().insertAddressBulk
        for a in staged.addresses {
            insert.bind(1, a.id)
            insert.bind(2, text: a.text)
            insert.bind(3, a.kind)
            try insert.run()
        }
    }

    /// New block rows, and stale blocks a reorg brings back into the best chain.
    private func insertStagedBlocks(_ staged: StagedRows, _ db: Database) throws {
        if !staged.blocks.isEmpty {
            let insert = try sql().insertBlock
            let revive = try sql().reviveBlock
            for b in staged.blocks {
                if b.reactivate {
                    revive.bind(1, b.height.map(Int64.init))
                    revive.bind(2, b.id)
                    try revive.run()
                    continue
                }
                insert.bind(1, b.id)
                insert.bind(3, b.height.map(Int64.init))
                insert.bind(5, Int64(b.header.time))
                insert.bind(6, Int64(b.header.bits))
                insert.bind(7, Int64(b.header.version))
                insert.bind(9, Int64(b.header.nonce))
                insert.bind(10, b.size)
                insert.bind(11, b.strippedSize)
                insert.bind(12, b.weight)
                insert.bind(13, b.txCount)
                try withUnsafeBytes(of: b.header.hash.digest) { h in
                    try withUnsafeBytes(of: b.header.previousBlockHash.digest) { p in
                        try withUnsafeBytes(of: b.header.merkleRoot) { m in
                            insert.bind(2, borrowed: h)
                            insert.bind(4, borrowed: p)
                            insert.bind(8, borrowed: m)
                            try insert.run()
                        }
                    }
                }
            }
        }
    }

    /// The staged `tx` rows.
    private func insertStagedTransactions(_ staged: StagedRows, _ db: Database) throws {
        if !staged.txs.isEmpty {
            let insert = try sql().insertTx
            for t in staged.txs {
                insert.bind(1, t.id)
                insert.bind(3, t.blockId)
                insert.bind(4, t.position.map(Int64.init))
                insert.bind(5, Int64(t.version))
                insert.bind(6, Int64(t.lockTime))
                insert.bind(7, t.size)
                insert.bind(8, t.strippedSize)
                insert.bind(9, t.strippedSize * 3 + t.size)
                insert.bind(10, t.isCoinbase ? 1 : 0)
                insert.bind(11, t.inputCount)
                insert.bind(12, t.outputCount)
                insert.bind(13, t.fee)
                try withUnsafeBytes(of: t.txid.digest) { d in
                    insert.bind(2, borrowed: d)
                    try insert.run()
                }
            }
        }
    }

    /// The staged `output` rows.
    private func insertStagedOutputs(_ staged: StagedRows, _ db: Database) throws {
        if !staged.outputs.isEmpty {
            let insert = try sql().insertOutput
            for o in staged.outputs {
                insert.bind(1, o.id)
                insert.bind(2, o.txId)
                insert.bind(3, o.n)
                insert.bind(4, o.value)
                insert.bind(5, Int64(o.kind))
                insert.bind(6, o.addressId)
                insert.bind(8, o.spentBy)
                try o.script.withUnsafeBytes { s in
                    insert.bind(7, borrowed: s)
                    try insert.run()
                }
            }
        }
    }

    /// The staged `input` rows; a linked input's prevout txid is left empty (InputPrevTxid.swift).
    private func insertStagedInputs(_ staged: StagedRows, _ db: Database) throws {
        if !staged.inputs.isEmpty {
            let insert = try sql().insertInput
            for i in staged.inputs {
                insert.bind(1, i.id)
                insert.bind(2, i.txId)
                insert.bind(3, i.n)
                insert.bind(5, Int64(i.prevVout))
                insert.bind(6, Int64(i.sequence))
                insert.bind(8, i.spentOutputId)
                insert.bind(9, i.addressId)
                insert.bind(10, i.value)
                // A linked input's prevout txid is its spent output's transaction's (InputPrevTxid.swift).
                let prevTxidBytes = i.spentOutputId == nil ? 32 : 0
                try withUnsafeBytes(of: i.prevTxid) { p in
                    try i.scriptSig.withUnsafeBytes { s in
                        insert.bind(4, borrowed: UnsafeRawBufferPointer(rebasing: p[0..<prevTxidBytes]))
                        insert.bind(7, borrowed: s)
                        try insert.run()
                    }
                }
            }
        }
    }

    /// The narrow clustering input of each staged transaction (ClusterInputs.swift).
    private func insertClusterInputRows(_ staged: StagedRows, _ db: Database) throws {
        if !staged.txs.isEmpty {
            // The narrow clustering input (ClusterInputs.swift), from the staged rows: a transaction's inputs
            // and outputs are staged contiguously, in order, right after it.
            let insert = try sql().insertClusterInput
            var i = 0, o = 0
            var blob: [UInt8] = []
            for t in staged.txs {
                guard i + t.inputCount <= staged.inputs.count, o + t.outputCount <= staged.outputs.count else {
                    throw StoreError.badData("staged rows of transaction \(t.id) are incomplete", at: nil)
                }
                blob.removeAll(keepingCapacity: true)
                for k in i..<(i + t.inputCount) { ClusterInputs.append(staged.inputs[k].addressId, to: &blob) }
                let flags = CospendIndex.flags(isCoinbase: t.isCoinbase,
                                                outputValues: staged.outputs[o..<(o + t.outputCount)].lazy.map(\.value))
                if CospendIndex.isCandidate(flags: flags, inputCount: t.inputCount) {
                    // A possible CoinJoin (rare): what the exclusions read besides the addresses.
                    var d = ClusterInputs.Details(version: t.version, lockTime: t.lockTime, outputCount: t.outputCount)
                    let kind = try sql().addressKind
                    for k in i..<(i + t.inputCount) {
                        var code: UInt8 = 0
                        if let a = staged.inputs[k].addressId {
                            kind.bind(1, a)
                            if try kind.step() { code = UInt8(truncatingIfNeeded: kind.int64(0)) }
                            kind.reset()
                        }
                        d.input(value: staged.inputs[k].value, sequence: staged.inputs[k].sequence, kind: code)
                    }
                    for k in o..<(o + t.outputCount) {
                        d.output(value: staged.outputs[k].value, addressId: staged.outputs[k].addressId, kind: staged.outputs[k].kind)
                    }
                    insert.bind(6, copying: d.bytes)
                } else {
                    insert.bindNull(6)
                }
                i += t.inputCount
                o += t.outputCount
                insert.bind(1, t.id)
                insert.bind(2, t.blockId)
                insert.bind(3, t.position.map(Int64.init))
                insert.bind(4, Int64(flags))
                try blob.withUnsafeBytes { b in
                    insert.bind(5, borrowed: b)
                    try insert.run()
                }
            }
        }
    }

    /// Updates to rows written before this batch: outputs spent now, inputs resolved late, their
    /// transactions' fees and clustering rows, loose transactions a block confirmed.
    private func applyStagedUpdates(_ staged: StagedRows, _ db: Database) throws {
        if !staged.outputSpends.isEmpty {
            let update = try sql().markOutputSpent
            for s in staged.outputSpends {
                update.bind(1, s.inputId)
                update.bind(2, s.outputId)
                try update.run()
            }
        }
        if !staged.lateResolved.isEmpty {
            let update = try sql().resolveInput
            for r in staged.lateResolved {
                update.bind(1, r.outputId)
                update.bind(2, r.addressId)
                update.bind(3, r.value)
                update.bind(4, r.inputId)
                try update.run()
            }
        }
        if !staged.touchedTxIds.isEmpty {
            // Fees are summed per transaction: that needs the per-transaction indexes.
            try leaveBulkLoad(db)
            let fee = try sql().recomputeFee
            for id in staged.touchedTxIds.sorted() {
                fee.bind(1, id)
                try fee.run()
            }
            // Their narrow clustering rows now have the resolved addresses.
            try ClusterInputs.rebuild(db, txIds: staged.touchedTxIds.sorted())
        }
        if !staged.attachments.isEmpty {
            let update = try sql().attachTx
            let attachInput = try sql().attachClusterInput
            for a in staged.attachments {
                for u in [update, attachInput] {
                    u.bind(1, a.blockId)
                    u.bind(2, a.position)
                    u.bind(3, a.txId)
                    try u.run()
                }
            }
        }
    }

    func writeCheckpoint(_ staged: StagedRows, _ db: Database) throws {
        let set = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        try db.execute(sql: set, arguments: [MetaKey.network, network.rawValue])
        try db.execute(sql: set, arguments: [MetaKey.toolVersion, "spoor \(SpoorVersion.current)"])
        if let tip = staged.tip {
            try db.execute(sql: set, arguments: [MetaKey.checkpointBlock, tip.hash.hex])
            try db.execute(sql: set, arguments: [MetaKey.checkpointHeight, tip.height.map(String.init) ?? ""])
        }
        let count = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM tx") ?? 0
        try db.execute(sql: set, arguments: [MetaKey.checkpointTransactions, String(count)])
    }
}

/// The ingest's prepared statements, prepared once per write transaction (not looked up by SQL text per row).
final class IngestStatements {
    let insertBlock, reviveBlock, insertTx, insertOutput, insertInput: RawStatement
    let markOutputSpent, resolveInput, recomputeFee, attachTx: RawStatement
    let insertClusterInput, attachClusterInput, addressKind: RawStatement
    let insertAddressBulk: RawStatement
    let db: Database

    init(_ db: Database) throws {
        self.db = db
        insertBlock = try RawStatement(db, """
            INSERT INTO block(id, hash, height, prevHash, time, bits, version, merkleRoot, nonce, size,
                strippedSize, weight, txCount, inBestChain) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1)
            """)
        reviveBlock = try RawStatement(db, "UPDATE block SET inBestChain = 1, height = ? WHERE id = ?")
        insertTx = try RawStatement(db, """
            INSERT INTO tx(id, txid, blockId, position, version, lockTime, size, strippedSize, weight,
                isCoinbase, inputCount, outputCount, fee) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        insertOutput = try RawStatement(db, """
            INSERT INTO output(id, txId, n, value, scriptKind, addressId, script, spentByInputId)
            VALUES (?,?,?,?,?,?,?,?)
            """)
        insertInput = try RawStatement(db, """
            INSERT INTO input(id, txId, n, prevTxid, prevVout, sequence, scriptSig, spentOutputId, addressId, value)
            VALUES (?,?,?,?,?,?,?,?,?,?)
            """)
        markOutputSpent = try RawStatement(db, "UPDATE output SET spentByInputId = ? WHERE id = ?")
        resolveInput = try RawStatement(db, """
            UPDATE input SET spentOutputId = ?, addressId = ?, value = ?, prevTxid = X'' WHERE id = ?
            """)
        recomputeFee = try RawStatement(db, """
            UPDATE tx SET fee = CASE WHEN isCoinbase = 1 THEN 0 ELSE
                (SELECT SUM(value) FROM input WHERE txId = ?1) - (SELECT SUM(value) FROM output WHERE txId = ?1)
                END
            WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM input WHERE txId = ?1 AND value IS NULL
                AND prevVout <> \(Schema.coinbaseVout))
            """)
        attachTx = try RawStatement(db, "UPDATE tx SET blockId = ?, position = ? WHERE id = ?")
        insertClusterInput = try RawStatement(db, """
            INSERT INTO clusterInput(txId, blockId, position, flags, addresses, details) VALUES (?, ?, ?, ?, ?, ?)
            """)
        addressKind = try RawStatement(db, "SELECT scriptKind FROM address WHERE id = ?")
        attachClusterInput = try RawStatement(db, "UPDATE clusterInput SET blockId = ?, position = ? WHERE txId = ?")
        insertAddressBulk = try RawStatement(db, "INSERT INTO address(id, address, scriptKind) VALUES (?, ?, ?)")
    }

    // Lookups that need the deferred indexes (absent during a bulk load): prepared on first use.
    private var lazyStatements: [RawStatement?] = [nil, nil, nil, nil]

    private func lazy(_ slot: Int, _ sql: String) throws -> RawStatement {
        if let s = lazyStatements[slot] { return s }
        let s = try RawStatement(db, sql)
        lazyStatements[slot] = s
        return s
    }

    func insertAddress() throws -> RawStatement {
        try lazy(0, "INSERT INTO address(id, address, scriptKind) VALUES (?, ?, ?)")
    }

    func selectAddress() throws -> RawStatement { try lazy(1, "SELECT id FROM address WHERE \(Schema.addressMatches("address", "?1"))") }

    func findOutput() throws -> RawStatement {
        try lazy(2, """
            SELECT o.id, o.addressId, o.value, o.spentByInputId, t.blockId FROM tx t
            JOIN output o ON o.txId = t.id AND o.n = ?2
            WHERE \(Schema.txidMatches("t.txid", "?1")) ORDER BY t.id DESC LIMIT 1
            """)
    }

    func txExists() throws -> RawStatement { try lazy(3, "SELECT 1 FROM tx WHERE \(Schema.txidMatches("txid", "?1")) LIMIT 1") }
}

/// CPU time of the calling thread: phase timings that a busy machine does not inflate.
enum ThreadClock {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
