import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// What the JSON readers decode, pinned as digests of every field they yield. The digests were taken with the
/// Foundation (Codable) readers these replaced, so the byte-level readers are checked to decode the same
/// transactions, blocks, prevouts and locations on every sample chain's bitcoin-etl export, its node JSON and
/// the bitcoin-etl fixtures. The exports themselves are pinned too: a changed writer shows up here as a changed
/// input, not as a reader fault.
@Suite struct JSONReaderPinTests {
    /// A canonical text of everything a source yields; its SHA-256 is what is pinned.
    static func describe(_ items: [SourceItem]) -> String {
        var s = ""
        for item in items {
            switch item {
            case .block(let b):
                let h = b.block.header
                s += "block \(b.block.hash.hex) \(h.version) \(h.previousBlockHash.hex) \(h.merkleRoot.displayHex) \(h.time) "
                    + "\(h.bits) \(h.nonce) height \(b.height.map(String.init) ?? "-") at \(b.location) "
                    + "checked \(b.structureChecked)\n"
                for (t, tx) in b.block.transactions.enumerated() {
                    s += describe(tx)
                    s += "prevouts " + (b.prevouts.map { describe($0[t]) } ?? "none") + "\n"
                }
            case .transaction(let tx, let location):
                s += "loose at \(location)\n" + describe(tx)
            }
        }
        return s
    }

    static func describe(_ tx: Transaction) -> String {
        "tx \(tx.txid.hex) \(tx.wtxid.hex) size \(tx.size) weight \(tx.weight) "
            + Hex.encode(tx.serialized()) + "\n"
    }

    static func describe(_ prevouts: [TxOut?]) -> String {
        prevouts.map { $0.map { "\($0.value.satoshis):\(Hex.encode($0.scriptPubKey))" } ?? "-" }.joined(separator: ",")
    }

    static func digest(_ text: String) -> String { Hashing.sha256(Array(text.utf8)).displayHex }

    static func fileDigest(_ url: URL) throws -> String { Hashing.sha256([UInt8](try Data(contentsOf: url))).displayHex }

    /// Each bundled sample chain's blocks exported as bitcoin-etl (inputs enriched from the same run): the
    /// export's digests, then what `BitcoinETLSource` and `BitcoinETLTransaction.decode` read from it.
    static let sampleExports: [(chain: String, blocks: String, transactions: String, source: String, rows: String)] = [
        ("small-seed1", "2262e0984c0fb46ddb49367a83bdfd91b99b03b6c558ce86b983c069e662a889",
         "dd92028174fc750e4ac5249781e1e16baaae1b40945c2b6fc886679fc4da82c0",
         "5eaa53f831a7b1f1ac9fdfdc8d7e0a999b1dd8c9b5fc43722b765d1af742ac7c",
         "473175c2355dda377e0a1936df7235e5d9e5fbb7d16296a2d23e3e233dcbcef2"),
        ("small-seed4", "f837a49b12fb4c94a080316aff327c1fb6c2446ac596aadadb219f19fb47b397",
         "3fde954e887f9bd17873bdaf8a6aebd14777132881404a7d77be6ce770f7f45b",
         "5b55f4f689766ccf40e8e7642fd73c07616befac5d8ac02f558e04b4b1f5f904",
         "c4e9677b69d631db02d0d154ac923992511a46b87e16fe610adbfae9ba56d2a1"),
        ("small-seed5", "200e5ebde083c1a2373c143e9614f115b3082f4b69e6f599d3cae5c9f9e64419",
         "3aba95dd57136d7081f0d0a47d11023ae51da9359f131dc9d0046705bbcad211",
         "4f6be47f4450158db09c0d8c34759da085f189e73ed4bd7956d0f47845a24258",
         "a39430b08d69fb193b3e0613ee9a2a840eee5162f612d9b5d1dd5f85e145c001"),
    ]

    @Test(arguments: sampleExports.map(\.chain))
    func aSampleChainsExportDecodesAsPinned(_ chain: String) throws {
        let pinned = try #require(Self.sampleExports.first { $0.chain == chain })
        let out = try Fixtures.temporaryDirectory("etl-pin")
        let blkDirectory = Fixtures.sampleChains.appendingPathComponent("\(chain)/blocks")
        let exporter = BitcoinETLExporter(writer: try BitcoinETLWriter(directory: out, network: .regtest))
        try exporter.exportAll(from: try BlockDirectorySource(directory: blkDirectory, network: .regtest))
        let blocksFile = out.appendingPathComponent("blocks.json")
        let transactionsFile = out.appendingPathComponent("transactions.json")
        let (blocksDigest, transactionsDigest) = (try Self.fileDigest(blocksFile), try Self.fileDigest(transactionsFile))
        #expect(blocksDigest == pinned.blocks, "blocks.json of \(chain)")
        #expect(transactionsDigest == pinned.transactions, "transactions.json of \(chain)")

        let read = try readAll(BitcoinETLSource(directory: out, network: nil))
        #expect(read.count > 100)
        let text = Self.describe(read).replacingOccurrences(of: out.path + "/", with: "")
        #expect(Self.digest(text) == pinned.source, "BitcoinETLSource on \(chain)")
        // And against the blk files themselves: the same blocks, and each transaction without its witness.
        let fromBlk = blocks(try readAll(BlockDirectorySource(directory: blkDirectory, network: .regtest)))
        let fromETL = blocks(read)
        #expect(fromETL.map(\.block.hash) == fromBlk.map(\.block.hash))
        for (e, b) in zip(fromETL, fromBlk) {
            #expect(e.block.transactions.map { $0.serialized(includeWitness: false) }
                    == b.block.transactions.map { $0.serialized(includeWitness: false) })
            #expect(e.block.transactions.map(\.size) == b.block.transactions.map(\.size))
        }

        var rows = ""
        let lines = try GzipLineReader(path: transactionsFile.path)
        while let line = try lines.nextLine() {
            let row = try BitcoinETLTransaction.decode(line, at: SourceLocation(file: "t", line: lines.lineNumber))
            rows += "\(row.txid.hex) \(row.blockNumber ?? -1) \(row.index ?? -1) \(row.isCoinbase) \(row.version) "
                + "\(row.lockTime) \(String(describing: row.statedNetwork)) "
                + row.inputs.map { "\($0.address ?? "-")/\($0.kind.rawValue)/\($0.value)/\($0.sequence)" }.joined(separator: ",")
                + " " + row.outputs.map { "\($0.value.satoshis):\(Hex.encode($0.scriptPubKey))" }.joined(separator: ",") + "\n"
        }
        #expect(Self.digest(rows) == pinned.rows, "BitcoinETLTransaction.decode on \(chain)")
    }

    /// Node JSON: the bundled sample chain's `getblock 3` lines, bitcoin-etl's getblock responses (Core before
    /// 22), Core's util transactions (pretty-printed, with `hex`).
    static let nodeJSON: [(file: String, digest: String)] = [
        ("SampleChains/small-seed1/rpc/blocks.jsonl.gz",
         "aab5c02b78ce3f9a66a3eab0422bdbc09b024c017e6a7afcba7a56487043d027"),
        ("Tests/Fixtures/bitcoin-etl/bitcoin/block_0/rpc_response_getblock_000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f_2.json",
         "4e796a0a6b4ade07e2f24255ed92dd415ebe5a987ac0cfe59f7e18c4ead25a49"),
        ("Tests/Fixtures/bitcoin-etl/bitcoin/block_1/rpc_response_getblock_00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048_2.json",
         "d33a471a13485cb809296fd8752814bf0719f1a89414bd531171451c4897d9e4"),
        ("Tests/Fixtures/bitcoin-etl/bitcoin/block_with_transactions/rpc_response_getblock_000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141_2.json",
         "68646a366ed46a98c6f47bada357cb279d776e16beb85ed2cbc00f5830162e11"),
        ("Tests/Fixtures/bitcoin-etl/bitcoin/block_with_transactions/rpc_response_getblock_000000002066d7f9b134c30b5005b7bf5fbfa52f279883f1fde793dcdc964266_2.json",
         "0238ab90667888349ef8e1eedcca44a71c8c88bd4bc64d9b920300d5b354c7ec"),
        ("Tests/Fixtures/bitcoin-etl/bitcoin/block_without_transactions/rpc_response_getblock_000000001aeae195809d120b5d66a39c83eb48792e068f8ea1fea19d84a4278a_2.json",
         "d7b36ce4b0212a9ef8cbf64c4cb3fce4ca6bda38086729564a507bb442acd608"),
        ("Tests/Fixtures/bitcoin-etl/bitcoin/stream_50001_50002/rpc_response_getrawtransaction_0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216.json",
         "9f762c5f11ea740cf67c59bb37737998ca2c63070ac18cafcdc1dae2273f5ef1"),
        ("Tests/Fixtures/bitcoin-core/util/tt-delout1-out.json",
         "f462d656fc5497924890fe395251dd4c36e135e884e1f6631519b89400a0d986"),
        ("Tests/Fixtures/bitcoin-core/util/tt-locktime317000-out.json",
         "7b2548b7e3936787c99abe44cac95f9987cf94898841538fb40104d3668d5dd1"),
    ]

    @Test(arguments: nodeJSON.map(\.file))
    func nodeJSONDecodesAsPinned(_ file: String) throws {
        let pinned = try #require(Self.nodeJSON.first { $0.file == file })
        let path = Fixtures.repositoryRoot.appendingPathComponent(file).path
        let read = try readAll(NodeJSONSource(path: path))
        #expect(!read.isEmpty)
        // Locations name the file: pin them relative to the repository.
        let text = Self.describe(read).replacingOccurrences(of: Fixtures.repositoryRoot.path + "/", with: "")
        #expect(Self.digest(text) == pinned.digest, "NodeJSONSource on \(file)")
    }

    /// The bitcoin-etl fixtures' own exports (written by bitcoin-etl), read as an export.
    @Test(arguments: ["block_0", "block_1", "block_with_transactions", "block_without_transactions"])
    func bitcoinETLsFixtureExportsDecodeAsPinned(_ testCase: String) throws {
        let pinned: [String: String] = [
            "block_0": "23600340e9569f01d19bbb7bb0178b2fe4e568115ab4cd65e5cf92730b0b6e5e",
            "block_1": "a265617fbd59c9a161c637ddb8d39d80432ee7310072514982cf46b4a2ac392b",
            "block_with_transactions": "faac00fac91e7253bbdce3c0424119d1dddef1dae98b8b152399ad88fa2a215e",
            "block_without_transactions": "cd8efbd7f6fe9611268b1d05ebf7faed8b2450c3833192720a7cc4b5dde7ba53",
        ]
        let from = Fixtures.url("bitcoin-etl/bitcoin/\(testCase)")
        let dir = try Fixtures.temporaryDirectory("etl-fixture-pin")
        try FileManager.default.copyItem(at: from.appendingPathComponent("expected_blocks.json"),
                                         to: dir.appendingPathComponent("blocks.json"))
        try FileManager.default.copyItem(at: from.appendingPathComponent("expected_transactions.json"),
                                         to: dir.appendingPathComponent("transactions.json"))
        let read = try readAll(BitcoinETLSource(directory: dir, network: nil))
        let text = Self.describe(read).replacingOccurrences(of: dir.path + "/", with: "")
        #expect(Self.digest(text) == pinned[testCase], "BitcoinETLSource on \(testCase)")
    }
}
