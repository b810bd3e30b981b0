import ArgumentParser
import CaseStore
import Clustering
import Foundation

/// `spoor evaluate --truth DIR`: scores a profile's clustering of the case database against a sample
/// chain's ground truth. Metric definitions: Heuristics/README.md ("Evaluation").
struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Score a clustering against a sample chain's ground truth.")

    @Option(name: .long, help: "A sample chain's truth folder (with transactions.json), or the chain folder holding truth/.")
    var truth: String
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @OptionGroup var profileOption: ProfileOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let profile = try profileOption.load()
        var file = URL(fileURLWithPath: truth).appendingPathComponent("transactions.json")
        if !FileManager.default.fileExists(atPath: file.path) {
            file = URL(fileURLWithPath: truth).appendingPathComponent("truth/transactions.json")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CommandFailure("\(truth): no transactions.json (expected \(truth)/transactions.json or \(truth)/truth/transactions.json)")
        }
        let groundTruth = try GroundTruth(transactionsJSON: data, file: file.path)
        let database = try CaseDatabase(path: db, mode: .readOnly)
        let (chain, txids) = try database.read { db in
            (try ClusterStore.load(db, spenders: true), try ClusterStore.txidsByID(db))
        }
        var clusterer = Clusterer(profile: profile, addressCount: chain.addressBound)
        clusterer.process(chain.batch)
        let report = EvaluationReport(batch: chain.batch, txid: { txids[Int64($0.raw)] ?? "" }, truth: groundTruth, clusterer: &clusterer)
        if output.json { try printJSON(report); return }
        let c = report.clustering
        print("profile \(report.profile) (sha256 \(report.profileHash))")
        print(String(format: "pairwise precision %.5f  recall %.4f", c.precision, c.recall))
        print("clusters \(c.clusters) over \(c.addresses) owned addresses of \(c.owners) owners; \(c.mixedClusters) clusters mix owners")
        if let b = report.clusteringBeforeLinks {
            print(String(format: "  before the profile's links: precision %.5f  recall %.4f  clusters %d  (links added: ", b.precision, b.recall, b.clusters)
                  + report.linkMergesPerHeuristic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) merges" }.joined(separator: ", ") + ")")
        }
        print("CoinJoins: \(report.coinjoins.inTruth) in truth, \(report.coinjoins.detected) detected, "
              + "\(report.coinjoins.missed.count) missed, \(report.coinjoins.flaggedOther.count) other transactions flagged")
        print("change identification (named = outputs named as change; recall over all true change outputs):")
        for r in report.change {
            print(String(format: "  %-44@ named %6d  precision %.4f  recall %.4f", r.heuristic as NSString, r.named, r.precision, r.recall))
        }
        if !report.changeMergesPerHeuristic.isEmpty {
            print("change merges per heuristic: " + report.changeMergesPerHeuristic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}
