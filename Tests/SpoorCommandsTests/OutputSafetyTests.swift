import CaseStore
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// Output paths that would destroy evidence: the case database (or its WAL), an input, a symlink planted
/// where an export writes. Each is refused before anything is written (they used to be overwritten, exit 0).
@Suite(.serialized) struct OutputSafetyTests {
    static let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")

    func blocks(_ db: String) throws -> Int {
        try CaseDatabase(path: db, mode: .readOnly).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block") ?? -1 }
    }

    @Test func reportAndExportRefuseToOverwriteTheDatabaseOrAnInput() async throws {
        let dir = try Fixtures.temporaryDirectory("output-safety")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("case.sqlite").path
        try await runSpoor(["ingest", Self.chain.appendingPathComponent("blocks").path, "--db", db, "--quiet"])
        let watch = Self.chain.appendingPathComponent("case/watchlist.json").path
        let ads = dir.appendingPathComponent("ads.csv")
        try FileManager.default.copyItem(at: Self.chain.appendingPathComponent("case/ads.csv"), to: ads)
        let adsBefore = try Data(contentsOf: ads)
        let link = dir.appendingPathComponent("innocent.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: db)
        let ok = dir.appendingPathComponent("r.json").path
        for (extra, fragment) in [(["--out", db], "case database"), (["--out", ok, "--html", ads.path], "--ads input"),
                                  (["--out", ok, "--graph", db + "-wal"], "-wal"), (["--out", link], "case database"),
                                  (["--out", ok, "--html", ok], "another output")] {
            await #expect {
                try await runSpoor(["report", "--watchlist", watch, "--ads", ads.path, "--db", db] + extra)
            } throws: { error in
                "\(error)".contains(fragment)
            }
        }
        await #expect(throws: CommandFailure.self) { try await runSpoor(["export", "clusters", "--db", db, "--out", db]) }
        #expect(try blocks(db) == 337, "the database is intact")
        #expect(try Data(contentsOf: ads) == adsBefore, "the ads file is intact")
        #expect(!FileManager.default.fileExists(atPath: ok))
    }

    /// `export --out DIR` where DIR/blocks.json is a symlink to another file: the symlink is replaced by the
    /// export, and the file it pointed at keeps its bytes (it used to be overwritten through the link).
    @Test func exportReplacesAPlantedSymlinkInsteadOfWritingThroughIt() async throws {
        let dir = try Fixtures.temporaryDirectory("export-symlink")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("etl")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let victim = dir.appendingPathComponent("evidence.txt")
        try Data("keep me\n".utf8).write(to: victim)
        try FileManager.default.createSymbolicLink(atPath: out.appendingPathComponent("blocks.json").path,
                                                   withDestinationPath: victim.path)
        try await runSpoor(["export", "--from", Fixtures.url("bitcoin-core/block413567.raw").path, "--out", out.path,
                            "--network", "main"])
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("blocks.json").path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        let lines = try String(contentsOf: out.appendingPathComponent("blocks.json"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).contains { $0.contains(".partial-") })
    }
}
