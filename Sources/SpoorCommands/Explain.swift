import ArgumentParser
import CaseStore
import Clustering
import Foundation
import Investigation

/// `spoor explain A B`: why two addresses share a cluster, or why not.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Show the chain of evidence linking two addresses.",
        discussion: "Give two addresses (`spoor cluster show ADDRESS` lists a cluster's members), or --sample to let "
            + "Spoor pick two that the stored clustering links.")

    @Argument(help: "First address.") var a: String?
    @Argument(help: "Second address.") var b: String?
    @Flag(name: .long, help: "Explain two addresses the stored clustering links (the ends of its largest cluster).")
    var sample = false
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if sample && (a != nil || b != nil) { throw ValidationError("give two addresses or --sample, not both") }
        if !sample && (a == nil || b == nil) { throw ValidationError("give two addresses, or --sample") }
    }

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        var a = self.a ?? "", b = self.b ?? ""
        if sample {
            guard let pair = try ClusterLookups.sampleLinkedPair(database) else {
                throw CommandFailure("\(db): every cluster has one address; there is no link to explain")
            }
            (a, b) = pair
        }
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
                if s.heuristics.contains(HeuristicRegistry.roleGuard.rawValue) {
                    print("     refused: one side receives the site's payments, the other pays them (roles from the watchlist)")
                }
            }
        }
    }
}
