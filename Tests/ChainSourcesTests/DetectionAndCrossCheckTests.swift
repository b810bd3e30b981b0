import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import CZlib
import Foundation
import SpoorTestSupport
import Testing

/// Writes `text` gzip-compressed with the system zlib.
func writeGzip(_ text: String, to url: URL) throws {
    guard let f = gzopen(url.path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    var bytes = Array(text.utf8)
    let written = bytes.withUnsafeMutableBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
    gzclose(f)
    #expect(Int(written) == text.utf8.count)
}

let sampleBlocksDir = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks")

@Suite struct DetectionTests {
    @Test func eachKindOfSourceIsRecognised() throws {
        let tmp = try Fixtures.temporaryDirectory("spoor-detect")
        // A raw block as hex text, and a raw transaction as one hex line.
        let blockHex = tmp.appendingPathComponent("block.hex")
        try Data(Hex.encode(try Fixtures.bytes("bitcoin-core/block413567.raw")).utf8).write(to: blockHex)
        // A bitcoin-etl export: the fixture's expected files under their export names, one of them sharded.
        let etl = tmp.appendingPathComponent("etl")
        try FileManager.default.createDirectory(at: etl, withIntermediateDirectories: true)
        let etlCase = Fixtures.url("bitcoin-etl/bitcoin/block_with_transactions")
        try FileManager.default.copyItem(at: etlCase.appendingPathComponent("expected_blocks.json"),
                                         to: etl.appendingPathComponent("blocks.json"))
        try writeGzip(try String(contentsOf: etlCase.appendingPathComponent("expected_transactions.json"), encoding: .utf8),
                      to: etl.appendingPathComponent("transactions_000.json.gz"))
        let cases: [(String, SourceDetection.Kind)] = [
            (sampleBlocksDir.path, .blockDirectory),
            (sampleBlocksDir.deletingLastPathComponent().path, .blockDirectory),  // a data directory
            (sampleRPC.path, .nodeJSON),
            (sampleRPC.deletingLastPathComponent().path, .nodeJSON),  // a directory of node JSON files
            (Fixtures.url("bitcoin-core/util/tt-delout1-out.json").path, .nodeJSON),
            (Fixtures.url("bitcoin-core/util/tx394b54bb.hex").path, .rawTransactions),
            (Fixtures.url("bitcoin-core/block413567.raw").path, .rawBlock),
            (blockHex.path, .rawBlock),
            (etl.path, .bitcoinETL),
        ]
        for (path, kind) in cases {
            #expect(try SourceDetection.kind(of: path) == kind, "\(path)")
            // And it opens and yields something.
            let source = try SourceDetection.open(path)
            #expect(try source.next() != nil, "\(path)")
        }
    }

    @Test func severalHexLinesAreRawTransactions() throws {
        let hex = try Fixtures.text("bitcoin-core/util/tx394b54bb.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        let url = try writeTemporary(Array((hex + "\n" + hex + "\n").utf8), name: "txs.hex")
        #expect(try SourceDetection.kind(of: url.path) == .rawTransactions)
        let items = try readAll(SourceDetection.open(url.path))
        #expect(items.count == 2)
    }

    @Test func nothingMatchesIsAClearError() throws {
        let tmp = try Fixtures.temporaryDirectory("spoor-detect")
        let empty = tmp.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let tiny = tmp.appendingPathComponent("tiny.bin")
        try Data([0x01, 0x02, 0xff]).write(to: tiny)
        let onlyBlocks = tmp.appendingPathComponent("half-etl")
        try FileManager.default.createDirectory(at: onlyBlocks, withIntermediateDirectories: true)
        try Data("{}\n".utf8).write(to: onlyBlocks.appendingPathComponent("blocks.json"))
        let emptyDir = tmp.appendingPathComponent("nothing")
        try FileManager.default.createDirectory(at: emptyDir, withIntermediateDirectories: true)
        let cases: [(String, String)] = [
            ("/nonexistent/path", "no such file"),
            (empty.path, "empty"),
            (tiny.path, "too short for a block"),
            (onlyBlocks.path, "transactions.json"),
            (emptyDir.path, "nothing Spoor can read"),
            (sampleBlocksDir.appendingPathComponent("blk00000.dat").path, "pass the directory"),
            (Fixtures.url("bitcoin-etl/bitcoin/block_0/expected_blocks.json").path, "bitcoin-etl export file"),
            (Fixtures.url("bitcoin-etl/bitcoin/block_0/rpc_response_getblockhash_0.json").path, "JSON string"),
        ]
        for (path, words) in cases {
            let error = #expect(throws: SourceError.self, "\(path)") { try SourceDetection.open(path) }
            #expect(error?.location.file == path)
            #expect(error?.message.contains(words) == true, "\(String(describing: error))")
        }
    }
}

@Suite struct BitcoinETLSourceTests {
    /// A bitcoin-etl export directory made of a fixture case's expected files.
    func exportDirectory(_ testCase: String) throws -> URL {
        let dir = try Fixtures.temporaryDirectory("spoor-etl")
        let from = Fixtures.url("bitcoin-etl/bitcoin/\(testCase)")
        try FileManager.default.copyItem(at: from.appendingPathComponent("expected_blocks.json"), to: dir.appendingPathComponent("blocks.json"))
        try FileManager.default.copyItem(at: from.appendingPathComponent("expected_transactions.json"), to: dir.appendingPathComponent("transactions.json"))
        return dir
    }

    @Test(arguments: ExportBitcoinETLTests.unenrichedCases)
    func readsBitcoinETLsOwnExportsLikeTheNodeJSON(testCase: String) throws {
        // bitcoin-etl's expected export and the getblock JSON it was made from must give the same chain data.
        let fromETL = blocks(try readAll(BitcoinETLSource(directory: exportDirectory(testCase), network: nil)))
        let fromNode = blocks(try readAll(NodeJSONSource(files: try etlGetblockFilesInHeightOrder(testCase))))
        #expect(fromETL.count == fromNode.count)
        for (a, b) in zip(fromETL, fromNode) {
            #expect(a.block.hash == b.block.hash)
            #expect(a.height == b.height)
            #expect(a.block.size == b.block.size)
            #expect(a.block.transactions == b.block.transactions)  // pre-segwit: no witness was lost
        }
    }

    @Test func aSegwitChainRoundTripsThroughOurOwnExport() throws {
        // Export the sample (segwit, taproot), read the export back, export again: identical files; and every
        // transaction keeps its txid, inputs, outputs and sizes (witness data is not in bitcoin-etl rows).
        let first = try exportNodeJSON([sampleRPC.path], network: .regtest)
        let reread = BitcoinETLSource(layout: try #require(try BitcoinETLLayout.find(in: first)), network: nil)
        let again = try Fixtures.temporaryDirectory("spoor-export")
        let original = blocks(try readAll(NodeJSONSource(path: sampleRPC.path)))
        var roundTripped: [SourceBlock] = []
        final class Recording: ChainSource {
            let inner: BitcoinETLSource
            var seen: [SourceBlock] = []
            init(_ inner: BitcoinETLSource) { self.inner = inner }
            var network: Network? { inner.network }
            func next() throws -> SourceItem? {
                let item = try inner.next()
                if case .block(let b)? = item { seen.append(b) }
                return item
            }
        }
        let recording = Recording(reread)
        try BitcoinETLExporter(writer: try BitcoinETLWriter(directory: again, network: .regtest)).exportAll(from: recording)
        roundTripped = recording.seen
        #expect(reread.network == .regtest)
        for name in ["blocks.json", "transactions.json"] {
            #expect(try Data(contentsOf: first.appendingPathComponent(name)) == Data(contentsOf: again.appendingPathComponent(name)))
        }
        #expect(roundTripped.count == original.count)
        // Enriched inputs give back the spent output wherever its address fixes the script (not for P2PK,
        // whose row carries only the key's P2PKH address).
        var prevoutsCompared = 0
        for (a, b) in zip(roundTripped, original) {
            guard let stated = b.prevouts else { continue }
            let rebuilt = try #require(a.prevouts)
            for (x, y) in zip(rebuilt, stated) {
                let wanted = y.map { p -> TxOut? in
                    guard let p, ScriptClassifier.kind(of: p.scriptPubKey) != .pubkey else { return nil }
                    return p
                }
                #expect(x == wanted)
                prevoutsCompared += x.count { $0 != nil }
            }
        }
        #expect(prevoutsCompared > 2000)
        for (a, b) in zip(roundTripped, original) {
            #expect(a.block.hash == b.block.hash && a.height == b.height)
            #expect(a.block.size == b.block.size && a.block.strippedSize == b.block.strippedSize)
            for (x, y) in zip(a.block.transactions, b.block.transactions) {
                #expect(x.txid == y.txid && x.size == y.size && x.strippedSize == y.strippedSize && x.outputs == y.outputs)
                #expect(x.inputs.map(\.prevout) == y.inputs.map(\.prevout))
                #expect(x.inputs.map(\.scriptSig) == y.inputs.map(\.scriptSig))
            }
        }
    }

    @Test func gzipShardsInSubfoldersAreReadInOrder() throws {
        // Split the sample's export into shards of 50 blocks under blocks/ and transactions/ partitions.
        let plain = try exportNodeJSON([sampleRPC.path], network: .regtest)
        let blockLines = try String(contentsOf: plain.appendingPathComponent("blocks.json"), encoding: .utf8).split(separator: "\n")
        let txLines = try String(contentsOf: plain.appendingPathComponent("transactions.json"), encoding: .utf8).split(separator: "\n")
        let sharded = try Fixtures.temporaryDirectory("spoor-shards")
        var t = 0
        for (shard, start) in stride(from: 0, to: blockLines.count, by: 50).enumerated() {
            let rows = blockLines[start..<min(start + 50, blockLines.count)]
            let count = try rows.reduce(0) { sum, row in
                struct R: Decodable { var transaction_count: Int }
                return sum + (try JSONDecoder().decode(R.self, from: Data(row.utf8))).transaction_count
            }
            for (kind, lines) in [("blocks", Array(rows)), ("transactions", Array(txLines[t..<(t + count)]))] {
                let dir = sharded.appendingPathComponent("\(kind)/start_block=\(start)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try writeGzip(lines.joined(separator: "\n") + "\n", to: dir.appendingPathComponent("\(kind)_\(shard).json.gz"))
            }
            t += count
        }
        #expect(try SourceDetection.kind(of: sharded.path) == .bitcoinETL)
        let a = blocks(try readAll(SourceDetection.open(sharded.path)))
        let b = blocks(try readAll(SourceDetection.open(plain.path)))
        #expect(a.count == 337)
        #expect(a.map(\.block.hash) == b.map(\.block.hash))
    }

    @Test func badRowsNameTheFileAndLine() throws {
        let dir = try exportDirectory("block_with_transactions")
        let txFile = dir.appendingPathComponent("transactions.json")
        var lines = try String(contentsOf: txFile, encoding: .utf8).split(separator: "\n").map(String.init)
        // Change an output value of the second transaction: its rebuilt txid no longer matches.
        lines[1] = lines[1].replacingOccurrences(of: "\"value\": 10000000000}", with: "\"value\": 10000000001}")
        try Data(lines.joined(separator: "\n").utf8).write(to: txFile)
        let error = #expect(throws: SourceError.self) { try readAll(BitcoinETLSource(directory: dir, network: nil)) }
        #expect(error?.location.file == txFile.path && error?.location.line == 2)
        #expect(error?.message.contains("not to the stated hash") == true, "\(String(describing: error))")

        lines[1] = "{\"hash\": 7}"
        try Data(lines.joined(separator: "\n").utf8).write(to: txFile)
        let malformed = #expect(throws: SourceError.self) { try readAll(BitcoinETLSource(directory: dir, network: nil)) }
        #expect(malformed?.location.line == 2 && malformed?.message.contains("hash") == true, "\(String(describing: malformed))")

        try Data(lines[0].utf8).write(to: txFile)
        let short = #expect(throws: SourceError.self) { try readAll(BitcoinETLSource(directory: dir, network: nil)) }
        #expect(short?.message.contains("blocks.json says 3 transactions") == true, "\(String(describing: short))")
    }
}

/// The sample chain twice — Core's XOR-obfuscated blk files and its getblock 3 JSON — must be the same chain.
@Suite struct BlkVersusNodeJSONCrossCheckTests {
    @Test func everyTransactionAndTheExportsAreIdentical() throws {
        let fromBlk = drain(try BlockDirectorySource(directory: sampleBlocksDir, network: nil))
        #expect(fromBlk.error == nil)
        let fromJSON = blocks(try readAll(NodeJSONSource(path: sampleRPC.path)))
        #expect(fromBlk.blocks.count == 337 && fromJSON.count == 337)
        var compared = 0
        for (a, b) in zip(fromBlk.blocks, fromJSON) {
            #expect(a.block.hash == b.block.hash && a.height == b.height)
            #expect(a.block.size == b.block.size && a.block.weight == b.block.weight)
            #expect(a.block.transactions.count == b.block.transactions.count)
            for (x, y) in zip(a.block.transactions, b.block.transactions) {
                #expect(x.txid == y.txid && x.wtxid == y.wtxid)
                #expect(x.inputs == y.inputs && x.outputs == y.outputs)
                #expect(x.size == y.size && x.strippedSize == y.strippedSize && x.version == y.version && x.lockTime == y.lockTime)
                compared += 1
            }
        }
        #expect(compared == 2470)
        // Exports: blk (prevouts from the in-run map) and JSON (prevouts stated) are byte-identical.
        let viaBlk = try Fixtures.temporaryDirectory("spoor-export")
        try BitcoinETLExporter(writer: try BitcoinETLWriter(directory: viaBlk, network: .regtest))
            .exportAll(from: try BlockDirectorySource(directory: sampleBlocksDir, network: nil))
        let viaJSON = try exportNodeJSON([sampleRPC.path], network: .regtest)
        for name in ["blocks.json", "transactions.json"] {
            #expect(try Data(contentsOf: viaBlk.appendingPathComponent(name)) == Data(contentsOf: viaJSON.appendingPathComponent(name)), "\(name)")
        }
    }
}
