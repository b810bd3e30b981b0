import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

@testable import ChainSources

/// The node source's behaviour over time, against the loopback stand-in: a node still starting, a pruned node,
/// a follow-up run that reads only what is new, answers too large for one batch. The same behaviour against a
/// real node is in `NodeIntegrationTests`.
@Suite struct NodeRPCFollowTests {
    static func hashes(_ lines: [[UInt8]]) throws -> [BlockHash] {
        try lines.map { line in
            let obj = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            let text = try #require(obj?["hash"] as? String)
            return try #require(BlockHash(hex: text))
        }
    }

    /// A stored chain of the blocks `from..<count` of `lines`, with `replaced` heights holding other hashes.
    static func stored(_ lines: [[UInt8]], from: Int = 0, count: Int, replaced: Set<Int> = []) throws -> StoredChain {
        let all = try hashes(lines)
        return StoredChain(lowestHeight: from, tipHeight: count - 1) { heights in
            var out: [Int: BlockHash] = [:]
            for h in heights where h < count && h >= from {
                out[h] = replaced.contains(h) ? BlockHash(hex: String(format: "%064x", h + 1))! : all[h]
            }
            return out
        }
    }

    @Test func aStartingNodeIsWaitedForThenRead() throws {
        var options = FakeNodeRPC.Options()
        options.warmupAnswers = 3
        let node = try FakeNodeRPC(lines: Array(try SmallSeed1.lines().prefix(20)), options: options)
        defer { node.stop() }
        let clock = RecordingClock()
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, clock: clock.clock)
        var told: [String] = []
        client.onWarmup = { told.append($0) }
        let blocks = try SmallSeed1.blocks(try NodeRPCSource(client: client, blocksPerRequest: 8))
        #expect(blocks.count == 20)
        #expect(told == Array(repeating: "Loading block index…", count: 3))
        #expect(clock.sleeps == [1, 1, 1])
        #expect(client.warmupWaited == 3)
    }

    @Test func aNodeThatNeverFinishesStartingIsAClearErrorInBoundedTime() throws {
        var options = FakeNodeRPC.Options()
        options.warmupAnswers = 1_000
        let node = try FakeNodeRPC(lines: Array(try SmallSeed1.lines().prefix(3)), options: options)
        defer { node.stop() }
        let clock = RecordingClock()
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, clock: clock.clock)
        client.warmupLimit = 10
        let error = #expect(throws: NodeRPCError.self) { try client.blockchainInfo() }
        #expect(error?.kind == .rpc(code: -28))
        #expect(error?.description.contains("still starting after 10 s") == true)
        #expect(error?.description.contains("Loading block index") == true)
        #expect(clock.sleeps.reduce(0, +) == 10)
    }

    @Test func aPrunedNodeNamesTheFirstMissingHeight() throws {
        var options = FakeNodeRPC.Options()
        options.pruneHeight = 120
        let node = try FakeNodeRPC(lines: try SmallSeed1.lines(), options: options)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let error = #expect(throws: NodeRPCError.self) { try NodeRPCSource(client: client, fromHeight: 100) }
        #expect(error?.description.contains("pruned node") == true)
        #expect(error?.description.contains("the first height asked for, 100") == true)
        #expect(error?.description.contains("--from-height 120") == true)
        #expect(node.verbosities.isEmpty, "no block was asked for")
        // From the prune height on, everything is there.
        let blocks = try SmallSeed1.blocks(try NodeRPCSource(client: client, fromHeight: 120, toHeight: 130))
        #expect(blocks.map(\.height) == (120...130).map { Optional($0) })
    }

    @Test func aBlockPrunedDuringTheRunIsNamedNotMistakenForOldVerbosity() throws {
        // Pruned after the run began: getblockchaininfo did not say so, getblock answers Core's -1 "pruned",
        // which is not the refusal of verbosity 3 that misc error -1 also can be.
        var options = FakeNodeRPC.Options()
        options.prunedSilentlyBelow = 8
        let node = try FakeNodeRPC(lines: Array(try SmallSeed1.lines().prefix(12)), options: options)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client, blocksPerRequest: 4)
        let error = #expect(throws: NodeRPCError.self) { _ = try SmallSeed1.blocks(source) }
        #expect(error?.description.contains("pruned the block at height 0") == true)
        #expect(source.verbosity == 3)
        #expect(NodeRPCSource.refusesVerbosity(-1, "Verbosity must be in range 0..2"))
        #expect(!NodeRPCSource.refusesVerbosity(-1, "Block not available (pruned data)"))
    }

    @Test func aFollowUpReadsOnlyBlocksAboveTheStoredTip() throws {
        let lines = try SmallSeed1.lines()
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client, blocksPerRequest: 16, stored: try Self.stored(lines, count: 300))
        #expect(source.fromHeight == 300)
        let blocks = try SmallSeed1.blocks(source)
        #expect(blocks.map(\.height) == (300..<lines.count).map { Optional($0) })
        #expect(source.heightsRead == Array(300..<lines.count))
        #expect(source.storedAboveFork == nil)
        #expect(node.verbosities.count == lines.count - 300)

        // Nothing new: nothing is read.
        let idle = try NodeRPCSource(client: client, stored: try Self.stored(lines, count: lines.count))
        #expect(try SmallSeed1.blocks(idle).isEmpty)
        #expect(idle.heightsRead.isEmpty)
    }

    @Test func aFollowUpAfterAReorgStartsAtTheForkPoint() throws {
        // The database's blocks 290…299 are not the node's (a reorg the node went through while Spoor was not
        // running): reading resumes at 290, the first height where the two differ, even from 40 blocks up.
        let lines = try SmallSeed1.lines()
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let source = try NodeRPCSource(client: client,
                                       stored: try Self.stored(lines, count: 300, replaced: Set(260..<300)))
        #expect(source.fromHeight == 260)
        #expect(source.storedAboveFork == 260...299)
        // A node whose chain is behind the database's tip: compared from the node's tip down.
        do {
            var options = FakeNodeRPC.Options()
            options.hiddenTopBlocks = 100
            let behind = try FakeNodeRPC(lines: lines, options: options)
            defer { behind.stop() }
            let c2 = NodeRPCClient(url: try #require(URL(string: behind.url)), credentials: nil)
            let s2 = try NodeRPCSource(client: c2, stored: try Self.stored(lines, count: 300))
            #expect(s2.toHeight == lines.count - 101)
            #expect(s2.storedAboveFork == (lines.count - 100)...299)
            #expect(try SmallSeed1.blocks(s2).isEmpty)
        }
    }

    @Test func aDatabaseThatStartsAboveGenesisIsComparedOnlyWhereItHasBlocks() throws {
        // Ingested --from-height 200 earlier. Caught up: read above its tip. Its every block replaced: read from
        // where it starts, never from genesis, and no height below it is asked for.
        let lines = try SmallSeed1.lines()
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let caughtUp = try NodeRPCSource(client: client, stored: try Self.stored(lines, from: 200, count: 250))
        #expect(caughtUp.fromHeight == 250)
        let before = node.server.requests.count
        let replaced = try NodeRPCSource(client: client,
                                         stored: try Self.stored(lines, from: 200, count: 250, replaced: Set(200..<250)))
        #expect(replaced.fromHeight == 200)
        #expect(replaced.storedAboveFork == 200...249)
        // getblockchaininfo, then four windows of 16 heights (249…200).
        #expect(node.server.requests.count - before == 1 + 4)
    }

    @Test func aBatchTooLargeForOneAnswerIsAskedForInHalves() throws {
        let lines = Array(try SmallSeed1.lines().prefix(40))
        let node = try FakeNodeRPC(lines: lines)
        defer { node.stop() }
        // A cap that holds a few blocks' JSON but not 16.
        let largest = lines.map(\.count).max() ?? 0
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 1, maxAnswerBytes: largest * 5))
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, transport: transport)
        let source = try NodeRPCSource(client: client, blocksPerRequest: 16)
        let blocks = try SmallSeed1.blocks(source)
        #expect(blocks.map(\.height) == (0..<40).map { Optional($0) })
        #expect(source.blocksPerRequest < 16)
        #expect(source.blocksPerRequest >= 1)

        // One block larger than the cap: a clear error naming the height.
        let cap = lines[3...6].map(\.count).min()! - 1
        try #require(cap > 1_000, "the cap must still hold getblockchaininfo and getblockhash answers")
        let tiny = HTTPTransport(policy: HTTPPolicy(maxAttempts: 1, maxAnswerBytes: cap))
        let c2 = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, transport: tiny)
        let error = #expect(throws: NodeRPCError.self) {
            _ = try SmallSeed1.blocks(try NodeRPCSource(client: c2, fromHeight: 3, toHeight: 6))
        }
        #expect(error?.kind == .answerTooLarge)
        #expect(error?.description.contains("getblock (height 3)") == true)
    }
}
