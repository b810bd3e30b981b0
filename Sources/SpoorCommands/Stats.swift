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
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        let s = try StoreQueries.stats(database)
        if output.json {
            try printJSON(s)
            return
        }
        let rows: [(String, String)] = [
            ("network", s.network ?? "-"), ("blocks", "\(s.blocks)"),
            ("best_height", s.bestHeight.map(String.init) ?? "-"), ("tip", s.tip?.hex ?? "-"),
            ("transactions", "\(s.transactions)"), ("inputs", "\(s.inputs)"), ("outputs", "\(s.outputs)"),
            ("addresses", "\(s.addresses)"), ("unresolved_inputs", "\(s.unresolvedInputs)"),
            ("total_fees_sat", "\(s.totalFeesSat)"), ("db_bytes", "\(s.dbBytes)"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (k, v) in rows { print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v) }
    }
}
