import ArgumentParser
import CaseStore
import Foundation
import Investigation

/// `spoor explain A B`: why two addresses share a cluster, or why not.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Show the chain of evidence linking two addresses.")

    @Argument(help: "First address.") var a: String
    @Argument(help: "Second address.") var b: String
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        let e = try ClusterLookups.explain(database, a, b)
        if output.json { try printJSON(e); return }
        if e.linked {
            print("\(a) and \(b) are in one cluster (profile \(e.profile)); \(e.chain.count) step(s):")
            for (i, s) in e.chain.enumerated() {
                print("  \(i + 1). \(s.from) – \(s.to)  tx \(s.txid)  [\(s.heuristics.joined(separator: ", "))]")
                if let d = s.depositAddress, let t = s.otherTxid {
                    print("     both paid deposit address \(d) (txs \(t) and \(s.txid))")
                }
            }
        } else if e.stoppedBy.isEmpty {
            print("\(a) and \(b) are not linked (profile \(e.profile)), and no stopped link would have joined them.")
        } else {
            print("\(a) and \(b) are not linked (profile \(e.profile)). These links were stopped:")
            for s in e.stoppedBy {
                print("  \(s.from) – \(s.to)  tx \(s.txid)  [\(s.heuristics.joined(separator: ", "))]")
            }
        }
    }
}
