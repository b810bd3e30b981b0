import CaseStore
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `spoor cluster` and `spoor export clusters`, run in-process on the bundled sample chain.
@Suite struct ClusterCommandTests {
    func run(_ args: [String]) async throws { try await runSpoor(args) }

    @Test func clusterThenExportCSVAndGraphML() async throws {
        let dir = try Fixtures.temporaryDirectory("cluster-cli")
        let db = dir.appendingPathComponent("case.sqlite").path
        try await run(["ingest", Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path, "--db", db, "--quiet"])
        try await run(["cluster", "--db", db, "--profile", "default", "--json"])
        let csvPath = dir.appendingPathComponent("clusters.csv").path
        try await run(["export", "clusters", "--db", db, "--out", csvPath])
        let lines = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "address,cluster_id")
        #expect(lines.count == 3771 + 1)
        // Cluster ids are the smallest member's id: every id that occurs is also some address's own row id.
        let ids = Set(lines.dropFirst().map { $0.split(separator: ",")[1] })
        #expect(ids.count == 1858)

        let graphPath = dir.appendingPathComponent("clusters.graphml").path
        try await run(["export", "clusters", "--db", db, "--format", "graphml", "--out", graphPath])
        let graph = try String(contentsOfFile: graphPath, encoding: .utf8)
        #expect(graph.hasPrefix("<?xml") && graph.hasSuffix("</graphml>\n"))
        #expect(graph.components(separatedBy: "<node ").count - 1 == 3771)
        #expect(graph.components(separatedBy: "<edge ").count - 1 == 1913)
    }

    /// `default` turns `guard.roles` on: without a watchlist the guard knows no site, and the summary says so.
    @Test func roleGuardWithoutWatchlistIsNamedInTheSummary() async throws {
        let dir = try Fixtures.temporaryDirectory("cluster-cli-roles")
        let db = dir.appendingPathComponent("case.sqlite").path
        let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")
        try await run(["ingest", chain.appendingPathComponent("blocks").path, "--db", db, "--quiet"])
        let without = try await runSpoor(["cluster", "--db", db, "--profile", "default", "--quiet"])
        #expect(without.stdout.contains("role guard    refused nothing: no --watchlist"))
        let watchlist = chain.appendingPathComponent("case/watchlist.json").path
        let with = try await runSpoor(["cluster", "--db", db, "--profile", "default", "--fresh", "--quiet", "--watchlist", watchlist])
        #expect(!with.stdout.contains("role guard"))
        #expect(with.stdout.contains("guard.roles"))
    }

    @Test func unknownProfileAndBadProfileFileAreClearErrors() async throws {
        await #expect(throws: CommandFailure.self) { try await run(["cluster", "--db", "/nonexistent/x.sqlite", "--profile", "nope"]) }
        let dir = try Fixtures.temporaryDirectory("cluster-cli-profile")
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"id":"x","version":1,"cospend":[],"exclude":["exclude.typo"]}"#.utf8).write(to: bad)
        do {
            try await run(["cluster", "--db", dir.appendingPathComponent("c.sqlite").path, "--profile", bad.path])
            Issue.record("accepted a bad profile")
        } catch {
            #expect("\(error)".contains("bad.json") && "\(error)".contains("exclude[0]"))
        }
    }
}
