import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `spoor investigate` on each sample chain writes exactly the `report.json` kept in `Tests/Fixtures/golden/`
/// (apart from the tool version). A refactoring must leave every byte alone; a change that means to alter the
/// report updates the golden files in the same commit and says why in its message:
///
///     SPOOR_UPDATE_GOLDEN=1 swift test --filter GoldenReportTests
///
/// The bundled chain always runs; the others are read from the shared sample-chain folder
/// (`shared/data/samplechains` beside the repository or beside one of its parent folders, as for a worktree;
/// `SPOOR_SAMPLE_CHAINS` names another) and are skipped, with a message, where it is absent.
@Suite(.serialized, .enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) struct GoldenReportTests {
    static let sharedChains: URL = {
        if let path = ProcessInfo.processInfo.environment["SPOOR_SAMPLE_CHAINS"] { return URL(fileURLWithPath: path) }
        var folder = Fixtures.repositoryRoot
        while folder.pathComponents.count > 1 {
            folder = folder.deletingLastPathComponent()
            let candidate = folder.appendingPathComponent("shared/data/samplechains")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return Fixtures.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/samplechains")
    }()

    static func sharedChainPresent(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: sharedChains.appendingPathComponent("\(name)/blocks/blk00000.dat").path)
    }

    @Test func bundledSmallSeed1() async throws {
        try await check(chain: Fixtures.sampleChains.appendingPathComponent("small-seed1"), name: "small-seed1")
    }

    /// The default profile and a forward trace too: `ingest`, `cluster`, `report --direction both` (FIFO, 3 hops).
    @Test func bundledSmallSeed1DefaultProfileBothDirections() async throws {
        let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")
        let out = try Fixtures.temporaryDirectory("golden-default")
        defer { try? FileManager.default.removeItem(at: out) }
        let db = out.appendingPathComponent("case.sqlite").path
        try await runSpoor(["ingest", chain.appendingPathComponent("blocks").path, "--db", db, "--quiet", "--json"])
        try await runSpoor(["cluster", "--db", db, "--json"])
        let casePath = chain.appendingPathComponent("case").path
        try await runSpoor(["report", "--db", db, "--watchlist", casePath + "/watchlist.json", "--ads", casePath + "/ads.csv",
                            "--rates", casePath + "/rates.csv", "--direction", "both", "--policy", "fifo", "--hops", "3",
                            "--out", out.appendingPathComponent("report.json").path])
        try compare(out.appendingPathComponent("report.json"), golden: "small-seed1.default-both")
    }

    @Test(.enabled(if: sharedChainPresent("small-seed4"), "shared sample chain small-seed4 is absent"))
    func sharedSmallSeed4() async throws { try await check(shared: "small-seed4") }

    @Test(.enabled(if: sharedChainPresent("small-seed5"), "shared sample chain small-seed5 is absent"))
    func sharedSmallSeed5() async throws { try await check(shared: "small-seed5") }

    @Test(.enabled(if: sharedChainPresent("medium-seed3"), "shared sample chain medium-seed3 is absent"))
    func sharedMediumSeed3() async throws { try await check(shared: "medium-seed3") }

    @Test(.enabled(if: sharedChainPresent("medium-seed6"), "shared sample chain medium-seed6 is absent"))
    func sharedMediumSeed6() async throws { try await check(shared: "medium-seed6") }

    func check(shared name: String) async throws {
        try await check(chain: Self.sharedChains.appendingPathComponent(name), name: name)
    }

    /// Runs the README's first command on the chain's blk files and case folder and compares its report.
    func check(chain: URL, name: String) async throws {
        let out = try Fixtures.temporaryDirectory("golden-\(name)")
        defer { try? FileManager.default.removeItem(at: out) }
        try await runSpoor(["investigate", chain.appendingPathComponent("blocks").path,
                            "--case", chain.appendingPathComponent("case").path, "--out", out.path, "--json"])
        try compare(out.appendingPathComponent("report.json"), golden: name)
    }

    /// Compares a written report with `Tests/Fixtures/golden/NAME.report.json` (or rewrites that file).
    func compare(_ report: URL, golden name: String) throws {
        let written = try Self.withoutToolVersion(String(decoding: Data(contentsOf: report), as: UTF8.self))
        let golden = Fixtures.url("golden/\(name).report.json")
        if ProcessInfo.processInfo.environment["SPOOR_UPDATE_GOLDEN"] == "1" {
            try Data(written.utf8).write(to: golden, options: .atomic)
            return
        }
        let expected = try Self.withoutToolVersion(String(decoding: Data(contentsOf: golden), as: UTF8.self))
        guard written != expected else { return }
        // Name the first differing line: a whole report in the failure message would bury it.
        let a = written.split(separator: "\n", omittingEmptySubsequences: false)
        let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        Issue.record("""
            \(name): report.json differs from Tests/Fixtures/golden/\(name).report.json from line \(line + 1) \
            (\(a.count) lines written, \(b.count) expected)
            written:  \(line < a.count ? String(a[line]) : "<end>")
            expected: \(line < b.count ? String(b[line]) : "<end>")
            """)
    }

    /// The report with its `tool_version` value blanked: the only field a release may change by itself.
    static func withoutToolVersion(_ report: String) throws -> String {
        let pattern = try NSRegularExpression(pattern: #""tool_version" : "[^"]*""#)
        let range = NSRange(report.startIndex..., in: report)
        guard pattern.numberOfMatches(in: report, range: range) == 1 else {
            throw CommandFailure("a report holds exactly one tool_version field")
        }
        return pattern.stringByReplacingMatches(in: report, range: range, withTemplate: #""tool_version" : """#)
    }
}
