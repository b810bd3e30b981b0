import ArgumentParser
import BitcoinPrimitives
import Foundation
import CaseStore

/// `spoor stats`: counts and totals of the case database.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats",
                                                    abstract: "Counts and totals of the case database.")

    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @Flag(name: .long, help: """
        Also count the unspent outputs and their total as Bitcoin Core's gettxoutsetinfo does (txouts, \
        total_amount); reads every output.
        """)
    var utxo = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        let s = try StoreQueries.stats(database)
        let unspent = utxo ? try StoreQueries.unspentOutputs(database) : nil
        if output.json {
            try printJSON(StatsReport(stats: s, unspent: unspent))
            return
        }
        var rows: [(String, String)] = [
            ("network", s.network ?? "-"), ("blocks", "\(s.blocks)"),
            ("best_height", s.bestHeight.map(String.init) ?? "-"), ("tip", s.tip?.hex ?? "-"),
            ("transactions", "\(s.transactions)"), ("inputs", "\(s.inputs)"), ("outputs", "\(s.outputs)"),
            ("addresses", "\(s.addresses)"), ("unresolved_inputs", "\(s.unresolvedInputs)"),
            ("total_fees_sat", "\(s.totalFeesSat)"), ("db_bytes", "\(s.dbBytes)"),
        ]
        if let unspent {
            rows += [("unspent_outputs", "\(unspent.count)"), ("unspent_sat", "\(unspent.sat)")]
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (k, v) in rows { print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v) }
    }
}

/// `spoor stats --json`: the store's counts, and with `--utxo` the UTXO-set figures.
struct StatsReport: Encodable {
    var stats: StoreStats
    var unspent: (count: Int, sat: Int64)?

    func encode(to encoder: any Encoder) throws {
        try stats.encode(to: encoder)
        guard let unspent else { return }
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(unspent.count, forKey: .unspent_outputs)
        try c.encode(unspent.sat, forKey: .unspent_sat)
    }

    enum Key: String, CodingKey { case unspent_outputs, unspent_sat }
}
