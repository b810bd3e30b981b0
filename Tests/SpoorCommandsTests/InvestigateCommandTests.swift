import CaseStore
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `spoor investigate` (the README's first command), then `tags import`, `trace`, `match-ads` and `report`
/// on the database it left, run in-process on the bundled sample chain.
@Suite(.serialized) struct InvestigateCommandTests {
    static let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) func investigateThenEachCommandOnItsDatabase() async throws {
        let out = try Fixtures.temporaryDirectory("investigate-cli")
        try await runSpoor(["investigate", Self.chain.appendingPathComponent("rpc/blocks.jsonl.gz").path,
                            "--case", Self.chain.appendingPathComponent("case").path, "--out", out.path, "--json"])
        for name in ["report.json", "report.html", "trail.graphml", "trail.dot", "case.sqlite"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) missing")
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
        for key in ["manifest", "site_cluster", "payer_clusters", "ads", "shared_contacts"] { #expect(report?[key] != nil) }
        let site = report?["site_cluster"] as? [String: Any]
        #expect((site?["size"] as? Int ?? 0) >= 99)
        // investigate clusters with the change profile, whose deposit-address link found the exchange: the report says so.
        #expect((report?["caveats"] as? [String] ?? []).contains { $0.contains("link.deposit-address") })

        let db = out.appendingPathComponent("case.sqlite").path
        try await runSpoor(["tags", "import", Self.chain.appendingPathComponent("case/watchlist.json").path, "--db", db, "--json"])
        try await runSpoor(["tags", "import", Self.chain.appendingPathComponent("case/watchlist.json").path, "--db", db])  // twice: no change
        // GraphSense's mainnet TagPack names no address of this regtest case: refused whole, nothing stored.
        await #expect(throws: CommandFailure.self) {
            try await runSpoor(["tags", "import", Fixtures.url("tagpacks/walletexplorer.yaml").path, "--db", db])
        }
        let tags = try TagStore.all(in: try CaseDatabase(path: db))
        #expect(tags.count == 3)
        let watch = Self.chain.appendingPathComponent("case/watchlist.json").path
        for policy in ["poison", "haircut", "fifo", "tiho"] {
            try await runSpoor(["trace", "--watchlist", watch, "--db", db, "--policy", policy, "--direction", "both", "--hops", "3", "--json"])
        }
        try await runSpoor(["match-ads", "--ads", Self.chain.appendingPathComponent("case/ads.csv").path,
                            "--rates", Self.chain.appendingPathComponent("case/rates.csv").path, "--site", watch, "--db", db, "--json"])
        // A window no ad can have is refused before matching (it used to overflow there and trap). With the rates:
        // without them the ads' USD prices are refused first and the window is never read.
        for window in ["9223372036854775807", "5270401"] {
            let error = await #expect(throws: (any Error).self) {
                try await runSpoor(["match-ads", "--ads", Self.chain.appendingPathComponent("case/ads.csv").path,
                                    "--rates", Self.chain.appendingPathComponent("case/rates.csv").path,
                                    "--site", watch, "--db", db, "--window-before", window])
            }
            #expect(error.map { Spoor.message(for: $0) }?.contains("--window-before") == true, "\(String(describing: error))")
        }
        // The same inputs give byte-identical reports.
        let a = out.appendingPathComponent("a.json").path, b = out.appendingPathComponent("b.json").path
        for path in [a, b] {
            try await runSpoor(["report", "--watchlist", watch, "--ads", Self.chain.appendingPathComponent("case/ads.csv").path,
                                "--rates", Self.chain.appendingPathComponent("case/rates.csv").path, "--db", db, "--out", path,
                                "--graph", out.appendingPathComponent("t.dot").path])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
        // The reference path (the whole chain in memory) writes the same report; a trace held to a few
        // transactions says it was cut.
        let whole = out.appendingPathComponent("whole.json").path, cut = out.appendingPathComponent("cut.json").path
        try await runSpoor(["report", "--watchlist", watch, "--ads", Self.chain.appendingPathComponent("case/ads.csv").path,
                            "--rates", Self.chain.appendingPathComponent("case/rates.csv").path, "--db", db, "--out", whole,
                            "--whole-chain"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: whole)))
        try await runSpoor(["report", "--watchlist", watch, "--db", db, "--out", cut, "--hops", "5", "--max-trace-transactions", "3"])
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cut))) as? [String: Any]
        let caveats = object?["caveats"] as? [String] ?? []
        #expect(caveats.contains { $0.hasPrefix("Tracing was cut short") })
    }

    @Test func badArgumentsAreClearErrors() async throws {
        let dir = try Fixtures.temporaryDirectory("investigate-bad")
        await #expect(throws: CommandFailure.self) {
            try await runSpoor(["investigate", Self.chain.appendingPathComponent("rpc/blocks.jsonl.gz").path,
                                "--case", dir.appendingPathComponent("nope").path, "--out", dir.path])
        }
        await #expect(throws: (any Error).self) {
            try await runSpoor(["report", "--watchlist", dir.appendingPathComponent("missing.json").path,
                                "--out", dir.appendingPathComponent("r.json").path, "--db", dir.appendingPathComponent("x.sqlite").path])
        }
        await #expect(throws: (any Error).self) { try await runSpoor(["trace", "--watchlist", "w.json", "--hops", "-1"]) }
    }
}
