import CaseStore
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// Kills a real `spoor ingest` child process with SIGKILL at several points, runs the same command again, and
/// checks that the database holds exactly what a clean run writes.
@Suite struct KillResumeTests {
    static var spoorExecutable: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("spoor"),
            Fixtures.repositoryRoot.appendingPathComponent(".build/debug/spoor"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static let blocks = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path

    static func runIngest(_ executable: URL, db: String) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = ["ingest", blocks, "--db", db, "--quiet", "--batch-blocks", "3"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func checkpointHeight(_ path: String) -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(1)
        guard let q = try? DatabaseQueue(path: path, configuration: config) else { return nil }
        let text: String?? = try? q.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'checkpoint_height'")
        }
        guard let value = text ?? nil else { return nil }
        return Int(value)
    }

    /// Inputs linked to an output whose spent-by link is not set (read without `CaseDatabase`'s checks).
    static func unlinkedSpends(_ path: String) -> Int {
        var config = Configuration()
        config.readonly = true
        guard let q = try? DatabaseQueue(path: path, configuration: config) else { return -1 }
        return (try? q.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM input i JOIN output o ON o.id = i.spentOutputId WHERE o.spentByInputId IS NULL
                """) ?? -1
        }) ?? -1
    }

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow)), arguments: [0, 40, 120, 220])
    func killedIngestResumesToTheCleanDatabase(killAtHeight: Int) throws {
        let executable = try #require(Self.spoorExecutable, "build the spoor executable first (swift build)")
        let clean = try temporaryDatabasePath()
        let c = try Self.runIngest(executable, db: clean)
        c.waitUntilExit()
        #expect(c.terminationStatus == 0)

        let path = try temporaryDatabasePath()
        let child = try Self.runIngest(executable, db: path)
        let deadline = Date().addingTimeInterval(60)
        while child.isRunning, Date() < deadline {
            if let h = Self.checkpointHeight(path), h >= killAtHeight { break }
            usleep(500)
        }
        let killed = child.isRunning
        if killed { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        #expect(killed, "the ingest finished before it could be killed at height \(killAtHeight)")
        if killed {
            // Killed in its bulk load: the outputs' side of the spends is left to the pass at its end
            // (DeferredSpends), so the database does not claim it — a read-only open refuses, naming what to do.
            #expect(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
            // Heights below ~125 are the sample chain's coinbase-only bootstrap: nothing spent yet.
            if killAtHeight >= 220 { #expect(Self.unlinkedSpends(path) > 0, "spent-by links were deferred") }
        }

        let again = try Self.runIngest(executable, db: path)
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
        #expect(try fullDump(path) == fullDump(clean))
        let check = try CaseDatabase(path: path, mode: .readOnly).read { db in
            try String.fetchOne(db, sql: "PRAGMA integrity_check")
        }
        #expect(check == "ok")
    }
}
