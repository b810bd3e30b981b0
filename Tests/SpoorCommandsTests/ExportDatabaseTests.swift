import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `spoor export --db`: the case database's chain as bitcoin-etl, inputs enriched from the store.
@Suite struct ExportDatabaseTests {
    /// Ingesting the blk files and exporting the database must give exactly what exporting the node's own
    /// `getblock 3` dump gives: there, every input's address and value come from Core's `prevout`, here from
    /// Spoor's resolution of the blk data, so the two sides share no input.
    @Test func databaseExportEqualsTheNodeJSONExport() async throws {
        let dir = try Fixtures.temporaryDirectory("export-db")
        let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")
        let db = dir.appendingPathComponent("case.sqlite").path
        try await runSpoor(["ingest", chain.appendingPathComponent("blocks").path, "--db", db, "--quiet"])
        try await runSpoor(["export", "--db", db, "--out", dir.appendingPathComponent("from-db").path])
        try await runSpoor(["export", "--from", chain.appendingPathComponent("rpc/blocks.jsonl.gz").path,
                            "--out", dir.appendingPathComponent("from-rpc").path])
        for name in ["blocks.json", "transactions.json"] {
            let mine = try Data(contentsOf: dir.appendingPathComponent("from-db/\(name)"))
            let node = try Data(contentsOf: dir.appendingPathComponent("from-rpc/\(name)"))
            #expect(!mine.isEmpty)
            #expect(mine == node, "\(name) differs")
        }
        let lines = try String(contentsOf: dir.appendingPathComponent("from-db/transactions.json"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 2470)
    }

    /// bitcoin-etl's own enriched expectation for blocks 50001–50002: ingest Core's answers (the spent
    /// transactions first, as loose transactions), export the database, compare inputs and fees.
    @Test func databaseExportMatchesBitcoinETLsEnrichedRows() async throws {
        let fixture = Fixtures.url("bitcoin-etl/bitcoin/stream_50001_50002")
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.path).sorted()
        let spent = names.filter { $0.hasPrefix("rpc_response_getrawtransaction_") }
        let blocks = names.filter { $0.hasPrefix("rpc_response_getblock_") && $0.hasSuffix("_2.json") }
        let dir = try Fixtures.temporaryDirectory("export-db-etl")
        let db = dir.appendingPathComponent("case.sqlite").path
        for name in spent + blocks {
            try await runSpoor(["ingest", fixture.appendingPathComponent(name).path, "--db", db, "--network", "main",
                                "--quiet"])
        }
        let out = dir.appendingPathComponent("out")
        try await runSpoor(["export", "--db", db, "--out", out.path])

        func rows(_ url: URL) throws -> [String: [String: Any]] {
            var byHash: [String: [String: Any]] = [:]
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                byHash[try #require(row["hash"] as? String)] = row
            }
            return byHash
        }
        let expected = try rows(fixture.appendingPathComponent("expected_transactions.json"))
        let mine = try rows(out.appendingPathComponent("transactions.json"))
        #expect(expected.count == 4)
        for (hash, want) in expected {
            let got = try #require(mine[hash], "transaction \(hash) missing from the export")
            #expect((got["fee"] as? NSNumber)?.int64Value == (want["fee"] as? NSNumber)?.int64Value, "fee of \(hash)")
            #expect(got["block_number"] as? Int == want["block_number"] as? Int)
            let gotInputs = got["inputs"] as? [[String: Any]] ?? []
            let wantInputs = want["inputs"] as? [[String: Any]] ?? []
            #expect(gotInputs.count == wantInputs.count)
            for (g, w) in zip(gotInputs, wantInputs) {
                #expect((g["value"] as? NSNumber)?.int64Value == (w["value"] as? NSNumber)?.int64Value)
                #expect(g["addresses"] as? [String] == w["addresses"] as? [String])
                #expect(g["spent_transaction_hash"] as? String == w["spent_transaction_hash"] as? String)
            }
        }
    }

    @Test func exactlyOneOfFromAndDatabase() {
        #expect(throws: (any Error).self) { try Spoor.parseAsRoot(["export", "--out", "/tmp/x"]) }
        #expect(throws: (any Error).self) {
            try Spoor.parseAsRoot(["export", "--from", "a", "--db", "b", "--out", "/tmp/x"])
        }
    }
}
