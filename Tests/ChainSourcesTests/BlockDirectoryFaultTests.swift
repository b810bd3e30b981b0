import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// Bad blk input, one fault per test: a clear SourceError naming the file and byte offset, the blocks before
/// the fault still delivered, never a trap or a hang.
@Suite struct BlockDirectoryFaultTests {
    let blocks: [[UInt8]]
    init() throws { blocks = try BlkDirectoryBuilder.blocks(inFixture: "btcd/blk_0_to_4.dat") }

    var records: [[UInt8]] { blocks.map { BlkDirectoryBuilder.record($0) } }
    /// File offset where record `i` starts.
    func recordOffset(_ i: Int) -> Int { records[0..<i].reduce(0) { $0 + $1.count } }

    func expectFault(_ error: (any Error)?, file: String, offset: Int, saying words: [String],
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard let e = error as? SourceError else {
            Issue.record("expected a SourceError, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(e.location.file.hasSuffix(file), sourceLocation: sourceLocation)
        #expect(e.location.byteOffset == offset, "\(e)", sourceLocation: sourceLocation)
        for w in words { #expect(e.description.contains(w), "\(e) should say '\(w)'", sourceLocation: sourceLocation) }
    }

    /// Reads a directory whose fault lies after `good` blocks: those blocks come first, then the fault.
    func readExpectingFault(_ dir: BlkDirectoryBuilder, good: Int) throws -> (any Error)? {
        let (read, error) = drain(try BlockDirectorySource(directory: dir.directory, network: nil))
        #expect(read.count == good)
        #expect(read.map(\.block.hash) == (try blocks.prefix(good).map { try Block(bytes: $0).hash }))
        return error
    }

    @Test func truncatedInsideABlock() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        let bytes = records.joined()
        try dir.writeFile(0, Array(bytes.prefix(recordOffset(3) + 100)))
        expectFault(try readExpectingFault(dir, good: 3), file: "blk00000.dat", offset: recordOffset(3) + 4,
                    saying: ["truncated record", "runs past the end of the file"])
    }

    @Test func truncatedInsideARecordPrefix() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records.joined().prefix(recordOffset(4) + 5)))
        expectFault(try readExpectingFault(dir, good: 4), file: "blk00000.dat", offset: recordOffset(4),
                    saying: ["truncated record", "5 byte(s) left"])
    }

    @Test func garbageWhereARecordShouldStart() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records[0..<2].joined()) + [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4] + records[2])
        expectFault(try readExpectingFault(dir, good: 2), file: "blk00000.dat", offset: recordOffset(2),
                    saying: ["expected a network magic", "found deadbeef"])
    }

    @Test func anotherNetworksMagicMidFile() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records[0..<3].joined()) + BlkDirectoryBuilder.record(blocks[3], magic: Network.testnet3.magic))
        expectFault(try readExpectingFault(dir, good: 3), file: "blk00000.dat", offset: recordOffset(3),
                    saying: ["testnet3", "main"])
    }

    @Test func statedNetworkDiffersFromTheFiles() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records.joined()))
        #expect {
            _ = try BlockDirectorySource(directory: dir.directory, network: .regtest)
        } throws: { error in
            guard let e = error as? SourceError else { return false }
            return e.location.byteOffset == 0 && e.description.contains("regtest") && e.description.contains("main")
        }
    }

    @Test func obfuscatedFilesWithoutXorDat() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records.joined()), key: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect {
            _ = try BlockDirectorySource(directory: dir.directory, network: nil)
        } throws: { error in
            guard let e = error as? SourceError else { return false }
            return e.location.byteOffset == 0 && e.location.file.hasSuffix("blk00000.dat")
                && e.description.contains("xor.dat may be missing")
        }
    }

    @Test func wrongXorKey() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records.joined()), key: [1, 2, 3, 4, 5, 6, 7, 8])
        try dir.writeKey([8, 7, 6, 5, 4, 3, 2, 1])
        #expect {
            _ = try BlockDirectorySource(directory: dir.directory, network: nil)
        } throws: { error in
            (error as? SourceError)?.description.contains("xor.dat may be wrong") == true
        }
    }

    @Test func xorKeyForFilesThatAreNotObfuscated() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records.joined()))
        try dir.writeKey([8, 7, 6, 5, 4, 3, 2, 1])
        #expect {
            _ = try BlockDirectorySource(directory: dir.directory, network: nil)
        } throws: { error in
            (error as? SourceError)?.description.contains("not obfuscated, so the key in xor.dat is wrong") == true
        }
    }

    @Test func xorDatOfTheWrongSize() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records.joined()))
        try dir.writeKey([1, 2, 3])
        #expect {
            _ = try BlockDirectorySource(directory: dir.directory, network: nil)
        } throws: { error in
            guard let e = error as? SourceError else { return false }
            return e.location.file.hasSuffix("xor.dat") && e.description.contains("exactly 8")
        }
    }

    @Test func aDirectoryWithoutBlkFiles() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        #expect(throws: SourceError.self) { _ = try BlockDirectorySource(directory: dir.directory, network: nil) }
        #expect(throws: SourceError.self) {
            _ = try BlockDirectorySource(directory: dir.directory.appendingPathComponent("nope"), network: nil)
        }
    }

    @Test func recordLengthsOutOfRange() throws {
        for (length, words) in [(UInt32(10), "too small"), (UInt32(5_000_000), "4,000,000")] {
            let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
            var bad = BlkDirectoryBuilder.record(blocks[2])
            withUnsafeBytes(of: length.littleEndian) { bad.replaceSubrange(4..<8, with: $0) }
            try dir.writeFile(0, Array(records[0..<2].joined()) + bad)
            expectFault(try readExpectingFault(dir, good: 2), file: "blk00000.dat", offset: recordOffset(2) + 4,
                        saying: [words])
        }
    }

    @Test func paddingFollowedByData() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records[0..<3].joined()) + [UInt8](repeating: 0, count: 64) + records[3])
        expectFault(try readExpectingFault(dir, good: 3), file: "blk00000.dat", offset: recordOffset(3),
                    saying: ["found 00000000"])
    }

    /// Patches the block of record `index` (offsets relative to the block) and returns the file offset of
    /// the patch.
    func writeWithPatchedBlock(_ dir: BlkDirectoryBuilder, index: Int, patch: (inout [UInt8]) -> Void) throws {
        var blk = blocks
        patch(&blk[index])
        try dir.writeFile(0, blk.flatMap { BlkDirectoryBuilder.record($0) })
    }

    @Test func nonCanonicalCompactSizeInsideABlock() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        // The transaction count (1) written in three bytes: fd 01 00.
        try writeWithPatchedBlock(dir, index: 3) { b in b.replaceSubrange(80..<81, with: [0xfd, 0x01, 0x00]) }
        expectFault(try readExpectingFault(dir, good: 3), file: "blk00000.dat", offset: recordOffset(3) + 8 + 80,
                    saying: ["non-canonical CompactSize"])
    }

    @Test func aBlockShorterThanItsRecord() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try writeWithPatchedBlock(dir, index: 4) { b in b += [0, 0, 0] }
        expectFault(try readExpectingFault(dir, good: 4), file: "blk00000.dat",
                    offset: recordOffset(4) + 8 + blocks[4].count, saying: ["3 byte(s) before its record length"])
    }

    @Test func aTransactionRunningPastTheRecord() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        // The coinbase script length claims 0xfc bytes: reading it runs off the end of the block.
        try writeWithPatchedBlock(dir, index: 1) { b in b[81 + 4 + 1 + 36] = 0xfc }
        let error = try readExpectingFault(dir, good: 1)
        expectFault(error, file: "blk00000.dat", offset: recordOffset(1) + 8 + 81 + 4 + 1 + 36,
                    saying: ["larger than the data"])
    }

    @Test func aFaultInOneFileDoesNotHideTheOthers() throws {
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, Array(records[0..<3].joined()))
        try dir.writeFile(1, Array(records[3...].joined()))
        try dir.writeFile(2, [0x01, 0x02])
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        #expect(source.indexFaults.count == 1)
        expectFault(try readExpectingFault(dir, good: 5), file: "blk00002.dat", offset: 0, saying: ["truncated record"])
    }
}

@Suite struct BlockDirectoryNetworkTests {
    @Test func aPaddingOnlyFirstFileStillFixesOneNetwork() throws {
        let blocks = try BlkDirectoryBuilder.blocks(inFixture: "btcd/blk_0_to_4.dat")
        let dir = try BlkDirectoryBuilder(); defer { dir.remove() }
        try dir.writeFile(0, [UInt8](repeating: 0, count: 4096))
        try dir.writeFile(1, blocks[0..<3].flatMap { BlkDirectoryBuilder.record($0) })
        try dir.writeFile(2, blocks[3...].flatMap { BlkDirectoryBuilder.record($0, magic: Network.signet.magic) })
        let source = try BlockDirectorySource(directory: dir.directory, network: nil)
        #expect(source.network == .main)
        let (read, error) = drain(source)
        #expect(read.count == 3)
        let e = try #require(error as? SourceError)
        #expect(e.location.file.hasSuffix("blk00002.dat"))
        #expect(e.description.contains("signet"))
    }
}
