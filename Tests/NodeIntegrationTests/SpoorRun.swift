import CaseStore
import Foundation
import SpoorTestSupport
import Testing

/// The `spoor` executable run as a child process, as an analyst runs it.
enum Spoor {
    /// `--json` output as an object.
    static func json(_ run: ChildRun) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return try #require(obj, "not a JSON object: \(run.stdout.prefix(300))")
    }

    /// Runs `spoor ARGS`; a run past `timeout` seconds is killed and recorded as an issue.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> ChildRun {
        let executable = try #require(ChildRun.spoor, "build the spoor executable first (swift build)")
        let run = try ChildRun.run(executable, arguments, environment: environment, timeout: timeout)
        if run.timedOut { Issue.record("spoor \(arguments.joined(separator: " ")) ran longer than \(Int(timeout)) s") }
        return run
    }

    /// `spoor ingest --rpc` against `node` with its cookie, `--json`; fails the test when it fails.
    @discardableResult
    static func ingestRPC(_ node: RegtestNode, db: String, extra: [String] = []) throws -> [String: Any] {
        let run = try run(["ingest", "--rpc", node.url, "--rpc-cookie", node.cookiePath, "--db", db, "--json",
                           "--quiet"] + extra)
        try #require(run.status == 0, "spoor ingest --rpc: \(run)")
        return try json(run)
    }

    /// `spoor ingest DIR`.
    @discardableResult
    static func ingest(_ source: String, db: String) throws -> [String: Any] {
        let run = try run(["ingest", source, "--db", db, "--json", "--quiet"])
        try #require(run.status == 0, "spoor ingest \(source): \(run)")
        return try json(run)
    }

    /// `spoor export --db DB` into a fresh directory: file name → bytes.
    static func export(_ db: String, in scratch: URL) throws -> [String: Data] {
        let out = scratch.appendingPathComponent("export-\(UUID().uuidString.prefix(8))")
        let run = try run(["export", "--db", db, "--out", out.path])
        try #require(run.status == 0, "spoor export: \(run)")
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: out.path) {
            files[name] = try Data(contentsOf: out.appendingPathComponent(name))
        }
        try #require(!files.isEmpty, "spoor export wrote nothing")
        return files
    }

    /// `spoor stats --db DB --utxo --json`.
    static func stats(_ db: String) throws -> [String: Any] {
        let run = try run(["stats", "--db", db, "--utxo", "--json"])
        try #require(run.status == 0, "spoor stats: \(run)")
        return try json(run)
    }
}

/// A scratch directory under /tmp for one test's databases and exports, removed with its node.
final class Scratch {
    let url: URL

    init(_ label: String) throws {
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("spoor-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func db(_ name: String) -> String { url.appendingPathComponent("\(name).sqlite").path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Satoshis of a JSON amount in BTC as Core prints it (8 decimals); nil unless it is a whole number of
/// satoshis (a double holds every such amount below 21M BTC to well within half a satoshi).
func satoshis(_ value: Any?) -> Int64? {
    guard let number = value as? NSNumber else { return nil }
    let scaled = (number.doubleValue * 100_000_000).rounded()
    return abs(scaled - number.doubleValue * 100_000_000) < 0.01 ? Int64(scaled) : nil
}
