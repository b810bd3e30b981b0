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
        enum CodingKeys: String, CodingKey { case file, tags, added, skippedOtherCurrency = "skipped_other_currency" }
    }

    func run() async throws {
        guard !files.isEmpty else { throw CommandFailure("give at least one tag file") }
        let database = try CaseDatabase(path: db)
        var summaries: [FileSummary] = []
        for path in files {
            let parsed = try TagParser.parse(fileURL: URL(fileURLWithPath: path))
            let added = try TagStore.insert(parsed.tags.map(StoredTag.init), into: database)
            summaries.append(FileSummary(file: path, tags: parsed.tags.count, added: added,
                                         skippedOtherCurrency: parsed.skippedOtherCurrency))
        }
        let all = try TagStore.all(in: database)
        let clusterOf = try TraceClusterLoader.clusters(of: all.compactMap(\.addressID), in: database)
        let conflicts = ClusterLabels.resolve(
            tags: all.map { (Tag(stored: $0), $0.addressID) }, clusterOf: { clusterOf[$0] ?? $0 }).conflicts
        let summary = Summary(files: summaries, tagsStored: all.count, clusterDefiners: all.filter(\.isClusterDefiner).count,
                              conflicts: conflicts)
        if output.json { try printJSON(summary); return }
        for s in summaries {
            print("\(s.file): \(s.tags) tags, \(s.added) new" + (s.skippedOtherCurrency > 0 ? ", \(s.skippedOtherCurrency) for other currencies skipped" : ""))
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
            print("\(t.address)\t\(t.label)\t\(t.category ?? "")\t\(t.isClusterDefiner ? "cluster" : "address")\t\(t.origin)")
        }
    }
}

extension StoredTag {
    init(_ t: Tag) {
        self.init(address: t.address, label: t.label, category: t.category, confidence: t.confidence, source: t.source,
                  actor: t.actor, isClusterDefiner: t.isClusterDefiner, origin: t.origin)
    }
}

extension Tag {
    init(stored t: StoredTag) {
        self.init(address: t.address, label: t.label, category: t.category, confidence: t.confidence, source: t.source,
                  actor: t.actor, isClusterDefiner: t.isClusterDefiner, origin: t.origin)
    }
}
