import ArgumentParser
import CaseStore
import Clustering
import Foundation
import Investigation

/// `spoor cluster`: clusters the case database and prints the summary.
struct ClusterRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Cluster the case database's addresses with a heuristic profile.",
        discussion: """
            Extends the stored clustering when it was made with the same profile file and the chain only grew;
            otherwise (or with --fresh) starts over. Either way the cluster ids are the same: each cluster's id is
            its smallest address id. A clustering made with another profile is replaced only with --replace: every
            command that reads clusters (report, evaluate, trace, explain) uses the stored one and names its
            profile, so replacing it changes what they say.
            """)

    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @OptionGroup var profileOption: ProfileOption
    @Option(name: .long, help: "JSON object {address: entity} of tagged addresses for the entity collapse guard (added to the cluster-defining tags in the database).")
    var entityTags: String?
    @Option(name: .long, help: "Watchlist (JSON or CSV, as investigate reads it) of the site's addresses, for the role guard (guard.roles) of profiles that turn it on.")
    var watchlist: String?
    @Flag(name: .long, help: "Recluster from scratch instead of extending the stored clustering.")
    var fresh = false
    @Flag(name: .long, help: "Replace a stored clustering made with another profile.")
    var replace = false
    @Flag(name: .long, help: "No progress on standard error.")
    var quiet = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let profile = try profileOption.load()
        var tags: [String: String] = [:]
        if let entityTags {
            guard let data = FileManager.default.contents(atPath: entityTags) else {
                throw CommandFailure("\(entityTags): cannot read the entity tags file")
            }
            do { tags = try JSONDecoder().decode([String: String].self, from: data) } catch {
                throw CommandFailure("\(entityTags): expected a JSON object {\"address\": \"entity\"}: \(error)")
            }
        }
        let database = try CaseDatabase(path: db, mode: .readWrite)
        try database.requireChainData()
        try requireReplaceable(database, path: db, with: profile.id, replace: replace)
        // Cluster-defining tags already imported (spoor tags import) feed the entity guard too.
        for (address, entity) in try TagStore.entityTagsByAddress(in: database) where tags[address] == nil { tags[address] = entity }
        let meter = ProgressMeter(enabled: !quiet && Console.errorIsTerminal)
        let site = try watchlist.map { try TagParser.parse(fileURL: URL(fileURLWithPath: $0)).tags.map(\.address) } ?? []
        let s = try ClusterRunner.run(database, profile: profile, entityTags: tags, site: site, allowIncremental: !fresh,
                                      progress: meter.enabled ? { meter.show($0) } : nil)
        meter.finish()
        if output.json { try printJSON(s); return }
        print("profile       \(s.profile) (sha256 \(s.profileHash))")
        print("transactions  \(s.transactions) (\(s.transactionsProcessed) processed, \(s.incremental ? "extended the stored clustering" : "from scratch"), \(String(format: "%.2f", s.seconds)) s)")
        print("addresses     \(s.addresses)")
        print("clusters      \(s.clusters) (\(s.singletons) singletons)")
        print("largest       " + s.largest.prefix(5).map { "\($0.address) (\($0.size))" }.joined(separator: ", "))
        print("merges        " + s.mergesPerHeuristic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("exclusions    " + s.exclusionsPerRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if let n = s.depositServices { print("deposit links \(n) service cluster(s) whose deposit addresses link their payers") }
        print("guard refusals " + (s.guardRefusals.isEmpty ? "none" : s.guardRefusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        // The profile turns the role guard on but nothing says which addresses are the site's: say so, or the
        // analyst takes this clustering for the one investigate makes (which passes the case's watchlist).
        if profile.guards.roles && site.isEmpty {
            print("role guard    refused nothing: no --watchlist, so no address is known to receive the site's payments")
        }
    }
}

/// Runs a `spoor` command line in-process, as the executable would, and returns what it printed (tests drive
/// commands through it; nothing reaches the test process's own output). Errors are thrown, not printed.
@discardableResult
func runSpoor(_ arguments: [String]) async throws -> CapturedOutput {
    try await Console.capturing {
        var command = try Spoor.parseAsRoot(arguments)
        if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
    }
}
