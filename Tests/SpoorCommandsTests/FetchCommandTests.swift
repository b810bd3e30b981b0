import ArgumentParser
import CaseStore
import ChainSources
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `spoor fetch` and `spoor ingest --rpc` as the command line runs them, against the loopback stand-ins.
@Suite struct FetchCommandTests {
    static let jsonl = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path
    static let lines = Result { () throws -> [[UInt8]] in
        let reader = try GzipLineReader(path: jsonl)
        var out: [[UInt8]] = []
        while let line = try reader.nextLine() { out.append(line) }
        return out
    }

    func databasePath(_ label: String) throws -> String {
        try Fixtures.temporaryDirectory(label).appendingPathComponent("case.sqlite").path
    }

    func run(_ arguments: [String]) async throws {
        try await runSpoor(arguments)
    }

    @Test func fetchCommandFillsTheDatabase() async throws {
        let esplora = try FakeEsplora(lines: try Self.lines.get())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let path = try databasePath("fetch-command")
        try await run(["fetch", "--esplora", esplora.url, address, "--hops", "1", "--db", path, "--rate", "200",
                       "--quiet", "--json"])
        let stats = try StoreQueries.stats(try CaseDatabase(path: path, mode: .readOnly))
        #expect(stats.transactions == esplora.neighbourhood(of: address, hops: 1).count)
        #expect(stats.network == "regtest", "inferred from the bcrt1 address")
    }

    @Test func fetchReportSaysWhatWasDone() throws {
        let esplora = try FakeEsplora(lines: try Self.lines.get())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let path = try databasePath("fetch-report")
        let fetch = FetchRun(esplora: esplora.url, addresses: [address], hops: 0, db: path, rate: 1000,
                             network: nil, progress: nil)
        let report = try fetch.run()
        #expect(report.summary.transactionsStored == 2)
        #expect(report.openItems == 0)
        #expect(report.network == "regtest")
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any]
        #expect(json?["transactions_stored"] as? Int == 2)
        #expect(json?["open_items"] as? Int == 0)
        #expect((json?["database_stats"] as? [String: Any])?["transactions"] as? Int == 2)
        #expect(report.text.contains("2 transactions"))
        // The same command again: nothing left to do.
        let again = try fetch.run()
        #expect(again.summary.requests == 0)
        #expect(again.summary.transactionsStored == 0)
    }

    /// The progress line of a fetch (on a terminal): each stage as it starts, then its items done of those known at
    /// its hop, the rate and the time left — until the next hop before the last one, since a hop's size is known
    /// only when it starts. A fake clock that moves one second per line makes every figure exact.
    @Test func fetchProgressGivesEachHopsShareAndTimeLeft() throws {
        let esplora = try FakeEsplora(lines: try Self.lines.get())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        final class Recorder { var lines: [String] = []; var clock = 0.0 }
        let r = Recorder()
        let meter = ProgressMeter(enabled: true, interval: 0, now: { 0 }, write: { r.lines.append($0) })
        let progress = FetchProgress(meter: meter, now: { r.clock += 1; return r.clock })
        _ = try FetchRun(esplora: esplora.url, addresses: [address], hops: 1, db: try databasePath("fetch-progress"),
                         rate: 1000, network: nil, progress: progress).run()
        func estimate(_ done: Int, of total: Int, until: String) -> String {
            guard done > 0, done < total else { return "" }
            let f = Double(done) / Double(total)
            return String(format: ", %.0f%%, about %.0f s left", f * 100, Double(done) * (1 - f) / f) + until
        }
        let hop1 = esplora.neighbourhood(of: address, hops: 1).count - 2
        #expect(hop1 > 2)
        var expected = ["listing addresses: 0 of 1, pages read: 0", "listing addresses: 1 of 1, pages read: 1"]
        for k in 0...2 {
            expected.append("the addresses' transactions: \(k) of 2 transactions, \(k == 0 ? "0.0" : "1.0") tx/s, "
                            + "\(k) stored" + estimate(k, of: 2, until: " until hop 1"))
        }
        for k in 0...hop1 {
            expected.append("hop 1 of 1: \(k) of \(hop1) transactions, \(k == 0 ? "0.0" : "1.0") tx/s, \(2 + k) stored"
                            + estimate(k, of: hop1, until: ""))
        }
        #expect(r.lines == expected.map { "\r" + $0 + "   " } + ["\n"])
    }

    @Test func interruptedFetchCommandSaysHowToContinue() throws {
        let esplora = try FakeEsplora(lines: try Self.lines.get())
        defer { esplora.stop() }
        let address = try #require(esplora.busyAddress)
        esplora.setOverride { _, n in n > 30 ? .text("busy", status: 503) : nil }
        let path = try databasePath("fetch-interrupted")
        // A base58 address: regtest shares its prefixes with testnet, so the network is given.
        var fetch = FetchRun(esplora: esplora.url, addresses: [address], hops: 0, db: path, rate: 1000,
                             network: .regtest, progress: nil)
        fetch.policy = HTTPPolicy(maxAttempts: 2, initialBackoff: 0)
        let error = #expect(throws: CommandFailure.self) { try fetch.run() }
        #expect(error?.description.contains("HTTP 503") == true)
        #expect(error?.description.contains("run the same command again to continue") == true)
        esplora.setOverride(nil)
        let report = try fetch.run()
        #expect(report.openItems == 0)
        #expect(report.stats.transactions == esplora.transactions(of: address).count)
    }

    @Test func fetchRefusesBadArguments() throws {
        #expect(throws: (any Error).self) { try Spoor.parseAsRoot(["fetch", "--esplora", "http://127.0.0.1:1"]) }
        let bad = #expect(throws: (any Error).self) {
            try Spoor.parseAsRoot(["fetch", "--esplora", "http://127.0.0.1:1", "bc1q/../../etc"])
        }
        #expect(bad.map { Spoor.message(for: $0) }?.contains("is not an address") == true)
        #expect(throws: (any Error).self) {
            try Spoor.parseAsRoot(["fetch", "--esplora", "http://127.0.0.1:1", "bcrt1qxyz", "--rate", "0"])
        }
    }

    @Test func ingestFromANodeWithUserAndEnvironmentPassword() async throws {
        let password = "cli-secret-\(UUID().uuidString)"
        let variable = "SPOOR_TEST_RPC_PASSWORD_\(UInt32.random(in: 0...UInt32.max))"
        var options = FakeNodeRPC.Options()
        options.credentials = ("alice", password)
        let node = try FakeNodeRPC(lines: try Self.lines.get(), options: options)
        defer { node.stop() }
        let path = try databasePath("ingest-rpc")
        setenv(variable, password, 1)
        defer { unsetenv(variable) }
        try await run(["ingest", "--rpc", node.url, "--rpc-user", "alice", "--rpc-password-env", variable,
                       "--from-height", "0", "--to-height", "60", "--db", path, "--quiet", "--json"])
        let stats = try StoreQueries.stats(try CaseDatabase(path: path, mode: .readOnly))
        #expect(stats.blocks == 61)
        #expect(stats.bestHeight == 60)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.range(of: Data(password.utf8)) == nil)

        // A wrong password: refused, and neither password is shown.
        setenv(variable, "wrong-\(password)", 1)
        let error = await #expect(throws: CommandFailure.self) {
            try await run(["ingest", "--rpc", node.url, "--rpc-user", "alice", "--rpc-password-env", variable,
                           "--db", path, "--quiet"])
        }
        #expect(error?.description.contains("401") == true)
        #expect(error?.description.contains(password) == false)
    }

    @Test func ingestRPCOptionsAreChecked() throws {
        func message(_ args: [String]) -> String? {
            do {
                _ = try Spoor.parseAsRoot(args)
                return nil
            } catch {
                return Spoor.message(for: error)
            }
        }
        let inURL = message(["ingest", "--rpc", "http://alice:url-secret@127.0.0.1:8332"])
        #expect(inURL?.contains("must not carry a password") == true)
        #expect(inURL?.contains("url-secret") == false)
        #expect(message(["ingest", "--rpc-cookie", "/tmp/.cookie"])?.contains("need --rpc URL") == true)
        #expect(message(["ingest", "--rpc", "http://127.0.0.1:8332", "--rpc-cookie", "c", "--rpc-user", "u"])?
            .contains("not both") == true)
        #expect(message(["ingest", "--rpc", "ftp://127.0.0.1:8332"])?.contains("not an http:// URL") == true)
        // There is no way to give the password as a flag.
        #expect(message(["ingest", "--rpc", "http://127.0.0.1:8332", "--rpc-password", "x"]) != nil)
        #expect(message(["ingest", "--rpc", "http://127.0.0.1:8332", "--to-height", "5"]) == nil)
    }
}
