import ArgumentParser
import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import Investigation

/// `spoor ingest SOURCE...`: load chain data into the case database, resumably.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load chain data into the case database.",
        discussion: """
            Each SOURCE is a Bitcoin Core blocks directory (blk*.dat, XOR-obfuscated or not), a bitcoin-etl \
            export directory, Bitcoin Core getblock 2/3 JSON (JSON lines, optionally .gz), a file of raw \
            transaction hex (one per line), or a raw block file (binary or hex). Work is committed in batches \
            with a checkpoint: run the same command again after an interruption and it resumes; ingesting the \
            same data twice changes nothing.
            """)

    @Argument(help: "Blocks directories, bitcoin-etl exports, node JSON, transaction hex or raw block files.")
    var sources: [String] = []
    @Option(name: .long, help: "The case database (created when absent).")
    var db: String = CaseDatabase.defaultPath
    @Option(name: .long, help: "Expected network: main, testnet3, testnet4, signet, regtest (default: the source's).")
    var network: String?
    @Flag(name: .long, help: "No progress on standard error.")
    var quiet = false
    @Flag(name: .long, help: ArgumentHelp(
        "Write the database on the thread that reads, not on a second one.",
        discussion: "Slower where a second core is free; the rows stored are the same either way."))
    var singleThread = false
    @Option(name: .long, help: ArgumentHelp("Blocks per committed batch (tests use small batches).",
                                             visibility: .hidden))
    var batchBlocks: Int?
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Live node") var rpc: IngestRPCOptions

    func run() async throws {
        guard !sources.isEmpty || rpc.isRequested else {
            throw CommandFailure("give at least one SOURCE to ingest, or --rpc URL")
        }
        let expected = try parseNetwork(network)
        let database = try CaseDatabase(path: db)
        var options = IngestOptions()
        options.network = expected
        options.writerThread = !singleThread
        if let batchBlocks {
            guard batchBlocks > 0 else { throw CommandFailure("--batch-blocks must be positive") }
            options.batchBlocks = batchBlocks
        }
        let ingestor = Ingestor(database: database, options: options)
        let meter = ProgressMeter(enabled: !quiet && Console.errorIsTerminal)
        let stored = try database.network()
        var opened = try sources.map { try openChainSource($0, network: expected ?? stored) }
        if let node = try rpc.openSource(database: database, quiet: quiet) { opened.append(node) }
        let total = try ingestor.ingest(opened) { meter.show($0) }
        meter.finish()
        let stats = try StoreQueries.stats(database)
        if output.json {
            try printJSON(IngestReport(summary: total, database: db, stats: stats))
        } else {
            print(IngestReport.text(total, database: db, stats: stats))
        }
    }
}

/// Opens one SOURCE argument by its shape (`SourceDetection`: blk directory, bitcoin-etl export, node JSON,
/// raw transaction hex, raw block).
func openChainSource(_ path: String, network: Network?) throws -> any ChainSource {
    try SourceDetection.open(path, network: network)
}

/// One progress line on standard error, rewritten in place, for a person watching a terminal: commands enable it
/// only when standard error is one and `--quiet` is not given (never in a pipe, a file or a captured run; `--json`
/// goes to standard output and never holds it), and it is redrawn at most every `interval` seconds (a new step at
/// once). Where the work knows how far it is, the line gives the share done and an estimate of the time left.
final class ProgressMeter {
    let enabled: Bool
    let interval: Double
    private let now: () -> Double
    private let write: (String) -> Void
    private var shown = false
    private var lastShown = -Double.infinity
    private var lastStep: String?

    init(enabled: Bool, interval: Double = 0.25, now: @escaping () -> Double = { Date().timeIntervalSinceReferenceDate },
         write: @escaping (String) -> Void = { Console.writeError(Data($0.utf8)) }) {
        self.enabled = enabled
        self.interval = interval
        self.now = now
        self.write = write
    }

    /// Shows `text` (plus the share done and the time left when `fraction` is known), unless a line was shown less
    /// than `interval` ago in the same `step`. `seconds` is the time the measured work has taken so far; when the
    /// share is of a part of the job, `leftUntil` names what follows that part ("about 20 s left until hop 2").
    func show(_ text: String, step: String? = nil, fraction: Double?, seconds: Double, leftUntil: String? = nil) {
        guard enabled else { return }
        let t = now()
        guard step != lastStep || t - lastShown >= interval else { return }
        lastShown = t
        lastStep = step
        write("\r" + Self.line(text, fraction: fraction, seconds: seconds, leftUntil: leftUntil) + "   ")
        shown = true
    }

    static func line(_ text: String, fraction: Double?, seconds: Double, leftUntil: String? = nil) -> String {
        guard let f = fraction, f > 0.001, f < 1 else { return text }
        return text + String(format: ", %.0f%%, about %.0f s left", f * 100, seconds * (1 - f) / f)
            + (leftUntil.map { " until " + $0 } ?? "")
    }

    func show(_ p: IngestProgress) {
        var text = "\(p.blocks) blocks"
        if let h = p.height { text += ", height \(h)" }
        text += ", \(p.transactions) tx, \(Int(p.transactionsPerSecond)) tx/s"
        show(text, step: "ingest", fraction: p.fractionComplete, seconds: p.seconds)
    }

    func show(_ p: ClusterProgress) {
        var text = p.step.rawValue
        if let total = p.total { text += p.done.map { ": \($0) of \(total) transactions" } ?? ": \(total) transactions" }
        text += String(format: " (%.0f s)", p.seconds)
        show(text, step: p.step.rawValue, fraction: p.fractionComplete, seconds: p.stepSeconds)
    }

    func finish() {
        if shown { write("\n") }
        shown = false
    }
}

/// Sources that know how far through their data they are, for the ingest's estimate.
extension BlockDirectorySource: ProgressReportingSource {
    public var fractionComplete: Double? { fractionRead }
}

extension NodeJSONSource: ProgressReportingSource {
    public var fractionComplete: Double? { fractionRead }
}

extension BitcoinETLSource: ProgressReportingSource {
    public var fractionComplete: Double? { fractionRead }
}

/// The `--json` summary of `spoor ingest`.
struct IngestReport: Encodable {
    var summary: IngestSummary
    var database: String
    var stats: StoreStats

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(database, forKey: .database)
        try c.encode(stats, forKey: .database_stats)
    }

    enum Key: String, CodingKey { case database, database_stats }

    static func text(_ s: IngestSummary, database: String, stats: StoreStats) -> String {
        var lines: [String] = []
        lines.append("ingested into \(database): \(s.blocksAdded) blocks, \(s.transactionsAdded) transactions, "
                     + "\(s.inputsAdded) inputs, \(s.outputsAdded) outputs, \(s.addressesAdded) new addresses "
                     + String(format: "in %.2f s (%.0f tx/s)", s.seconds, s.transactionsPerSecond))
        if s.blocksSkipped > 0 || s.transactionsSkipped > 0 {
            lines.append("already stored: \(s.blocksSkipped) blocks, \(s.transactionsSkipped) loose transactions")
        }
        if s.transactionsConfirmed > 0 {
            lines.append("loose transactions now confirmed in a block: \(s.transactionsConfirmed)")
        }
        if s.inputsResolvedLater > 0 {
            lines.append("inputs stored earlier now linked to their outputs: \(s.inputsResolvedLater)")
        }
        for r in s.reorgs {
            lines.append("reorg: rolled back \(r.blocksDisconnected) blocks above height \(r.forkHeight) "
                         + "(old tip \(r.oldTip), new tip \(r.newTip)); \(r.transactionsRemoved) transactions "
                         + "of the stale blocks removed and their spends undone")
        }
        for b in s.ignoredBranches {
            lines.append("ignored a competing branch of \(b.blocks) blocks from height \(b.forkHeight + 1) "
                         + "(tip \(b.tip)): less work than the stored chain")
        }
        if s.unconnectedBlocks > 0 {
            lines.append("WARNING: \(s.unconnectedBlocks) block(s) in \(s.unconnectedPieces) piece(s) do not connect to the "
                         + "chain from genesis (their earlier blocks are missing or corrupt): stored at their BIP34 "
                         + "heights where the coinbase states one, else without a height")
        }
        lines.append("database: \(stats.blocks) blocks, tip height \(stats.bestHeight.map(String.init) ?? "-"), "
                     + "\(stats.transactions) transactions, \(stats.unresolvedInputs) unresolved inputs")
        return lines.joined(separator: "\n")
    }
}
