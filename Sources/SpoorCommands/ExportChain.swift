import ArgumentParser
import BitcoinAddresses
import CaseStore
import ChainSources
import Foundation

/// `spoor export --from SOURCE --format bitcoin-etl --out DIR`: any chain source as bitcoin-etl JSON lines;
/// `spoor export --db PATH …`: the case database's best chain, every resolved input enriched from the store.
struct ExportChain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "Export chain data as bitcoin-etl JSON lines (blocks.json, transactions.json).",
        discussion: """
            SOURCE is anything Spoor reads: a blocks directory (blk*.dat), a bitcoin-etl export, node JSON \
            (getblock 2/3, .json/.jsonl, plain or .gz), raw transaction hex, or a raw block. Inputs carry \
            address and value where the source states the prevout (getblock 3) or an earlier transaction of \
            the same run created it. With --db instead of --from, the case database's best chain is exported \
            and every input the store resolved carries its address and value. Differences from bitcoin-etl's own output (real types and addresses \
            for Taproot and outputs without an address, among others) are listed in BitcoinETLFormatter's documentation.
            """)

    @Option(name: .long, help: "What to read (see the discussion).")
    var from: String?
    @Option(name: .long, help: "Export a case database instead of a source.")
    var db: String?
    @Option(name: .long, help: "Output format; only bitcoin-etl.")
    var format = "bitcoin-etl"
    @Option(name: .long, help: "Directory to write blocks.json and transactions.json into.")
    var out: String
    @Option(name: .long, help: "Network for addresses: main, testnet3, testnet4, signet, regtest (default: detected, else main).")
    var network: String?
    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        var source: String
        var kind: String
        var network: String
        var blocks: Int
        var transactions: Int
        var out: String
        var seconds: Double
    }

    func validate() throws {
        guard (from == nil) != (db == nil) else {
            throw ValidationError("give exactly one of --from SOURCE and --db PATH")
        }
    }

    func run() async throws {
        guard format == "bitcoin-etl" else {
            throw CommandFailure("unknown format '\(format)': spoor export writes bitcoin-etl")
        }
        let stated = try parseNetwork(network)
        var outputs = OutputGuard()
        if let db { outputs.protect(database: db) }
        if let from { outputs.protect(tree: from, as: "a file of the --from source") }
        for name in BitcoinETLWriter.fileNames {
            try outputs.check((out as NSString).appendingPathComponent(name), as: "--out")
        }
        let started = Date()
        let source: any ChainSource
        let kind: String
        let from: String
        var partialBlocksSkipped = 0
        if let db {
            let database = try CaseDatabase(path: db, mode: .readOnly)
            let dbSource = try DatabaseChainSource(database: database)
            partialBlocksSkipped = dbSource.partialBlocksSkipped
            source = dbSource
            kind = "case-database"
            from = db
        } else {
            from = self.from ?? ""
            kind = try SourceDetection.kind(of: from).rawValue
            source = try SourceDetection.open(from, network: stated)
        }
        if partialBlocksSkipped > 0 {
            printError("warning: \(partialBlocksSkipped) block(s) stored only in part (spoor fetch) are not exported: "
                       + "their transaction counts and merkle roots would be wrong; ingest the full chain to export them")
        }
        // The network decides the addresses; a source may only know it after its first item.
        let first = try source.next()
        let chosen: Network
        if let n = stated ?? source.network {
            chosen = n
        } else {
            chosen = .main
            printError("warning: the network of \(from) is not stated and could not be detected; writing mainnet "
                       + "addresses (pass --network to choose)")
        }
        let writer = try BitcoinETLWriter(directory: URL(fileURLWithPath: out), network: chosen)
        let exporter = BitcoinETLExporter(writer: writer)
        do {
            if let first {
                try exporter.export(first)
                try exporter.exportAll(from: source)
            } else {
                try writer.close()
            }
        } catch {
            try? writer.close()
            throw CommandFailure("\(error)\n(\(writer.blocksWritten) blocks and \(writer.transactionsWritten) "
                                 + "transactions read before the fault were written to \(out))")
        }
        let summary = Summary(source: from, kind: kind, network: chosen.rawValue,
                              blocks: writer.blocksWritten, transactions: writer.transactionsWritten, out: out,
                              seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000)
        if output.json {
            try printJSON(summary)
        } else {
            print("exported \(summary.blocks) blocks, \(summary.transactions) transactions from \(from) "
                  + "(\(summary.kind), \(summary.network)) to \(out)/blocks.json and \(out)/transactions.json "
                  + "in \(summary.seconds) s")
        }
    }
}
