import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// Every source names what it read (`ChainSource.inputsRead`), with the SHA-256 `sha256sum` prints for each file,
/// taken from the reads the source makes anyway.
@Suite struct InputDigestTests {
    static func sha256sum(_ path: String, decompressed: Bool = false) throws -> String {
        try InputDigests.sha256sum(path, decompressed: decompressed)
    }

    static func size(_ path: String) throws -> Int { try InputDigests.size(path) }

    @Test func sampleChainBlkFileIsHashedWhole() throws {
        let dir = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks")
        let source = try BlockDirectorySource(directory: dir, network: nil)
        #expect(drain(source).error == nil)
        let path = dir.appendingPathComponent("blk00000.dat").path
        #expect(try source.inputsRead() == [.file(path, sha256: try Self.sha256sum(path), bytes: try Self.size(path))])
        // Asked again, the same answer (the hashes are finished once).
        #expect(try source.inputsRead().first?.sha256 == (try Self.sha256sum(path)))
    }

    /// Stale blocks, a file whose blocks are stored out of height order, and zero padding: the reads skip or
    /// revisit bytes, and each file's hash is still its `sha256sum`.
    @Test func outOfOrderStaleAndPaddedFilesHashWhole() throws {
        let blocks = try RegtestMining.fixtureBlocks()
        let dir = try BlkDirectoryBuilder()
        defer { dir.remove() }
        let f102 = try BlockDirectorySourceTests.fork(of: blocks[102], tag: 7)
        let f103 = try BlockDirectorySourceTests.fork(of: blocks[103], parent: f102, tag: 8)
        let f104 = try BlockDirectorySourceTests.fork(of: blocks[103], parent: f103, tag: 9)
        let magic = Network.regtest.magic
        let key: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        try dir.writeKey(key)
        let first = try dir.writeFile(0, blocks.flatMap { BlkDirectoryBuilder.record($0, magic: magic) }, key: key)
        // Core pre-allocates blk files: zeros on disk after the last record, more than one hashing chunk of them.
        let handle = try FileHandle(forWritingTo: first)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 3 << 20))
        try handle.close()
        let second = try dir.writeFile(1, [f104, f103, f102].flatMap { BlkDirectoryBuilder.record($0, magic: magic) }, key: key)
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        let (read, error) = drain(source)
        #expect(error == nil)
        #expect(read.count == 105)
        let expected = try [first, second].map { url in
            ChainInput.file(url.path, sha256: try Self.sha256sum(url.path), bytes: try Self.size(url.path))
        }
        #expect(try source.inputsRead() == expected)
    }

    @Test func gzipNodeJSONIsHashedAsDecompressedAndPlainAsTheFile() throws {
        let gz = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path
        let source = NodeJSONSource(path: gz)
        #expect(drain(source).error == nil)
        #expect(try source.inputsRead() == [.file(gz, sha256: try Self.sha256sum(gz, decompressed: true),
                                                  bytes: try Self.size(gz), decompressed: true)])
        let plain = try Fixtures.temporaryDirectory("digest").appendingPathComponent("blocks.jsonl").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc \"$0\" > \"$1\"", gz, plain]
        try process.run()
        process.waitUntilExit()
        let plainSource = NodeJSONSource(path: plain)
        #expect(drain(plainSource).error == nil)
        #expect(try plainSource.inputsRead() == [.file(plain, sha256: try Self.sha256sum(plain), bytes: try Self.size(plain))])
    }

    @Test func aSourceStoppedByAFaultNamesNoFile() throws {
        let file = try Fixtures.temporaryDirectory("digest").appendingPathComponent("tx.hex")
        try Data("00zz\n".utf8).write(to: file)
        let source = try RawTransactionHexSource(file: file, network: .regtest)
        #expect(drain(source).error != nil)
        #expect(try source.inputsRead().isEmpty)
    }
}

/// The share of its data a source has read (for the ingest's estimate): 0 before, between 0 and 1 while reading,
/// never falling, and 1 at the end.
@Suite struct ProgressFractionTests {
    static func fractions(_ source: some ChainSource, _ fraction: () -> Double?) throws -> [Double] {
        var seen = [fraction() ?? -1]
        while try source.next() != nil { seen.append(fraction() ?? -1) }
        seen.append(fraction() ?? -1)
        return seen
    }

    static func expectRising(_ seen: [Double], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(seen.first == 0, sourceLocation: sourceLocation)
        #expect(seen.last == 1, sourceLocation: sourceLocation)
        #expect(seen == seen.sorted(), sourceLocation: sourceLocation)
        #expect(seen.contains { $0 > 0.2 && $0 < 0.8 }, sourceLocation: sourceLocation)
    }

    @Test func blkDirectoryCountsBlocks() throws {
        let source = try BlockDirectorySource(directory: Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks"),
                                              network: nil)
        Self.expectRising(try Self.fractions(source) { source.fractionRead })
    }

    @Test func nodeJSONCountsCompressedBytes() throws {
        let source = NodeJSONSource(path: Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path)
        Self.expectRising(try Self.fractions(source) { source.fractionRead })
    }

    @Test func bitcoinETLCountsBothFiles() throws {
        let dir = try Fixtures.temporaryDirectory("etl-progress")
        let fixture = Fixtures.url("bitcoin-etl/bitcoin/block_with_transactions")
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("expected_blocks.json"),
                                         to: dir.appendingPathComponent("blocks.json"))
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("expected_transactions.json"),
                                         to: dir.appendingPathComponent("transactions.json"))
        let source = try BitcoinETLSource(directory: dir, network: nil)
        let seen = try Self.fractions(source) { source.fractionRead }
        #expect(seen.first == 0 && seen.last == 1 && seen == seen.sorted(), "\(seen)")
    }
}
