import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

@testable import ChainSources

/// The bundled chain's `getblock … 3` answers, as the real node gave them (gzip, one block per line).
enum SmallSeed1 {
    static let jsonl = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path

    /// Read once per test process: several tests serve the same lines.
    private static let cached = Result { try readLines() }

    static func lines() throws -> [[UInt8]] { try cached.get() }

    private static func readLines() throws -> [[UInt8]] {
        let reader = try GzipLineReader(path: jsonl)
        var out: [[UInt8]] = []
        while let line = try reader.nextLine() { out.append(line) }
        return out
    }

    static func blocks(_ source: some ChainSource) throws -> [SourceBlock] {
        var out: [SourceBlock] = []
        while let item = try source.next() {
            guard case .block(let sb) = item else { continue }
            out.append(sb)
        }
        return out
    }
}

@Suite struct NodeRPCSourceTests {
    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) func wholeChainOverRPCEqualsTheFile() throws {
        let lines = try SmallSeed1.lines()
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client, blocksPerRequest: 25)
        #expect(source.network == .regtest)
        let viaRPC = try SmallSeed1.blocks(source)
        let viaFile = try SmallSeed1.blocks(NodeJSONSource(path: SmallSeed1.jsonl))
        #expect(viaRPC.count == lines.count)
        #expect(viaRPC.count == viaFile.count)
        #expect(viaRPC.map(\.block.hash) == viaFile.map(\.block.hash))
        #expect(viaRPC.map(\.height) == Array(0..<lines.count).map { Optional($0) })
        #expect(viaRPC.flatMap { $0.block.transactions.map(\.txid) } == viaFile.flatMap { $0.block.transactions.map(\.txid) })
        #expect(viaRPC.map { $0.block.serialized() } == viaFile.map { $0.block.serialized() })
        #expect(viaRPC.map { $0.prevouts ?? [] } == viaFile.map { $0.prevouts ?? [] })
        #expect(viaRPC.contains { ($0.prevouts ?? []).contains { $0.contains { $0 != nil } } })
        // One getblockchaininfo, then per 25 heights one getblockhash batch and one getblock batch.
        let batches = (lines.count + 24) / 25
        #expect(node.batchSizes.count == 1 + 2 * batches)
        #expect(node.verbosities.allSatisfy { $0 == 3 })
        #expect(source.fractionComplete == 1)
    }

    @Test func heightRangeYieldsExactlyThoseBlocks() throws {
        let lines = try SmallSeed1.lines()
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client, fromHeight: 100, toHeight: 150, blocksPerRequest: 7)
        let blocks = try SmallSeed1.blocks(source)
        let viaFile = try SmallSeed1.blocks(NodeJSONSource(path: SmallSeed1.jsonl))
        #expect(blocks.map(\.height) == (100...150).map { Optional($0) })
        #expect(blocks.map(\.block.hash) == Array(viaFile[100...150]).map(\.block.hash))
    }

    @Test func nodeWithoutVerbosity3IsAskedForVerbosity2() throws {
        let lines = try SmallSeed1.lines()
        var options = FakeNodeRPC.Options()
        options.rejectVerbosity3 = true
        let node = try FakeNodeRPC(lines: lines, options: options)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client, fromHeight: 200, toHeight: 230, blocksPerRequest: 10)
        let blocks = try SmallSeed1.blocks(source)
        #expect(source.verbosity == 2)
        #expect(blocks.count == 31)
        // Only the first batch tried 3; verbosity 2 carries no prevouts.
        #expect(node.verbosities.filter { $0 == 3 }.count == 10)
        #expect(node.verbosities.filter { $0 == 2 }.count == 31)
        #expect(blocks.allSatisfy { ($0.prevouts ?? []).allSatisfy { $0.allSatisfy { $0 == nil } } })
        let viaFile = try SmallSeed1.blocks(NodeJSONSource(path: SmallSeed1.jsonl))
        #expect(blocks.map { $0.block.serialized() } == Array(viaFile[200...230]).map { $0.block.serialized() })
    }

    @Test func rangeAboveTheTipIsRefused() throws {
        let lines = try SmallSeed1.lines()
        let node = try FakeNodeRPC(lines: Array(lines.prefix(10)))
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let error = #expect(throws: NodeRPCError.self) { try NodeRPCSource(client: client, toHeight: 50) }
        #expect(error?.description.contains("above the node's tip (height 9") == true)
        let reversed = #expect(throws: NodeRPCError.self) {
            try NodeRPCSource(client: client, fromHeight: 5, toHeight: 2)
        }
        #expect(reversed?.description.contains("--from-height 5 is above --to-height 2") == true)
    }

    @Test func brokenBlockJSONNamesTheCallAndHeight() throws {
        var lines = Array(try SmallSeed1.lines().prefix(12))
        // Height 7's answer loses its transactions' hex and vout: what a broken proxy might send.
        let hash = try #require(try JSONSerialization.jsonObject(with: Data(lines[7])) as? [String: Any])["hash"]
        lines[7] = Array(#"{"hash":"\#(hash ?? "")","height":7,"tx":[{"txid":"zz"}]}"#.utf8)
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client, blocksPerRequest: 4)
        var seen = 0
        let error = #expect(throws: SourceError.self) {
            while try source.next() != nil { seen += 1 }
        }
        #expect(seen == 4)
        #expect(error?.location.file.contains("getblock") == true)
        #expect(error?.location.file.contains("(height 7)") == true)
        #expect(error?.location.file.contains(node.url) == true)
    }

    @Test func transientFailuresDuringARunAreRetried() throws {
        let lines = Array(try SmallSeed1.lines().prefix(40))
        var options = FakeNodeRPC.Options()
        options.transientFailures = 2
        let node = try FakeNodeRPC(lines: lines, options: options)
        defer { node.stop() }
        let transport = HTTPTransport(policy: HTTPPolicy(initialBackoff: 0.01), clock: RecordingClock().clock)
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, transport: transport)
        let blocks = try SmallSeed1.blocks(try NodeRPCSource(client: client, blocksPerRequest: 16))
        #expect(blocks.count == 40)
        #expect(transport.retryCount == 2)
    }
}
