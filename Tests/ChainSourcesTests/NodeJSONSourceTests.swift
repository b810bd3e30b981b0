import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

func readAll(_ source: some ChainSource) throws -> [SourceItem] {
    var items: [SourceItem] = []
    while let item = try source.next() { items.append(item) }
    return items
}

func blocks(_ items: [SourceItem]) -> [SourceBlock] {
    items.compactMap { if case .block(let b) = $0 { return b } else { return nil } }
}

/// The fixture getblock responses (Core before 22: `addresses`, `reqSigs`) of one bitcoin-etl test case.
func etlGetblockFiles(_ testCase: String) throws -> [String] {
    let dir = Fixtures.url("bitcoin-etl/bitcoin/\(testCase)")
    return try FileManager.default.contentsOfDirectory(atPath: dir.path)
        .filter { $0.hasPrefix("rpc_response_getblock_") && $0.hasSuffix("_2.json") }
        .map { dir.appendingPathComponent($0).path }
}

/// Regtest's block subsidy: 50 BTC halving every 150 blocks.
func regtestSubsidy(height: Int) -> Int64 {
    let halvings = height / 150
    return halvings >= 64 ? 0 : (50 * 100_000_000) >> halvings
}

@Suite struct NodeJSONSourceTests {
    @Test func readsTheSampleChainsGetblock3Lines() throws {
        let source = NodeJSONSource(path: sampleRPC.path)
        let read = blocks(try readAll(source))
        // Counts stated by the sample's README.
        #expect(read.count == 337)
        #expect(read.reduce(0) { $0 + $1.block.transactions.count } == 2470)
        #expect(read.map { $0.height } == Array(0..<337))
        #expect(source.network == .regtest)
        for (i, b) in read.enumerated() {
            #expect(b.location.line == i + 1)
            if i > 0 { #expect(b.block.header.previousBlockHash == read[i - 1].block.hash) }
        }
        // Every non-coinbase input carries its prevout, and the miner claims exactly subsidy + fees: an
        // independent check that each prevout value was converted to satoshis exactly.
        var inputsWithPrevout = 0
        for b in read {
            guard let prevouts = b.prevouts else {
                // Only a block of nothing but its coinbase has no prevout to carry.
                #expect(b.block.transactions.count == 1)
                continue
            }
            var fees: Int64 = 0
            for (tx, spent) in zip(b.block.transactions, prevouts) {
                #expect(spent.count == tx.inputs.count)
                if tx.isCoinbase { #expect(spent == [nil]); continue }
                #expect(spent.allSatisfy { $0 != nil })
                inputsWithPrevout += spent.count
                fees += spent.reduce(0) { $0 + ($1?.value.satoshis ?? 0) } - tx.totalOutput.satoshis
            }
            guard let height = b.height, let coinbase = b.block.transactions.first else { continue }
            #expect(coinbase.totalOutput.satoshis == regtestSubsidy(height: height) + fees, "height \(height)")
        }
        #expect(inputsWithPrevout > 2000)
    }

    @Test func readsBitcoinETLsOldFormatGetblockResponses() throws {
        for testCase in ["block_0", "block_1", "block_without_transactions", "block_with_transactions"] {
            let files = try etlGetblockFiles(testCase)
            let source = NodeJSONSource(files: files)
            let read = blocks(try readAll(source))
            #expect(read.count == files.count)
            #expect(source.network == .main)
            // The expected export (written by bitcoin-etl, not by us) states hash, number and tx count.
            struct Row: Decodable { var hash: String; var number: Int; var transaction_count: Int; var size: Int }
            let expected = try Fixtures.text("bitcoin-etl/bitcoin/\(testCase)/expected_blocks.json")
                .split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
            #expect(expected.count == read.count)
            for row in expected {
                let b = try #require(read.first { $0.block.hash.hex == row.hash })
                #expect(b.height == row.number)
                #expect(b.block.transactions.count == row.transaction_count)
                #expect(b.block.size == row.size)
                #expect(b.prevouts == nil)
            }
        }
    }

    /// Core's util JSON without its top-level `hex` line, so the transaction must be rebuilt from its parts.
    func utilJSONWithoutHex(_ name: String) throws -> URL {
        var lines = try Fixtures.text("bitcoin-core/util/\(name).json").components(separatedBy: "\n")
        let hexLine = try #require(lines.firstIndex { $0.hasPrefix("    \"hex\": ") })
        lines.remove(at: hexLine)
        #expect(lines[hexLine - 1] == "    ],")
        lines[hexLine - 1] = "    ]"
        return try writeTemporary(Array(lines.joined(separator: "\n").utf8), name: "\(name).json")
    }

    @Test(arguments: [true, false])
    func aDecodedTransactionEqualsItsRawBytes(withHex: Bool) throws {
        // Core's util test data: decoderawtransaction JSON next to the raw transaction it describes.
        for name in ["tt-delout1-out", "tt-locktime317000-out"] {
            let path = withHex ? Fixtures.url("bitcoin-core/util/\(name).json").path : try utilJSONWithoutHex(name).path
            let source = NodeJSONSource(path: path)
            let items = try readAll(source)
            #expect(items.count == 1)
            guard case .transaction(let tx, let location)? = items.first else {
                Issue.record("expected one transaction"); continue
            }
            #expect(location.line == 1)
            let hex = try Fixtures.text("bitcoin-core/util/\(name).hex").trimmingCharacters(in: .whitespacesAndNewlines)
            let raw = try Transaction(bytes: Hex.decode(hex))
            #expect(tx == raw)
            #expect(tx.serialized() == raw.serialized())
        }
    }

    @Test func anRPCResponseWrapperAndPrettyPrintedObjectsInOneFile() throws {
        let file = try #require(try etlGetblockFiles("block_0").first)
        let pretty = try String(contentsOfFile: file, encoding: .utf8)
        let wrapped = "{\"result\": \(pretty), \"error\": null, \"id\": 1}"
        let url = try writeTemporary(Array((wrapped + "\n\n" + pretty + "\n").utf8), name: "two.json")
        let read = blocks(try readAll(NodeJSONSource(path: url.path)))
        #expect(read.count == 2)
        #expect(read.map(\.block.hash.hex) == Array(repeating: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", count: 2))
        #expect(read[1].location.line == wrapped.split(separator: "\n", omittingEmptySubsequences: false).count + 2)
    }

    @Test func aBatchAnswerArrayYieldsItsElementsUpToTheFirstFault() throws {
        // A saved batch RPC answer: two getblock results, then an error answer.
        let files = try etlGetblockFilesInHeightOrder("block_with_transactions")
        let results = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let batch = "[" + results.enumerated().map { "{\"result\": \($1), \"error\": null, \"id\": \($0)}" }.joined(separator: ",\n")
            + #", {"result": null, "error": {"code": -5, "message": "Block not found"}, "id": 9}]"#
        let url = try writeTemporary(Array(batch.utf8), name: "batch.json")
        let source = NodeJSONSource(path: url.path)
        var got: [SourceBlock] = []
        let error = #expect(throws: SourceError.self) {
            while let item = try source.next() { if case .block(let b) = item { got.append(b) } }
        }
        #expect(got.map(\.height) == [50001, 50002])
        #expect(source.network == .main)
        // The fault is named at the line that holds it (the error answer, on the file's last line).
        #expect(error?.location.line == batch.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(error?.message.contains("[2]") == true && error?.message.contains("Block not found") == true,
                "\(String(describing: error))")
    }

    @Test func anRPCErrorResponseIsReported() throws {
        let url = try writeTemporary(Array(#"{"result": null, "error": {"code": -5, "message": "Block not found"}, "id": 1}"#.utf8), name: "err.json")
        let error = #expect(throws: SourceError.self) { try readAll(NodeJSONSource(path: url.path)) }
        #expect(error?.message.contains("Block not found") == true)
    }

    @Test func verbosityOneIsRejectedWithAHint() throws {
        let url = try writeTemporary(Array(#"{"hash": "00", "version": 1, "merkleroot": "00", "time": 0, "nonce": 0, "bits": "207fffff", "tx": ["4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"]}"#.utf8), name: "v1.json")
        let error = #expect(throws: SourceError.self) { try readAll(NodeJSONSource(path: url.path)) }
        #expect(error?.message.contains("verbosity 1") == true)
    }
}

/// Bad input: each fault names the file, the line and what was wrong, after everything before it was yielded.
@Suite struct NodeJSONBadInputTests {
    /// The sample's first `count` lines, with `edit` applied to the line numbered `badLine` (1-based).
    func sampleWithEditedLine(_ badLine: Int, count: Int, _ edit: (String) -> String) throws -> URL {
        let lines = try readAllLines(sampleRPC.path).prefix(count).map { String(decoding: $0, as: UTF8.self) }
        var out = lines
        let edited = edit(lines[badLine - 1])
        #expect(edited != lines[badLine - 1], "the edit must change the line")
        out[badLine - 1] = edited
        return try writeTemporary(Array(out.joined(separator: "\n").utf8), name: "edited.jsonl")
    }

    /// Reads until the source throws; returns the blocks yielded first and the error.
    func readUntilFault(_ url: URL) -> ([SourceBlock], SourceError?) {
        let source = NodeJSONSource(path: url.path)
        var got: [SourceBlock] = []
        do {
            while let item = try source.next() { if case .block(let b) = item { got.append(b) } }
            return (got, nil)
        } catch let error as SourceError {
            // A failed source stays failed instead of skipping ahead.
            #expect(throws: SourceError.self) { try source.next() }
            return (got, error)
        } catch {
            Issue.record("unexpected error type: \(error)")
            return (got, nil)
        }
    }

    @Test func malformedJSONNamesFileLineAndKeyPath() throws {
        // A type error deep inside: the key path says where.
        let url = try sampleWithEditedLine(4, count: 6) {
            $0.replacingOccurrences(of: #""vout":[{"value":50.00000000"#, with: #""vout":[{"value":"fifty""#)
        }
        let (got, error) = readUntilFault(url)
        #expect(got.count == 3)
        let e = try #require(error)
        #expect(e.location.file == url.path && e.location.line == 4)
        #expect(e.message.contains("tx[0].vout[0].value") && e.message.contains("expected a number"), "\(e)")
    }

    @Test func brokenJSONSyntaxIsAnErrorAtItsLine() throws {
        let url = try sampleWithEditedLine(3, count: 5) { String($0.dropLast(40)) + "}" }
        let (got, error) = readUntilFault(url)
        #expect(got.count == 2)
        #expect(error?.location.line == 3)
        #expect(error?.message.contains("malformed") == true)
    }

    @Test func aValueWithMoreThanEightDecimals() throws {
        let url = try sampleWithEditedLine(2, count: 3) { $0.replacingOccurrences(of: #""value":50.00000000"#, with: #""value":50.000000001"#) }
        let (got, error) = readUntilFault(url)
        #expect(got.count == 1)
        let e = try #require(error)
        #expect(e.location.line == 2)
        #expect(e.message.contains("tx[0].vout[0].value") && e.message.contains("8 decimals"), "\(e)")
    }

    @Test func oddLengthAndNonHexText() throws {
        for (bad, words) in [("0", "odd number"), ("0g", "not a hex digit")] {
            let url = try sampleWithEditedLine(2, count: 2) { $0.replacingOccurrences(of: #""hex":"02000000"#, with: #""hex":"\#(bad)02000000"#) }
            let (got, error) = readUntilFault(url)
            #expect(got.count == 1)
            let e = try #require(error)
            #expect(e.location.line == 2)
            #expect(e.message.contains("tx[0]") && e.message.contains("`tx[0].hex`") && e.message.contains(words), "\(e)")
        }
    }

    @Test func hexThatDisagreesWithTheJSON() throws {
        // Block 50001 of the bitcoin-etl fixtures pays 100 BTC in tx[1]; say 99 in the JSON, keep the hex.
        let file = try #require(try etlGetblockFiles("block_with_transactions").first { $0.contains("1c920d49") })
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let url = try writeTemporary(Array(text.replacingOccurrences(of: #""value": 100.0"#, with: #""value": 99.0"#).utf8), name: "lie.json")
        let (_, error) = readUntilFault(url)
        let e = try #require(error)
        #expect(e.location.line == 1)
        #expect(e.message.contains("tx[1]") && e.message.contains("disagrees with its own `hex`")
                && e.message.contains("vout[0].value"), "\(e)")
    }

    @Test func aTxidThatIsNotTheHashOfTheParts() throws {
        // Core's decoded util transaction (no hex) spending a different output than it does.
        let text = try String(contentsOf: NodeJSONSourceTests().utilJSONWithoutHex("tt-delout1-out"), encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"vout\": 332,", with: "\"vout\": 333,")
        #expect(edited != text)
        let url = try writeTemporary(Array(edited.utf8), name: "util.json")
        let (_, error) = readUntilFault(url)
        #expect(error?.message.contains("not to the stated txid") == true, "\(String(describing: error))")
    }

    @Test func aTruncatedGzipFileYieldsItsWholeBlocksThenFails() throws {
        let bytes = [UInt8](try Data(contentsOf: sampleRPC))
        let url = try writeTemporary(Array(bytes[..<(bytes.count * 2 / 3)]), name: "cut.jsonl.gz")
        let (got, error) = readUntilFault(url)
        let all = blocks(try readAll(NodeJSONSource(path: sampleRPC.path)))
        #expect(got.count > 100)
        #expect(got.map(\.block.hash) == all.prefix(got.count).map(\.block.hash))
        #expect(error?.message.contains("truncated") == true)
    }
}
