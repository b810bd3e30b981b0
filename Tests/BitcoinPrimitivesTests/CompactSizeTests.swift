import BitcoinPrimitives
import SpoorTestSupport
import Testing

/// CompactSize as Core reads it (src/serialize.h `ReadCompactSize`): shortest form only, at most MAX_SIZE.
@Suite struct CompactSizeTests {
    func read(_ bytes: [UInt8], limit: UInt64 = ByteReader.maxCompactSize) throws(ParseError) -> (UInt64, Int) {
        try bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) -> (UInt64, Int) in
            var r = ByteReader(p)
            let v = try r.readCompactSize(limit: limit)
            return (v, r.offset)
        }
    }

    @Test(arguments: [
        ([0x00], 0, 1), ([0xfc], 0xfc, 1),
        ([0xfd, 0xfd, 0x00], 0xfd, 3), ([0xfd, 0xff, 0xff], 0xffff, 3),
        ([0xfe, 0x00, 0x00, 0x01, 0x00], 0x1_0000, 5), ([0xfe, 0x00, 0x00, 0x00, 0x02], 0x0200_0000, 5),
    ] as [([UInt8], UInt64, Int)])
    func canonicalEncodingsDecode(bytes: [UInt8], value: UInt64, length: Int) throws {
        let (v, consumed) = try read(bytes)
        #expect(v == value)
        #expect(consumed == length)
        var w = ByteWriter()
        w.writeCompactSize(value)
        #expect(w.bytes == bytes, "the writer produces the same shortest form")
    }

    @Test(arguments: [
        [0xfd, 0xfc, 0x00],                                       // 252 fits in one byte
        [0xfd, 0x00, 0x00],
        [0xfe, 0xff, 0xff, 0x00, 0x00],                           // 65535 fits in three
        [0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00],   // 2^32-1 fits in five
    ] as [[UInt8]])
    func nonCanonicalEncodingsAreRejected(bytes: [UInt8]) {
        #expect {
            _ = try read(bytes)
        } throws: { error in
            guard let e = error as? ParseError, case .nonCanonicalCompactSize = e.code else { return false }
            return e.offset == 0
        }
    }

    @Test func valuesAboveMaxSizeAreRejected() {
        #expect {
            _ = try read([0xfe, 0x01, 0x00, 0x00, 0x02])  // 0x02000001
        } throws: { error in
            guard let e = error as? ParseError, case .sizeTooLarge(0x0200_0001) = e.code else { return false }
            return true
        }
        #expect(throws: ParseError.self) { _ = try read([0xff, 0, 0, 0, 0, 1, 0, 0, 0]) }
    }

    @Test func truncatedCompactSizeIsAnError() {
        for bytes: [UInt8] in [[], [0xfd], [0xfd, 0x01], [0xfe, 0, 0, 1], [0xff, 0, 0, 0, 0, 1, 0, 0]] {
            #expect(throws: ParseError.self) { _ = try read(bytes) }
        }
    }

    @Test func hostileCountsFailBeforeAnyAllocation() {
        // A vector count of 2^25 with 3 bytes behind it: refused from the remaining length, not allocated.
        let bytes: [UInt8] = [0xfe, 0x00, 0x00, 0x00, 0x02, 1, 2, 3]
        #expect {
            try bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) in
                var r = ByteReader(p)
                _ = try r.readCount(minimumElementSize: 1)
            }
        } throws: { error in
            guard let e = error as? ParseError, case .sizeTooLarge = e.code else { return false }
            return true
        }
        // A script length past the end.
        let script: [UInt8] = [0x10, 1, 2, 3]
        #expect(throws: ParseError.self) {
            try script.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) in
                var r = ByteReader(p)
                _ = try r.readVarBytes()
            }
        }
    }

    /// decode(encode(x)) == x over random values of every width, with the seed printed for replay.
    @Test func randomValuesRoundTrip() throws {
        let seed = SeededRandom.testSeed("CompactSizeTests.randomValuesRoundTrip")
        var rng = SeededRandom(seed: seed)
        for _ in 0..<10_000 {
            let width = Int.random(in: 0..<4, using: &rng)
            let value: UInt64 = switch width {
            case 0: UInt64.random(in: 0..<0xfd, using: &rng)
            case 1: UInt64.random(in: 0xfd...0xffff, using: &rng)
            case 2: UInt64.random(in: 0x1_0000...0xffff_ffff, using: &rng)
            default: UInt64.random(in: 0x1_0000_0000...UInt64.max, using: &rng)
            }
            var w = ByteWriter()
            w.writeCompactSize(value)
            let (v, consumed) = try read(w.bytes, limit: .max)
            #expect(v == value && consumed == w.bytes.count, "seed \(seed), value \(value)")
        }
    }
}
