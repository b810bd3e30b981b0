import BitcoinAddresses
import ArgumentParser
import CaseStore
import Foundation
import Investigation
import Reports

/// `spoor tags import FILE...` and `spoor tags list`.
struct Tags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags", abstract: "Import and list address tags (GraphSense TagPacks, watchlists).",
        subcommands: [TagsImport.self, TagsList.self])
}

struct TagsImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import GraphSense TagPacks (.yaml) or watchlists (.json/.csv: address, label, category).",
        discussion: """
            A TagPack's header fields (label, category, confidence, source, currency, is_cluster_definer) apply \
            to every tag that does not set them. Tags for other currencies than BTC are skipped and counted. A \
            cluster-definer tag labels the address's whole cluster; clusters named differently by two definer \
            tags are reported (and refused as merges by the clustering's entity guard). Importing the same file \
            twice changes nothing.
            """)
    @Argument(help: "TagPack YAML, watchlist JSON or CSV files.") var files: [String] = []
    @Option(name: .long, help: "The case database.") var db: String = CaseDatabase.defaultPath
    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        var files: [FileSummary]
        var tagsStored: Int
        var clusterDefiners: Int
        var conflicts: [TagConflict]
        enum CodingKeys: String, CodingKey {
            case files, tagsStored = "tags_stored", clusterDefiners = "cluster_definers", conflicts
        }
    }
    struct FileSummary: Encodable {
        var file: String
        var tags: Int
        var added: Int
        var skippedOtherCurrency: Int
        /// Tags whose address is not one of the database's network (counted, never stored).
        var skippedNotAnAddress: Int
        enum CodingKeys: String, CodingKey {
            case file, tags, added, skippedOtherCurrency = "skipped_other_currency", skippedNotAnAddress = "skipped_not_an_address"
        }
    }

    func run() async throws {
        guard !files.isEmpty else { throw CommandFailure("give at least one tag file") }
        let database = try CaseDatabase(path: db, mode: .readWrite)
        guard let network = try database.network() else {
            throw CommandFailure("\(db) holds no chain data yet, so no tag address can be checked against its network: "
                                 + "ingest the chain first (spoor ingest SOURCE --db \(db))")
        }
        var summaries: [FileSummary] = []
        for path in files {
            let parsed = try TagParser.parse(fileURL: URL(fileURLWithPath: path))
            let (valid, invalid) = TagAddressCheck.split(parsed.tags, network: network)
            if valid.isEmpty, let first = invalid.first {
                throw CommandFailure("\(path): none of its \(invalid.count) tags names a \(network.rawValue) address; the "
                                     + "first: \(first.error)")
            }
            let added = try TagStore.insert(valid.map { StoredTag($0) }, into: database)
            summaries.append(FileSummary(file: path, tags: valid.count, added: added,
                                         skippedOtherCurrency: parsed.skippedOtherCurrency, skippedNotAnAddress: invalid.count))
        }
        let all = try TagStore.all(in: database)
        let clusterOf = try TraceClusterLoader.clusters(of: all.compactMap(\.addressID), in: database)
        let conflicts = ClusterLabels.resolve(
            tags: all, clusterOf: { clusterOf[$0] ?? $0 }).conflicts
        let summary = Summary(files: summaries, tagsStored: all.count, clusterDefiners: all.filter(\.isClusterDefiner).count,
                              conflicts: conflicts)
        if output.json { try printJSON(summary); return }
        for s in summaries {
            print("\(s.file): \(s.tags) tags, \(s.added) new" + (s.skippedOtherCurrency > 0 ? ", \(s.skippedOtherCurrency) for other currencies skipped" : "")
                  + (s.skippedNotAnAddress > 0 ? ", \(s.skippedNotAnAddress) skipped: not \(network.rawValue) addresses" : ""))
        }
        print("\(summary.tagsStored) tags stored, \(summary.clusterDefiners) cluster definers")
        for c in conflicts {
            print("conflict: cluster \(c.cluster) is named \(c.labels.joined(separator: " and ")) (\(c.addresses.joined(separator: ", ")))")
        }
    }
}

struct TagsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored tags.")
    @Option(name: .long, help: "The case database.") var db: String = CaseDatabase.defaultPath
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let tags = try TagStore.all(in: try CaseDatabase(path: db, mode: .readOnly))
        if output.json { try printJSON(tags); return }
        for t in tags {
            // Labels come from shared TagPacks: escape sequences in them must not drive the terminal.
            let fields = [t.address, t.label, t.category ?? "", t.isClusterDefiner ? "cluster" : "address", t.origin]
            print(fields.map(VisibleText.shown).joined(separator: "\t"))
        }
    }
}
