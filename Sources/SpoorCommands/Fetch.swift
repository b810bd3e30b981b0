import ArgumentParser
import BitcoinAddresses
import CaseStore
import ChainSources
import Foundation

/// `spoor fetch --esplora URL ADDRESS...`: the transactions around some addresses, from an Esplora API, into the
/// case database — for investigators without a node.
struct Fetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Pull the transactions around addresses from an Esplora API.",
        discussion: """
            Reads every confirmed transaction of each ADDRESS from an Esplora-compatible REST API (the API of \
            blockstream.info and mempool.space, e.g. https://blockstream.info/api), then --hops times the \
            transactions that funded their inputs and those that spent their outputs. Nothing is taken on the \
            server's word: each transaction's bytes are checked against its txid, its block's header for proof of \
            work and its txid list against the header's merkle root, the block's height against its coinbase, \
            and what an input spent against the funding transaction's own bytes (fetched at the last hop). \
            Blocks are stored partially (only the fetched transactions). \
            Requests are paced (--rate) and retried with exponential backoff on 429 and 5xx answers. The \
            frontier is kept in the database: after an interruption, run the same command to continue.
            """)

    @Option(name: .long, help: ArgumentHelp("The API's base URL, e.g. https://blockstream.info/api.", valueName: "url"))
    var esplora: String
    @Argument(help: "Addresses to start from.")
    var addresses: [String] = []
    @Option(name: .long, help: "How many hops to follow from the addresses' transactions along inputs and outputs.")
    var hops: Int = 0
    @Option(name: .long, help: "The case database (created when absent).")
    var db: String = CaseDatabase.defaultPath
    @Option(name: .long, help: "Requests per second at most (be polite to public instances).")
    var rate: Double = 5
    @Option(name: .long, help: "Network: main, testnet3, testnet4, signet, regtest (default: the database's, else the addresses').")
    var network: String?
    @Flag(name: .long, help: "List the addresses again even if an earlier fetch did (finds newer transactions).")
    var refresh = false
    @Flag(name: .long, help: "No progress on standard error.")
    var quiet = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !addresses.isEmpty else { throw ValidationError("give at least one ADDRESS to start from") }
        guard hops >= 0 else { throw ValidationError("--hops must be 0 or more") }
        guard rate > 0 else { throw ValidationError("--rate must be above 0 requests per second") }
        for a in addresses where !EsploraClient.isPlausibleAddress(a) {
            throw ValidationError("'\(a)' is not an address")
        }
    }

    func run() async throws {
        let report = try FetchRun(esplora: esplora, addresses: addresses, hops: hops, db: db, rate: rate,
                                  network: try parseNetwork(network),
                                  progress: quiet || !Console.errorIsTerminal ? nil : FetchProgress(),
                                  refresh: refresh).run()
        if output.json {
            try printJSON(report)
        } else {
            print(report.text)
        }
    }
}

/// One fetch, separated from argument parsing so tests can run it with their own clock and policy.
struct FetchRun {
    var esplora: String
    var addresses: [String]
    var hops: Int
    var db: String
    var rate: Double
    var network: Network?
    var progress: FetchProgress?
    var refresh = false
    var policy: HTTPPolicy?
    var clock: HTTPClock = .system

    func run() throws -> FetchReport {
        guard let base = URL(string: esplora), let scheme = base.scheme?.lowercased(),
              scheme == "http" || scheme == "https", base.host != nil else {
            throw CommandFailure("--esplora \(esplora) is not an http(s) URL (e.g. https://blockstream.info/api)")
        }
        let database = try CaseDatabase(path: db)
        guard let network = try network ?? database.network() ?? inferNetwork() else {
            throw CommandFailure("cannot tell the network from the addresses; pass --network")
        }
        let store = try CaseEsploraFetchStore(database: database, network: network)
        let transport = HTTPTransport(policy: policy ?? HTTPPolicy(maxRequestsPerSecond: rate, maxAttempts: 6,
                                                                    initialBackoff: 1, maxBackoff: 60, timeout: 60),
                                      clock: clock)
        let client = EsploraClient(baseURL: base, transport: transport)
        let progress = self.progress
        let crawler = EsploraCrawler(client: client, store: store, network: network, maxHops: hops,
                                     addresses: addresses, refresh: refresh) { progress?.show($0) }
        // The one ingest write path; a block per batch, so each checked transaction is committed before the
        // crawl marks it done (an interrupted fetch resumes without a gap).
        var options = IngestOptions()
        options.network = network
        options.batchBlocks = 1
        do {
            _ = try Ingestor(database: database, options: options).ingest(crawler)
        } catch {
            progress?.finish()
            let open = (try? store.openCount(maxHops: hops)) ?? 0
            throw CommandFailure("\(error)\nfetch interrupted with \(crawler.summary.transactionsStored) transactions "
                + "stored and \(open) items left; run the same command again to continue")
        }
        progress?.finish()
        let summary = crawler.summary
        return FetchReport(summary: summary, database: db, network: network.rawValue,
                           openItems: try store.openCount(maxHops: hops), stats: try StoreQueries.stats(database))
    }

    private func inferNetwork() -> Network? {
        let found = Set(addresses.compactMap { EsploraClient.network(ofAddress: $0) })
        return found.count == 1 ? found.first : nil
    }
}

/// The `--json` summary of `spoor fetch`.
struct FetchReport: Encodable {
    var summary: EsploraFetchSummary
    var database: String
    var network: String
    /// Frontier items not visited (0 when the fetch completed).
    var openItems: Int
    var stats: StoreStats

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(database, forKey: .database)
        try c.encode(network, forKey: .network)
        try c.encode(openItems, forKey: .open_items)
        try c.encode(stats, forKey: .database_stats)
    }

    enum Key: String, CodingKey { case database, network, open_items, database_stats }

    var text: String {
        let s = summary
        var lines = ["fetched into \(database): \(s.transactionsStored) transactions (\(s.transactionsAlreadyStored) "
                     + "already stored), \(s.blocksStored) partial blocks, \(s.addressesVisited) addresses "
                     + "(\(s.pagesRead) pages); \(s.requests) requests, \(s.retries) retried"]
        if s.unconfirmedSkipped > 0 {
            lines.append("not yet confirmed, not stored: \(s.unconfirmedSkipped) transactions")
        }
        lines.append("database: \(stats.transactions) transactions, \(stats.unresolvedInputs) inputs whose "
                     + "funding transaction is not stored")
        return lines.joined(separator: "\n")
    }
}

/// The fetch's progress line, drawn by the `ProgressMeter` every command uses: the stage of the crawl, its items
/// done of those known, the rate, and an estimate of the time left. A hop's size is known only once the hop
/// before it is done, so before the last hop the estimate is of the time left until the next one.
final class FetchProgress {
    let meter: ProgressMeter
    private let now: () -> Double
    private var stageStarted = 0.0

    init(meter: ProgressMeter = ProgressMeter(enabled: true),
         now: @escaping () -> Double = { Date().timeIntervalSinceReferenceDate }) {
        self.meter = meter
        self.now = now
    }

    func show(_ p: EsploraCrawlProgress) {
        let t = now()
        if p.done == 0 { stageStarted = t }  // the crawl reports each stage as it enters it
        let seconds = t - stageStarted
        let name = Self.stageName(p)
        var text = "\(name): \(p.done) of \(p.total)"
        switch p.stage {
        case .listingAddresses:
            text += ", pages read: \(p.summary.pagesRead)"
        case .transactions:
            text += " transactions, " + String(format: "%.1f tx/s", seconds > 0 ? Double(p.done) / seconds : 0)
                + ", \(p.summary.transactionsStored) stored"
        }
        meter.show(text, step: name, fraction: p.fractionComplete, seconds: seconds,
                   leftUntil: p.stage == .transactions && p.hop < p.maxHops ? "hop \(p.hop + 1)" : nil)
    }

    static func stageName(_ p: EsploraCrawlProgress) -> String {
        switch p.stage {
        case .listingAddresses: return "listing addresses"
        case .transactions: return p.hop == 0 ? "the addresses' transactions" : "hop \(p.hop) of \(p.maxHops)"
        }
    }

    func finish() { meter.finish() }
}
