import ArgumentParser
import CaseStore
import ChainIndex
import Clustering
import Evaluation
import Foundation
import Investigation
import Reports

/// `spoor evaluate --truth DIR [--db DB] [--case DIR] …`: scores cases against their sample chains' ground
/// truth — the clustering stored in each case database, and the report the analysis makes from the case files
/// — and, over several chains, prints each chain, the mean and the worst. Definitions: Heuristics/README.md
/// ("Evaluation").
struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Score cases against sample chains' ground truth.",
        discussion: """
            Give one --truth per chain, each with its --db (default case.sqlite for a single chain) and, unless \
            --clustering-only, its case folder (--case; default: the case/ folder beside truth/). The k-th \
            --db and --case go with the k-th --truth. Scores the clustering stored in the database (run spoor \
            cluster first) and the report the analysis makes (investigate's default parameters unless given).
            """)

    @Option(name: .long, help: "A sample chain's truth folder, or the chain folder holding truth/ (repeat for several chains).")
    var truth: [String]
    @Option(name: .long, help: "The case database of each chain, in --truth order.")
    var db: [String] = []
    @Option(name: .long, help: "The case folder (watchlist, ads, rates) of each chain, in --truth order.")
    var `case`: [String] = []
    @Flag(name: .long, help: "Score the clustering only (no site, payers, ads or contacts).")
    var clusteringOnly = false
    @Option(name: .long, help: "The profile file the cases were clustered with, when it is not one in Heuristics/profiles (for the change table and the score before links).")
    var profile: String?
    @OptionGroup var matching: MatchingOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !truth.isEmpty else { throw ValidationError("give at least one --truth") }
        guard db.count == truth.count || (db.isEmpty && truth.count == 1) else {
            throw ValidationError("\(truth.count) --truth but \(db.count) --db: give one --db per --truth")
        }
        guard `case`.isEmpty || `case`.count == truth.count else {
            throw ValidationError("\(truth.count) --truth but \(`case`.count) --case: give one --case per --truth, or none")
        }
    }

    func run() async throws {
        var chains: [ChainEvaluation] = []
        for (k, path) in truth.enumerated() {
            let truthFolder = try ChainTruth(path: path)
            let dbPath = db.isEmpty ? CaseDatabase.defaultPath : db[k]
            let caseDir = clusteringOnly ? nil : `case`.isEmpty ? truthFolder.folder.appendingPathComponent("case") : URL(fileURLWithPath: `case`[k])
            chains.append(try CaseScorer(truth: truthFolder, database: dbPath, caseFolder: caseDir, profileFile: profile,
                                         options: try analysisOptions(matching, nil)).score())
        }
        let corpus = CorpusEvaluation(chains: chains)
        if output.json { try printJSON(corpus); return }
        for c in chains { EvaluationText.print(c) }
        if chains.count > 1 { EvaluationText.printFigures(corpus) }
    }
}

/// Reads one case for scoring: the stored clustering, its evidence, an in-memory rerun of its profile, and the
/// report the analysis makes from the case files.
struct CaseScorer {
    var truth: ChainTruth
    var database: String
    var caseFolder: URL?
    var profileFile: String?
    /// The analysis parameters (investigate's defaults unless the command line says otherwise).
    var options = AnalysisOptions()

    func score() throws -> ChainEvaluation {
        guard FileManager.default.fileExists(atPath: database) else { throw CommandFailure("\(database): no such case database") }
        let store = try CaseDatabase(path: database, mode: .readOnly)
        let stored = try store.read { db in try ClusterStore.runProfile(db) }
        // `.links` for `guard.roles`' input (the site's own transactions), which the rerun reads like the run did.
        let (chain, txids) = try store.read { db in (try ChainIndexLoader.load(db, columns: [.spenderShapes, .links]), try ClusterStore.txidsByID(db)) }
        try truth.checkBelongs(to: Set(chain.index.txStoreID.map { txids[Int64($0)] ?? "" }), database: database)
        var assignment: [(address: String, cluster: Int64)] = []
        var merges: [(a: String, b: String, heuristics: [String])] = []
        try store.read { db in
            try ClusterStore.forEachAssignment(db) { assignment.append(($0, $1)) }
            try ClusterStore.forEachMerge(db) { a, b, _, h in merges.append((a, b, HeuristicRegistry.ids(inMask: h).map(\.rawValue))) }
        }
        let rerun = try self.rerun(store, chain: chain, txids: txids, stored: stored)
        var report: Report?
        if let caseFolder { report = try analyse(store, caseFolder) }
        return ChainEvaluation(truth: truth, profile: Report.Profile(id: stored.id, hash: stored.hash), assignment: assignment,
                               merges: merges, report: report, rerun: rerun)
    }

    /// The stored profile run again in memory, for what the store does not keep (the change picks, the clusters
    /// before the links); nil when no profile file with the stored hash is found. The rerun must give the
    /// stored clusters; when it does not, evaluation stops rather than describe another clustering.
    func rerun(_ store: CaseDatabase, chain: LoadedChain, txids: [Int64: String], stored: (id: String, hash: String)) throws -> EvaluationReport? {
        let profile: HeuristicProfile
        if let profileFile { profile = try ProfileOption.resolve(profileFile) } else {
            // A shipped profile of that name, when there is one; else no rerun.
            do { profile = try ProfileOption.resolve(stored.id) } catch { return nil }
        }
        guard profile.hash == stored.hash else {
            if profileFile != nil {
                throw CommandFailure("\(profileFile!): sha256 \(profile.hash), but \(database) was clustered with profile \(stored.id) (sha256 \(stored.hash))")
            }
            return nil
        }
        var tags: [AddressID: String] = [:]
        let byAddress = try TagStore.entityTagsByAddress(in: store)
        for (address, id) in try TraceGraphLoader.addressIDs(Array(byAddress.keys), in: store) {
            tags[AddressID(UInt32(id))] = byAddress[address]
        }
        let site = try roleSite(store, profile: profile, entityTags: byAddress)
        let roles = site.isEmpty ? ObservedRoles()
            : try store.read { db in try ClusterRunner.observedRoles(db, chain: chain.index, site: site, addressBound: chain.addressBound) }
        var clusterer = Clusterer(profile: profile, addressCount: chain.addressBound, entityTags: tags, roles: roles)
        clusterer.process(chain.index)
        let roots = clusterer.clusterIDs()
        let storedClusters = try TraceClusterLoader.load(store, addressCapacity: roots.count).clusterOf
        let differing = roots.indices.filter { Int(roots[$0]) != storedClusters[$0] }.count
        guard differing == 0 else {
            // Entity tags from a file (`spoor cluster --entity-tags`) are not in the database: the rerun cannot
            // reproduce that clustering, so it describes nothing stored.
            printError("\(database): profile \(stored.id) run again gives other clusters for \(differing) addresses (entity tags from a file?); the change table and the score before links are left out")
            return nil
        }
        let truthTransactions = truth.transactions
        return EvaluationReport(batch: chain.index, txid: { txids[Int64($0.raw)] ?? "" }, truth: truthTransactions, clusterer: &clusterer)
    }

    /// The site `guard.roles` read when the stored clustering was made: the case's watchlist when the run's guard
    /// input digest is that of the watchlist (as `investigate` and `spoor cluster --watchlist` make it), else none.
    func roleSite(_ store: CaseDatabase, profile: HeuristicProfile, entityTags: [String: String]) throws -> [String] {
        guard profile.guards.roles,
              let watchlist = CaseFolder.watchlist(in: caseFolder ?? truth.folder.appendingPathComponent("case")) else { return [] }
        let site = try TagParser.parse(fileURL: watchlist).tags.map(\.address)
        let stored = try store.read { try ClusterRunStore.state($0) }?.tagsDigest
        return stored == ClusterRunner.guardInputDigest(entityTags: entityTags, site: site) ? site : []
    }

    func analyse(_ store: CaseDatabase, _ folder: URL) throws -> Report {
        let fm = FileManager.default
        guard let watchlist = CaseFolder.watchlist(in: folder) else {
            throw CommandFailure("\(folder.path): no watchlist.json or watchlist.csv (pass --case, or --clustering-only)")
        }
        let ads = folder.appendingPathComponent("ads.csv"), rates = folder.appendingPathComponent("rates.csv")
        guard fm.fileExists(atPath: ads.path) else { throw CommandFailure("\(folder.path): no ads.csv") }
        let report = try CaseAnalysis.run(database: store, files: CaseFiles(
            watchlist: watchlist, ads: ads, rates: fm.fileExists(atPath: rates.path) ? rates : nil), options: options).report
        let known = Set(truth.ads.map(\.adID))
        if let stray = report.ads.first(where: { !known.contains($0.adID) }) {
            throw CommandFailure("\(ads.path): ad \(stray.adID) is not in \(truth.folder.path)/truth/ads.csv: the case and the truth are of different chains")
        }
        return report
    }
}
