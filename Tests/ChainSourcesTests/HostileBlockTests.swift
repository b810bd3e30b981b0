import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// Blocks an adversary or a damaged disk can hand a reader: a mutated block (CVE-2012-2459), a header with a
/// flipped bit, blocks copied without their ancestors. Each reader refuses or reports them; none drops blocks
/// without a word.
@Suite struct HostileBlockTests {
    static func mutated413567() throws -> (genuine: [UInt8], mutated: [UInt8]) {
        let genuine = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let block = try Block(bytes: genuine)
        return (genuine, Block(header: block.header, transactions: block.transactions + [block.transactions[1556]]).serialized())
    }

    /// The mutated block in a blk file: refused when read, naming the file and the block's offset.
    @Test func blkReaderRefusesAMutatedBlock() throws {
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        let (_, mutated) = try Self.mutated413567()
        try dir.writeFile(0, BlkDirectoryBuilder.record(mutated))
        let (read, error) = drain(try BlockDirectorySource(directory: dir.directory, network: nil))
        #expect(read.isEmpty)
        let e = try #require(error as? SourceError)
        #expect(e.location.file.hasSuffix("blk00000.dat") && e.location.byteOffset == 8)
        #expect(e.description.contains("appears twice") && e.description.contains("CVE-2012-2459"))
    }

    /// A node JSON line whose `tx` list repeats its last transaction (and whose `nTx` was raised to match).
    @Test func nodeJSONReaderRefusesAMutatedBlock() throws {
        let reader = try GzipLineReader(path: Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path)
        var line: [UInt8]?
        for _ in 0 ... 129 { line = try reader.nextLine() }
        let text = try #require(line)
        var block = try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any])
        var txs = try #require(block["tx"] as? [Any])
        #expect(txs.count == 3 && block["height"] as? Int == 129)
        txs.append(txs[2])
        block["tx"] = txs
        block["nTx"] = 4
        let dir = try Fixtures.temporaryDirectory("mutated-json")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("block.json")
        try JSONSerialization.data(withJSONObject: block).write(to: file)
        let (_, error) = drain(NodeJSONSource(files: [file.path], network: .regtest))
        let e = try #require(error as? SourceError)
        #expect(e.location.file == file.path && e.description.contains("CVE-2012-2459"), "\(e)")
    }

    /// One flipped bit in the nonce of block 50's header. Either its hash misses the target (the record is
    /// skipped and the fault named), or it still meets regtest's easy target but no longer links to block 51.
    /// Both ways blocks 51–103 are yielded as an unconnected piece, at their BIP34 heights, and counted — the
    /// old reader returned 50 or 51 blocks, called the rest stale, and reported no fault.
    @Test(arguments: [false, true])
    func aFlippedHeaderBitIsReportedNotHidden(stillMeetsTarget: Bool) throws {
        let blocks = try RegtestMining.fixtureBlocks()
        var damaged = blocks[50]
        var bit = 0
        while true {
            damaged = blocks[50]
            damaged[76 + bit / 8] ^= UInt8(1 << (bit % 8))
            let header = try Block(bytes: damaged).header
            if (header.proofOfWorkFault(powLimit: Network.regtest.powLimit) == nil) == stillMeetsTarget { break }
            bit += 1
        }
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        let records = (blocks[..<50] + [damaged] + blocks[51...]).map { BlkDirectoryBuilder.record($0, magic: Network.regtest.magic) }
        try dir.writeFile(0, records.flatMap { $0 })
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (read, error) = drain(source)
        #expect(read.count == (stillMeetsTarget ? 104 : 103))
        #expect(source.unconnectedBlocks.count == 53 && source.unconnectedPieces == 1)
        #expect(source.staleBlocks.isEmpty)
        #expect(read.suffix(53).map(\.height) == (51 ... 103).map { $0 }, "BIP34 heights")
        if stillMeetsTarget {
            #expect(error == nil)
        } else {
            let e = try #require(error as? SourceError)
            #expect(e.location.byteOffset == records[..<50].reduce(0) { $0 + $1.count } + 8)
            #expect(e.description.contains("proof of work"))
        }
    }

    /// Real mainnet blocks that do not connect (1, 100, 200, 277647, 413567, 574200) in one blk file. The old
    /// reader took the most-work piece — block 574200 alone — and dropped the other five without a word. Now
    /// the chain from genesis comes first (block 1, under the genesis block), then every other piece: those
    /// whose coinbase states a height by height, the older ones after them.
    @Test func blocksCopiedWithoutTheirAncestorsAreAllRead() throws {
        let early = try BlkDirectoryBuilder.blocks(inFixture: "btcd/blocks1-256.dat")
        let b277647 = try BlkDirectoryBuilder.blocks(inFixture: "btcd/277647.dat")[0]
        let b413567 = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let b574200 = try Fixtures.bytes("btcd/block574200.blk")
        let file = [b574200, early[99], b413567, early[0], b277647, early[199]]
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        try dir.writeFile(0, file.flatMap { BlkDirectoryBuilder.record($0) })
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (read, error) = drain(source)
        #expect(error == nil)
        #expect(read.map(\.height) == [1, 277_647, 413_567, 574_200, nil, nil])
        #expect(read.map(\.block.hash) == (try [early[0], b277647, b413567, b574200, early[99], early[199]].map { try Block(bytes: $0).hash }))
        #expect(source.unconnectedBlocks.count == 5 && source.unconnectedPieces == 5)
        #expect(source.staleBlocks.isEmpty && source.blockCount == 6)
    }

    /// A blk "file" that is a FIFO would block the reader forever (open(2) waits for a writer): refused at once.
    @Test(.timeLimit(.minutes(1))) func aFIFONamedLikeABlkFileIsRefused() throws {
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        let path = dir.directory.appendingPathComponent("blk00000.dat").path
        #expect(mkfifo(path, 0o600) == 0)
        #expect {
            _ = try BlockDirectorySource(directory: dir.directory, network: nil)
        } throws: { error in
            (error as? SourceError)?.description.contains("not a regular file") == true
        }
        #expect(throws: SourceError.self) { _ = try SourceDetection.open(path) }
    }
}
