import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// `output.script` is stored empty for scripts the address rebuilds (OutputScript.swift); every script must
/// still read back byte for byte.
@Suite struct OutputScriptTests {
    /// txid:n → script of every output in the source's blocks.
    static func sourceScripts(_ source: some ChainSource) throws -> [String: [UInt8]] {
        var scripts: [String: [UInt8]] = [:]
        while let item = try source.next() {
            guard case let .block(b) = item else { continue }
            for tx in b.block.transactions {
                for (n, out) in tx.outputs.enumerated() { scripts["\(tx.txid.hex):\(n)"] = out.scriptPubKey }
            }
        }
        return scripts
    }

    struct StoredOutput {
        var key: String
        var kind: ScriptKind
        var stored: [UInt8]
        var readBack: [UInt8]
    }

    /// Every output row: its stored BLOB and the script `OutputScript.bytes` gives for it.
    static func storedOutputs(_ path: String) throws -> [StoredOutput] {
        let db = try CaseDatabase(path: path, mode: .readOnly)
        return try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.id, o.n, o.script, o.scriptKind, a.address, t.txid FROM output o
                JOIN tx t ON t.id = o.txId LEFT JOIN address a ON a.id = o.addressId ORDER BY o.id
                """).map { row in
                let stored = [UInt8](row["script"] as Data? ?? Data())
                let kindCode: Int64 = row["scriptKind"]
                let txid = Txid(digest: try #require(row.digest("txid")))
                return StoredOutput(key: "\(txid.hex):\(row["n"] as Int64)",
                                    kind: try #require(ScriptKind(code: UInt8(kindCode))), stored: stored,
                                    readBack: try OutputScript.bytes(stored: stored, kindCode: kindCode,
                                                                     address: row["address"], outputId: row["id"]))
            }
        }
    }

    @Test func sampleChainScriptsReadBackExactlyAndTemplatesAreStoredEmpty() throws {
        let blocks = SampleChainIngestTests.chain.appendingPathComponent("blocks")
        let path = try temporaryDatabasePath("output-script")
        _ = try SampleChainIngestTests.ingestBlocks(into: path)
        let expected = try Self.sourceScripts(try BlockDirectorySource(directory: blocks, network: nil))
        let rows = try Self.storedOutputs(path)
        #expect(rows.count == expected.count)
        var elided = 0, kept = 0
        for row in rows {
            let original = try #require(expected[row.key], "output \(row.key) is not in the source")
            #expect(row.readBack == original, "script of \(row.key) (\(row.kind.rawValue))")
            if OutputScript.isRebuildable(row.kind) {
                // Core's wallets make only standard templates: each one's address rebuilds it.
                #expect(row.stored.isEmpty, "\(row.key) (\(row.kind.rawValue)) should be stored empty")
                elided += 1
            } else {
                #expect(row.stored == original, "\(row.key) (\(row.kind.rawValue)) must keep its bytes")
                kept += 1
            }
        }
        #expect(elided > 2_000, "the sample pays thousands of template outputs (\(elided))")
        #expect(kept >= 336, "every block's coinbase carries an OP_RETURN witness commitment (\(kept) kept)")
    }

    @Test func p2pkAndNulldataKeepTheirBytes() throws {
        // Mainnet blocks 0–4 pay bare keys (P2PK, whose address is the key's hash, not the key); block 413567
        // holds OP_RETURN outputs (bare multisig: no fixture has one; the classifier treats it like any kept kind).
        let dir = try Fixtures.temporaryDirectory("output-script-blk")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(try Fixtures.bytes("btcd/blk_0_to_4.dat")).write(to: dir.appendingPathComponent("blk00000.dat"))
        var expected = try Self.sourceScripts(try BlockDirectorySource(directory: dir, network: nil))
        let raw = Fixtures.url("bitcoin-core/block413567.raw")
        expected.merge(try Self.sourceScripts(try RawBlockSource(file: raw, network: .main))) { a, _ in a }

        var kinds: [ScriptKind: Int] = [:]
        for (label, source) in [("blk", try BlockDirectorySource(directory: dir, network: nil) as any ChainSource),
                                ("raw", try RawBlockSource(file: raw, network: .main))] {
            let path = try temporaryDatabasePath("output-script-\(label)")
            var options = IngestOptions()
            options.network = .main
            _ = try Ingestor(database: try CaseDatabase(path: path), options: options).ingest(source)
            for row in try Self.storedOutputs(path) {
                let original = try #require(expected[row.key])
                #expect(row.readBack == original, "script of \(row.key) (\(row.kind.rawValue))")
                if !OutputScript.isRebuildable(row.kind) {
                    #expect(row.stored == original, "\(row.key) (\(row.kind.rawValue)) must keep its bytes")
                }
                kinds[row.kind, default: 0] += 1
            }
        }
        #expect(kinds[.pubkey, default: 0] >= 5, "\(kinds)")
        #expect(kinds[.nulldata, default: 0] >= 1, "\(kinds)")
        #expect(kinds[.pubkeyhash, default: 0] >= 1000, "\(kinds)")
    }

    @Test func coreDecodescriptScriptsReadBackAndOnlyAddressedTemplatesAreElided() throws {
        // The scripts of Core's rpc_decodescript.json (nonstandard ones, witness_unknown, OP_RETURN, P2SH, P2WSH,
        // P2TR), paid by one loose transaction.
        guard let rows = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("bitcoin-core/rpc_decodescript.json"))) as? [[Any]] else {
            Issue.record("rpc_decodescript.json is not an array of rows")
            return
        }
        var scripts: [[UInt8]] = []
        var coreAddress: [String?] = []
        var coreType: [String] = []
        for row in rows {
            let hex = try #require(row.first as? String)
            let decoded = try #require(row.last as? [String: Any])
            scripts.append(try Hex.decode(hex))
            coreAddress.append(decoded["address"] as? String)
            coreType.append(try #require(decoded["type"] as? String))
        }
        let tx = Transaction(version: 2, inputs: [TxIn(prevout: OutPoint(txid: Txid(digest: Hashing.sha256d([1])), vout: 0))],
                             outputs: scripts.map { TxOut(value: Amount(satoshis: 1_000), scriptPubKey: $0) }, lockTime: 0)
        let path = try temporaryDatabasePath("output-script-decodescript")
        try ingest([.transaction(tx, SourceLocation(file: "rpc_decodescript.json"))], into: path, classify: nil)
        let stored = try Self.storedOutputs(path)
        #expect(stored.count == scripts.count)
        var nonstandard = 0
        for (n, row) in stored.enumerated() {
            #expect(row.key == "\(tx.txid.hex):\(n)")
            #expect(row.kind.rawValue == coreType[n])
            #expect(row.readBack == scripts[n], "script \(n) (\(coreType[n]))")
            let elided = coreAddress[n] != nil && OutputScript.isRebuildable(row.kind)
            #expect(row.stored == (elided ? [] : scripts[n]), "script \(n) (\(coreType[n])) stored as \(row.stored)")
            if row.kind == .nonstandard { nonstandard += 1 }
        }
        #expect(nonstandard == 5)
    }

    @Test func aScriptItsAddressDoesNotRebuildKeepsItsBytes() throws {
        // A classifier that names the wrong P2PKH address for every P2PKH script: the write-time check must
        // refuse to elide (the address would rebuild another script), so the bytes stay.
        let real = ScriptClassifier(network: .regtest)
        let other = try Address("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ")  // a testnet P2PKH of Core's key_io_valid.json
        let lying: ScriptClassify = { script in
            var c = real.classify(script)
            if c.kind == .pubkeyhash { c.address = other.string }
            return c
        }
        let blocks = try RegtestFixture.blocks()
        let path = try temporaryDatabasePath("output-script-lying")
        try ingest(RegtestFixture.items(blocks), into: path, classify: lying)
        var expected: [String: [UInt8]] = [:]
        for tx in blocks.flatMap(\.transactions) {
            for (n, out) in tx.outputs.enumerated() { expected["\(tx.txid.hex):\(n)"] = out.scriptPubKey }
        }
        var p2pkh = 0
        for row in try Self.storedOutputs(path) {
            let original = try #require(expected[row.key])
            #expect(row.readBack == original)
            if row.kind == .pubkeyhash && original != other.scriptPubKey {
                #expect(row.stored == original, "\(row.key) was elided although its address rebuilds another script")
                p2pkh += 1
            }
        }
        #expect(p2pkh > 0, "the fixture chain pays P2PKH outputs")
    }

    @Test func emptyStoredScriptOfRebuildableKindWithoutAddressIsAnError() {
        #expect(throws: StoreError.self) {
            try OutputScript.bytes(stored: [], kindCode: Int64(ScriptKind.pubkeyhash.code), address: nil, outputId: 7)
        }
        #expect(throws: StoreError.self) {
            // A P2SH address cannot rebuild a P2PKH output.
            try OutputScript.bytes(stored: [], kindCode: Int64(ScriptKind.pubkeyhash.code),
                                   address: "2NC2hEhe28ULKAJkW5MjZ3jtTMJdvXmByvK", outputId: 7)
        }
        // A script that really is empty is nonstandard and reads back empty.
        #expect((try? OutputScript.bytes(stored: [], kindCode: Int64(ScriptKind.nonstandard.code), address: nil,
                                         outputId: 7)) == [])
    }
}
