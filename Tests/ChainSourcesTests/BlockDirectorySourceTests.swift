import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// Builds blk directories in a temporary folder from real blocks, in any order, obfuscation and framing.
struct BlkDirectoryBuilder {
    let directory: URL

    init() throws { directory = try Fixtures.temporaryDirectory("spoor-blk") }

    /// The raw blocks (without framing) of a btcd blk fixture, in file order.
    static func blocks(inFixture name: String) throws -> [[UInt8]] {
        let bytes = try Fixtures.bytes(name)
        var out: [[UInt8]] = []
        var i = 0
        while i + 8 <= bytes.count {
            let n = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]) << 16 | Int(bytes[i + 7]) << 24
            out.append(Array(bytes[(i + 8)..<(i + 8 + n)]))
            i += 8 + n
        }
        return out
    }

    static func record(_ block: [UInt8], magic: [UInt8] = Network.main.magic) -> [UInt8] {
        let n = UInt32(block.count)
        return magic + [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)] + block
    }

    /// Writes `blkNNNNN.dat` with the given bytes, XOR-ing them with `key` as Core 28+ does.
    @discardableResult
    func writeFile(_ number: Int, _ bytes: [UInt8], key: [UInt8]? = nil) throws -> URL {
        var data = bytes
        if let key { for i in data.indices { data[i] ^= key[i % 8] } }
        let url = directory.appendingPathComponent(String(format: "blk%05d.dat", number))
        try Data(data).write(to: url)
        return url
    }

    func writeKey(_ key: [UInt8]) throws {
        try Data(key).write(to: directory.appendingPathComponent("xor.dat"))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Reads every item of a source; returns the blocks read and the error that stopped it, if any.
func drain(_ source: some ChainSource) -> (blocks: [SourceBlock], error: (any Error)?) {
    var blocks: [SourceBlock] = []
    do {
        while let item = try source.next() {
            if case let .block(b) = item { blocks.append(b) }
        }
        return (blocks, nil)
    } catch {
        return (blocks, error)
    }
}

@Suite struct BlockDirectorySourceTests {
    static let mainnetGenesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"

    /// Every block links to the one before it and heights count up by one.
    static func expectLinked(_ blocks: [SourceBlock], firstHeight: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for (i, b) in blocks.enumerated() {
            #expect(b.height == firstHeight + i, sourceLocation: sourceLocation)
            #expect(b.block.merkleRootMatches, sourceLocation: sourceLocation)
            if i > 0 { #expect(b.block.header.previousBlockHash == blocks[i - 1].block.hash, sourceLocation: sourceLocation) }
        }
    }

    // MARK: real directories

    @Test func sampleChainXORedRegtest() throws {
        let dir = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks")
        let source = try BlockDirectorySource(directory: dir, network: nil)
        #expect(source.network == .regtest)
        #expect(source.obfuscation.isActive)
        let (blocks, error) = drain(source)
        #expect(error == nil)
        #expect(blocks.count == 337)
        #expect(blocks.reduce(0) { $0 + $1.block.transactions.count } == 2470)
        #expect(blocks.last?.height == 336)
        #expect(source.staleBlocks.isEmpty)
        // The regtest genesis block is the same in every regtest node.
        #expect(blocks.first?.block.hash.hex == "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206")
        Self.expectLinked(blocks, firstHeight: 0)
        // Heights from best-chain assembly agree with the BIP34 heights the coinbases carry.
        for b in blocks.dropFirst() { #expect(b.block.bip34Height == b.height) }
    }

    @Test func sampleChainAgreesWithItsRPCDump() throws {
        // rpc/blocks.jsonl.gz holds the node's own `getblock` answers: hashes and txids must match.
        let gz = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", gz.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = data.split(separator: UInt8(ascii: "\n"))
        let source = try BlockDirectorySource(directory: Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks"),
                                              network: nil)
        let (blocks, _) = drain(source)
        #expect(lines.count == blocks.count)
        for (line, b) in zip(lines, blocks) {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(json["hash"] as? String == b.block.hash.hex)
            #expect(json["height"] as? Int == b.height)
            #expect(json["weight"] as? Int == b.block.weight)
            let txs = try #require(json["tx"] as? [[String: Any]])
            #expect(txs.map { $0["txid"] as? String } == b.block.transactions.map { $0.txid.hex })
            #expect(txs.map { $0["hash"] as? String } == b.block.transactions.map { $0.wtxid.hex })
        }
    }

    @Test func btcdBlocksZeroToFour() throws {
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        try dir.writeFile(0, try Fixtures.bytes("btcd/blk_0_to_4.dat"))
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        #expect(source.network == .main)
        #expect(!source.obfuscation.isActive)
        let (blocks, error) = drain(source)
        #expect(error == nil)
        #expect(blocks.count == 5)
        #expect(blocks.first?.block.hash.hex == Self.mainnetGenesis)
        Self.expectLinked(blocks, firstHeight: 0)
    }

    @Test func btcdBlocksOneTo255StartAtHeightOne() throws {
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        try dir.writeFile(0, try Fixtures.bytes("btcd/blocks1-256.dat"))
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (blocks, error) = drain(source)
        #expect(error == nil)
        #expect(blocks.count == 255)
        // The first block's parent is mainnet's genesis, which is not in the file: heights still start at 1.
        #expect(blocks.first?.block.header.previousBlockHash.hex == Self.mainnetGenesis)
        Self.expectLinked(blocks, firstHeight: 1)
        #expect(source.bestChain.tipHeight == 255)
    }

    @Test func aLoneBlockTakesItsHeightFromBIP34() throws {
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        try dir.writeFile(0, try Fixtures.bytes("btcd/277647.dat"))
        let (blocks, error) = drain(try BlockDirectorySource(directory: dir.directory, network: nil))
        #expect(error == nil)
        #expect(blocks.count == 1)
        #expect(blocks.first?.height == 277_647)
        #expect(blocks.first?.block.merkleRootMatches == true)
    }

    /// Core's getblockstats test chain (104 regtest blocks as hex), framed with regtest magic.
    @Test func rpcGetblockstatsChainInRegtestFraming() throws {
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("bitcoin-core/rpc_getblockstats.json"))) as? [String: Any])
        let hexBlocks = try #require(json["blocks"] as? [String])
        let stats = try #require(json["stats"] as? [[String: Any]])
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        var file: [UInt8] = []
        for hex in hexBlocks { file += BlkDirectoryBuilder.record(try Hex.decode(hex), magic: Network.regtest.magic) }
        try dir.writeFile(0, file)
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        #expect(source.network == .regtest)
        let (blocks, error) = drain(source)
        #expect(error == nil)
        #expect(blocks.count == hexBlocks.count)
        Self.expectLinked(blocks, firstHeight: 0)
        for s in stats {
            let height = try #require(s["height"] as? Int)
            let b = blocks[height]
            #expect(b.block.hash.hex == s["blockhash"] as? String)
            #expect(b.block.transactions.count == s["txs"] as? Int)
            #expect(b.block.transactions.map(\.outputs.count).reduce(0, +) == s["outs"] as? Int)
            #expect(b.block.transactions.dropFirst().map(\.inputs.count).reduce(0, +) == s["ins"] as? Int)
            // getblockstats counts sizes and weights over the non-coinbase transactions.
            let spends = b.block.transactions.dropFirst()
            #expect(spends.map(\.size).reduce(0, +) == s["total_size"] as? Int)
            #expect(spends.map(\.weight).reduce(0, +) == s["total_weight"] as? Int)
            #expect(spends.filter(\.hasWitness).count == s["swtxs"] as? Int)
            #expect(spends.filter(\.hasWitness).map(\.size).reduce(0, +) == s["swtotal_size"] as? Int)
            #expect(spends.filter(\.hasWitness).map(\.weight).reduce(0, +) == s["swtotal_weight"] as? Int)
            #expect((spends.map(\.size).min() ?? 0) == s["mintxsize"] as? Int)
            #expect((spends.map(\.size).max() ?? 0) == s["maxtxsize"] as? Int)
        }
    }

    // MARK: layouts Core produces

    /// The 255 blocks split over three files, shuffled within and across files, obfuscated, padded:
    /// the same chain in the same order comes out.
    @Test(arguments: [false, true])
    func shuffledObfuscatedPaddedFiles(rawZeroPadding: Bool) throws {
        let seed = SeededRandom.testSeed("shuffledObfuscatedPaddedFiles")
        var rng = SeededRandom(seed: seed)
        let blocks = try BlkDirectoryBuilder.blocks(inFixture: "btcd/blocks1-256.dat")
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        let key = (0..<8).map { _ in UInt8.random(in: 1...255, using: &rng) }
        try dir.writeKey(key)
        let shuffled = blocks.shuffled(using: &rng)
        let thirds = [shuffled[0..<90], shuffled[90..<170], shuffled[170...]]
        for (n, part) in thirds.enumerated() {
            var bytes = part.flatMap { BlkDirectoryBuilder.record($0) }
            let padding = Int.random(in: 1...5000, using: &rng)
            if rawZeroPadding {
                // Core's pre-allocation writes zeros straight to disk: they are not XORed.
                var stored = bytes
                for i in stored.indices { stored[i] ^= key[i % 8] }
                stored += [UInt8](repeating: 0, count: padding)
                try dir.writeFile(n, stored)
            } else {
                bytes += [UInt8](repeating: 0, count: padding)
                try dir.writeFile(n, bytes, key: key)
            }
        }
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        #expect(source.obfuscation.isActive)
        let (read, error) = drain(source)
        #expect(error == nil, "seed \(seed)")
        #expect(read.map(\.block.hash) == (try blocks.map(Self.hash)), "seed \(seed)")
        Self.expectLinked(read, firstHeight: 1)
        #expect(source.staleBlocks.isEmpty)
    }

    static func hash(_ block: [UInt8]) throws -> BlockHash { try Block(bytes: block).hash }

    /// Forks are Core's regtest blocks re-mined (same transactions, so the merkle root still matches; a new
    /// nonce that meets the target, since every header's proof of work is checked).
    static func fork(of block: [UInt8], parent: [UInt8]? = nil, tag: UInt32) throws -> [UInt8] {
        let fork = try RegtestMining.remined(block, parent: try parent.map(hash), startNonce: tag << 20)
        #expect(try hash(fork) != hash(block))
        return fork
    }

    @Test func aShorterForkIsReportedStaleNotYielded() throws {
        let blocks = try RegtestMining.fixtureBlocks()
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        // A one-block fork at height 50, stored before the real block 50 (so order of arrival can't help it),
        // and a two-block fork at 100 stored after: both are shorter than the real chain.
        let fork50 = try Self.fork(of: blocks[50], tag: 1)
        let fork100 = try Self.fork(of: blocks[100], tag: 2)
        let fork101 = try Self.fork(of: blocks[101], parent: fork100, tag: 3)
        var file: [[UInt8]] = Array(blocks[0..<50]) + [fork50] + Array(blocks[50...])
        file += [fork100, fork101]
        try dir.writeFile(0, file.flatMap { BlkDirectoryBuilder.record($0, magic: Network.regtest.magic) })
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (read, error) = drain(source)
        #expect(error == nil)
        #expect(read.map(\.block.hash) == (try blocks.map(Self.hash)))
        #expect(Set(source.staleBlocks) == Set(try [fork50, fork100, fork101].map(Self.hash)))
        #expect(source.unconnectedBlocks.isEmpty)
        #expect(source.blockCount == 107)
        Self.expectLinked(read, firstHeight: 0)
    }

    @Test func aLongerForkWinsAndTheOldTipTurnsStale() throws {
        let blocks = try RegtestMining.fixtureBlocks()
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        // Re-mine blocks 102 and 103 and add a 104th on top: the fork has more work.
        let f102 = try Self.fork(of: blocks[102], tag: 7)
        let f103 = try Self.fork(of: blocks[103], parent: f102, tag: 8)
        let f104 = try Self.fork(of: blocks[103], parent: f103, tag: 9)
        let magic = Network.regtest.magic
        try dir.writeFile(0, blocks.flatMap { BlkDirectoryBuilder.record($0, magic: magic) })
        try dir.writeFile(1, [f104, f103, f102].flatMap { BlkDirectoryBuilder.record($0, magic: magic) })  // out of order too
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (read, error) = drain(source)
        #expect(error == nil)
        #expect(read.count == 105)
        #expect(read.last?.height == 104)
        #expect(read.suffix(3).map(\.block.hash) == (try [f102, f103, f104].map(Self.hash)))
        #expect(Set(source.staleBlocks) == Set(try [blocks[102], blocks[103]].map(Self.hash)))
        Self.expectLinked(read, firstHeight: 0)
    }

    @Test func duplicateRecordsAreReadOnce() throws {
        let blocks = try BlkDirectoryBuilder.blocks(inFixture: "btcd/blk_0_to_4.dat")
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        try dir.writeFile(0, (blocks + blocks[2...]).flatMap { BlkDirectoryBuilder.record($0) })
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (read, error) = drain(source)
        #expect(error == nil)
        #expect(read.count == 5)
        #expect(source.bestChain.duplicates == 3)
        #expect(source.staleBlocks.isEmpty)
    }
}
