import ArgumentParser
import CaseStore
import Foundation
import Investigation

/// `spoor import clusters DIR`: loads a clustering made on Spark into the case database.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load results made elsewhere into the case database.",
        subcommands: [ImportClusters.self]
    )
}

struct ImportClusters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusters",
        abstract: "Load the Spark job's clusters and merge evidence (Sources/SparkClustering) into the case database.",
        discussion: """
            DIR is the job's --out: run.json, clusters/ (address,cluster_id), merges/ and stops/ (txid, address, \
            address, heuristic ids). The case must hold the chain the export was made from (its best chain, no \
            loose transactions) and no cluster-defining tags. A stored clustering made with another profile is \
            replaced only with --replace (as by spoor cluster); one made with the job's profile is replaced as by \
            spoor cluster --fresh. explain, trace, report and investigate then read it. Nothing is written when \
            the result does not fit the case (exit 1, naming the file and line).
            """)

    @Argument(help: "The Spark job's output directory.")
    var directory: String
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @Flag(name: .long, help: "Replace a stored clustering made with another profile.")
    var replace = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let database = try CaseDatabase(path: db)
        let s: ClusterSummary
        do {
            let job = try ClusterImport.readRun(directory: directory)
            try requireReplaceable(database, path: db, with: job.profile, replace: replace)
            s = try ClusterImport.load(database, directory: directory)
        } catch let e as InputError {
            throw CommandFailure("\(e)")
        }
        if output.json { try printJSON(s); return }
        print("imported      \(directory) into \(db)")
        print("profile       \(s.profile) (sha256 \(s.profileHash))")
        print("transactions  \(s.transactions)")
        print("addresses     \(s.addresses)")
        print("clusters      \(s.clusters) (\(s.singletons) singletons)")
        print("evidence      \(s.evidenceMerges) merges, \(s.evidenceStops) stopped links")
    }
}
