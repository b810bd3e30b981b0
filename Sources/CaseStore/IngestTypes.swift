import BitcoinAddresses
import Foundation
import BitcoinPrimitives
import ChainSources

/// Tuning and expectations of an ingest.
public struct IngestOptions: Sendable {
    /// A batch is committed (with its checkpoint) once it holds this many transactions...
    public var batchTransactions: Int = 100_000
    /// ...or this many blocks, whichever comes first.
    public var batchBlocks: Int = 5_000
    /// The network the caller expects; nil to take the source's (or the database's).
    public var network: Network?
    /// A competing branch longer than this without overtaking the stored chain is an error, not a reorg.
    public var maxBranchBlocks: Int = 10_000
    /// In-memory outpoint entries kept before the cache is dropped (lookups then fall back to the database, and
    /// a bulk load ends: from then on every row is indexed as it is written, several times slower).
    public var maxCachedOutputs: Int = IngestOptions.cacheEntries(bytesPerEntry: 115)
    /// In-memory script → address entries kept before that cache is dropped (the same consequences).
    public var maxCachedScripts: Int = IngestOptions.cacheEntries(bytesPerEntry: 100)

    /// Entries of one of the two caches in a quarter of the machine's memory (the two together: half). An entry
    /// costs its hash table slot (64 bytes for an outpoint, 56 for a script) over a load factor between 3/8 and
    /// 3/4; the sizes above are the midpoint. 24 GiB give ≈ 56M outputs and 64M scripts, which keeps a generated
    /// chain of ≈ 40M transactions in one bulk load; 4 GiB give ≈ 9–10M of each.
    public static func cacheEntries(bytesPerEntry: Int) -> Int {
        Int(min(ProcessInfo.processInfo.physicalMemory / 4, UInt64(Int.max))) / bytesPerEntry
    }
    /// Check each block as consensus allows without the UTXO set (`Block.consensusFault`): proof of work against
    /// the network's limit, one coinbase and first, no txid twice (CVE-2012-2459), the merkle root. Off only for
    /// generated benchmark chains that carry no proof of work.
    public var checkConsensus = true
    /// In a bulk load, write each batch on a second thread while the next one is read and staged
    /// (`IngestPipeline`): the same rows (`IngestWriterThreadTests`), less wall time where a second core is free
    /// (Tests/Benchmarks/ingest-results.md). `spoor ingest --single-thread` turns it off.
    public var writerThread = true

    public init() {}
}

/// Where an ingest stands, for progress lines.
public struct IngestProgress: Sendable {
    public var blocks: Int
    public var transactions: Int
    public var height: Int?
    public var seconds: Double
    /// The source's own estimate of how far it has read (0...1), when it offers one.
    public var fractionComplete: Double?

    public var transactionsPerSecond: Double { seconds > 0 ? Double(transactions) / seconds : 0 }
}

/// A source that can say how far through its data it is (for an ETA). Sources adopt it where they can.
public protocol ProgressReportingSource {
    var fractionComplete: Double? { get }
}

/// A branch the database followed away from: what a reorg rolled back.
public struct RolledBackBranch: Sendable, Codable, Equatable {
    public var forkHeight: Int
    public var oldTip: BlockHash
    public var newTip: BlockHash
    public var blocksDisconnected: Int
    public var transactionsRemoved: Int

    enum CodingKeys: String, CodingKey {
        case forkHeight = "fork_height", oldTip = "old_tip", newTip = "new_tip"
        case blocksDisconnected = "blocks_disconnected", transactionsRemoved = "transactions_removed"
    }
}

/// A branch a source offered that has less work than the stored chain: not applied.
public struct IgnoredBranch: Sendable, Codable, Equatable {
    public var forkHeight: Int
    public var tip: BlockHash
    public var blocks: Int

    public init(forkHeight: Int, tip: BlockHash, blocks: Int) {
        self.forkHeight = forkHeight
        self.tip = tip
        self.blocks = blocks
    }

    enum CodingKeys: String, CodingKey { case forkHeight = "fork_height", tip, blocks }
}

/// Where an ingest's CPU time went (seconds of the ingesting thread), for the benchmark.
public struct IngestTiming: Sendable, Codable, Equatable {
    /// Resolving inputs, classifying scripts, assigning ids, new address rows.
    public var stageSeconds: Double = 0
    /// Inserting the staged rows.
    public var writeSeconds: Double = 0
    /// Committing (WAL writes).
    public var commitSeconds: Double = 0
    /// Setting the spent-by links a bulk load deferred, at the end (`DeferredSpends`).
    public var spentBySeconds: Double = 0
    /// Building the deferred indexes at the end.
    public var indexSeconds: Double = 0
    /// Batches written on the writer thread while the next one was staged (`IngestOptions.writerThread`); their
    /// write and commit seconds are that thread's.
    public var writerThreadBatches = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case stageSeconds = "stage_s", writeSeconds = "write_s", commitSeconds = "commit_s", indexSeconds = "index_s"
        case spentBySeconds = "spent_by_s"
        case writerThreadBatches = "writer_thread_batches"
    }
}

/// What one ingest did. Encodes to the `--json` summary.
public struct IngestSummary: Sendable, Codable, Equatable {
    public var blocksAdded = 0
    /// Blocks the database already held (idempotence, resume).
    public var blocksSkipped = 0
    public var transactionsAdded = 0
    /// Loose transactions the database already held.
    public var transactionsSkipped = 0
    /// Loose transactions that a block now confirms.
    public var transactionsConfirmed = 0
    public var inputsAdded = 0
    public var outputsAdded = 0
    public var addressesAdded = 0
    /// Inputs stored earlier without their spent output, linked by this ingest.
    public var inputsResolvedLater = 0
    /// Inputs of the whole database still without their spent output (coinbase inputs excluded).
    public var unresolvedInputs = 0
    public var reorgs: [RolledBackBranch] = []
    public var ignoredBranches: [IgnoredBranch] = []
    /// Blocks stored although they do not connect to the chain from genesis (see `ChainSource.unconnectedBlocks`),
    /// and how many pieces they form.
    public var unconnectedBlocks = 0
    public var unconnectedPieces = 0
    public var tipHeight: Int?
    public var tipHash: BlockHash?
    public var seconds: Double = 0
    public var transactionsPerSecond: Double = 0
    public var timing = IngestTiming()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case blocksAdded = "blocks_added", blocksSkipped = "blocks_skipped"
        case transactionsAdded = "transactions_added", transactionsSkipped = "transactions_skipped"
        case transactionsConfirmed = "transactions_confirmed"
        case inputsAdded = "inputs_added", outputsAdded = "outputs_added", addressesAdded = "addresses_added"
        case inputsResolvedLater = "inputs_resolved_later", unresolvedInputs = "unresolved_inputs"
        case reorgs, ignoredBranches = "ignored_branches", tipHeight = "tip_height", tipHash = "tip_hash"
        case unconnectedBlocks = "unconnected_blocks", unconnectedPieces = "unconnected_pieces"
        case seconds, transactionsPerSecond = "transactions_per_second", timing = "cpu_timing"
    }

    /// Folds a later ingest's summary into this one (several sources in one command).
    public mutating func add(_ o: IngestSummary) {
        blocksAdded += o.blocksAdded; blocksSkipped += o.blocksSkipped
        transactionsAdded += o.transactionsAdded; transactionsSkipped += o.transactionsSkipped
        transactionsConfirmed += o.transactionsConfirmed
        inputsAdded += o.inputsAdded; outputsAdded += o.outputsAdded; addressesAdded += o.addressesAdded
        inputsResolvedLater += o.inputsResolvedLater
        unresolvedInputs = o.unresolvedInputs
        reorgs += o.reorgs; ignoredBranches += o.ignoredBranches
        unconnectedBlocks += o.unconnectedBlocks; unconnectedPieces += o.unconnectedPieces
        tipHeight = o.tipHeight ?? tipHeight; tipHash = o.tipHash ?? tipHash
        seconds += o.seconds
        timing.stageSeconds += o.timing.stageSeconds
        timing.writeSeconds += o.timing.writeSeconds
        timing.commitSeconds += o.timing.commitSeconds
        timing.spentBySeconds += o.timing.spentBySeconds
        timing.indexSeconds += o.timing.indexSeconds
        timing.writerThreadBatches += o.timing.writerThreadBatches
        transactionsPerSecond = seconds > 0 ? Double(transactionsAdded) / seconds : 0
    }
}

/// Turns an output script into its kind and address; the ingest calls it once per distinct script.
public typealias ScriptClassify = @Sendable ([UInt8]) -> ScriptClassification

/// An items-only source, for callers that build `SourceItem`s themselves (tests, the node and Esplora paths).
public final class ItemSource: ChainSource {
    public let network: Network?
    private var iterator: IndexingIterator<[SourceItem]>

    public init(_ items: [SourceItem], network: Network?) {
        self.network = network
        iterator = items.makeIterator()
    }

    public func next() throws -> SourceItem? { iterator.next() }
}
