import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import GRDB

/// Loads chain data into a case database.
///
/// Items are read from the source, judged against the stored chain (new, already stored, or a competing
/// branch), and committed in batches: one SQLite transaction per batch, holding every row of its blocks and a
/// checkpoint. A batch that fails (bad data, full disk) leaves nothing behind, and running the same ingest again
/// skips what is stored, so a killed ingest resumes to the same database a clean run builds.
///
/// Prevouts are resolved from Spoor's own outputs: an in-memory map from outpoint to output (the batch's and
/// earlier ones'), falling back to the database. An input whose output is not stored stays unresolved until
/// that transaction arrives, in any later ingest.
public final class Ingestor {
    public let database: CaseDatabase
    public var options: IngestOptions
    private let classifyOverride: ScriptClassify?
    private var state: IngestState?

    /// - Parameter classify: overrides address derivation (tests); by default `ScriptClassifier` of the network.
    public init(database: CaseDatabase, options: IngestOptions = IngestOptions(), classify: ScriptClassify? = nil) {
        self.database = database
        self.options = options
        self.classifyOverride = classify
    }

    /// Ingests every item of `source`; returns what changed. Throws `StoreError` or the source's `SourceError`;
    /// batches committed before the failure stay (they are complete and checkpointed).
    public func ingest(_ source: some ChainSource,
                       progress: ((IngestProgress) -> Void)? = nil) throws -> IngestSummary {
        try ingest([source], progress: progress)
    }

    /// Ingests several sources in order, as one session (their items may refer to each other's outputs), and
    /// builds the deferred indexes once at the end.
    public func ingest(_ sources: [any ChainSource],
                       progress: ((IngestProgress) -> Void)? = nil) throws -> IngestSummary {
        let started = Date()
        var total = IngestSummary()
        do {
            for source in sources {
                // Some sources learn their network from their first item: read it before deciding.
                let first = try source.next()
                let network = try resolveNetwork(source.network)
                let st = try state ?? IngestState(database: database, network: network, options: options,
                                                 classify: classifyOverride ?? Self.defaultClassifier(network))
                if st.network != network {
                    throw StoreError.networkMismatch(database: st.network.rawValue, source: network.rawValue)
                }
                state = st
                total.add(try st.run(PeekedSource(source, first: first), started: started, progress: progress))
                // Every item is stored: now name what was read (a blk directory hashes its unread bytes here).
                let inputs = try source.inputsRead()
                try database.write { db in try ChainInputStore.record(db, inputs, at: Date()) }
            }
            // The caches go before the deferred indexes are built (their sorts are the peak of a large load). A
            // later ingest through this Ingestor reloads its state from the database, as a new process would:
            // with the indexes built, a cache miss is a lookup.
            state = nil
            let spentByStart = ThreadClock.now()
            try database.finishDeferredSpends()
            let indexStart = ThreadClock.now()
            total.timing.spentBySeconds = indexStart - spentByStart
            try database.ensureIndexes()
            total.timing.indexSeconds = ThreadClock.now() - indexStart
            total.unresolvedInputs = try database.read { db in try StoreQueries.unresolvedInputCount(db) }
            total.seconds = Date().timeIntervalSince(started)
            total.transactionsPerSecond = total.seconds > 0 ? Double(total.transactionsAdded) / total.seconds : 0
            return total
        } catch {
            // A batch may still be in flight on the writer thread: let it end (its own error, if any, comes
            // second to this one). The caches may describe rows a rolled-back batch never wrote: start afresh.
            try? state?.finishWrites()
            state = nil
            // The batches committed before the failure stay: their deferred spent-by links are set now (if this
            // fails too, e.g. on a full disk, the next writable open sets them).
            try? database.finishDeferredSpends()
            throw database.mapError(error)
        }
    }

    private func resolveNetwork(_ sourceNetwork: Network?) throws -> Network {
        let stored = try database.network()
        let wanted = options.network ?? sourceNetwork ?? stored
        guard let network = wanted else {
            throw StoreError.badData("the source does not say which network it belongs to; pass --network", at: nil)
        }
        if let sourceNetwork, let expected = options.network, sourceNetwork != expected {
            throw StoreError.networkMismatch(database: expected.rawValue, source: sourceNetwork.rawValue)
        }
        if let stored, stored != network {
            throw StoreError.networkMismatch(database: stored.rawValue, source: network.rawValue)
        }
        return network
    }

    static func defaultClassifier(_ network: Network) -> ScriptClassify {
        let classifier = ScriptClassifier(network: network)
        return { classifier.classify($0) }
    }
}

/// A source whose first item was already read (to learn its network), yielded again first.
final class PeekedSource: ChainSource, ProgressReportingSource {
    let base: any ChainSource
    private var first: SourceItem??

    init(_ base: any ChainSource, first: SourceItem?) {
        self.base = base
        self.first = .some(first)
    }

    var network: Network? { base.network }
    var staleBlocks: [BlockHash] { base.staleBlocks }
    var unconnectedBlocks: [BlockHash] { base.unconnectedBlocks }
    var unconnectedPieces: Int { base.unconnectedPieces }
    var fractionComplete: Double? { (base as? any ProgressReportingSource)?.fractionComplete }
    func inputsRead() throws -> [ChainInput] { try base.inputsRead() }

    func next() throws -> SourceItem? {
        if let pending = first {
            first = nil
            return pending
        }
        return try base.next()
    }
}
