/// A bounds-checked little-endian cursor over borrowed bytes.
///
/// The reader never copies unless asked (`readBytes`); ranges (`readRange`) let callers keep offsets into the
/// buffer instead of bytes. It must not outlive the buffer it reads: create it inside `withUnsafeBytes`.
/// Verbs follow SwiftNIO: `read…` consumes, `peek…` does not.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// The position of the next byte to read. Settable so callers can seek; reads check bounds.
    public var offset: Int
    /// Added to `offset` in errors, so a reader over one block of a file reports file offsets.
    public let errorBase: Int

    /// Core's `MAX_SIZE`: no CompactSize length above this is accepted
    /// (src/serialize.h, `static constexpr uint64_t MAX_SIZE = 0x02000000`).
    public static let maxCompactSize: UInt64 = 0x0200_0000

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, errorBase: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.errorBase = errorBase
    }

    @inlinable public var remaining: Int { bytes.count &- offset }
    @inlinable public var isAtEnd: Bool { offset >= bytes.count }

    @inlinable
    public func error(_ code: ParseError.Code, at position: Int? = nil) -> ParseError {
        ParseError(code, at: errorBase + (position ?? offset))
    }

    @inlinable
    public func require(_ n: Int) throws(ParseError) {
        guard n >= 0, remaining >= n else { throw error(.truncated(needed: n, available: remaining)) }
    }

    @inlinable
    public mutating func readUInt8() throws(ParseError) -> UInt8 {
        try require(1)
        defer { offset &+= 1 }
        return bytes[offset]
    }

    @inlinable
    public func peekUInt8() throws(ParseError) -> UInt8 {
        try require(1)
        return bytes[offset]
    }

    @inlinable
    public mutating func readUInt16() throws(ParseError) -> UInt16 {
        try require(2)
        defer { offset &+= 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    public mutating func readUInt32() throws(ParseError) -> UInt32 {
        try require(4)
        defer { offset &+= 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    public mutating func readInt32() throws(ParseError) -> Int32 {
        Int32(bitPattern: try readUInt32())
    }

    @inlinable
    public mutating func readUInt64() throws(ParseError) -> UInt64 {
        try require(8)
        defer { offset &+= 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable
    public mutating func readInt64() throws(ParseError) -> Int64 {
        Int64(bitPattern: try readUInt64())
    }

    @inlinable
    public mutating func readDigest32() throws(ParseError) -> Digest32 {
        try require(32)
        defer { offset &+= 32 }
        return Digest32(loadingFrom: bytes, at: offset)
    }

    /// Reads a CompactSize as Core does: canonical encodings only, values above `maxCompactSize` rejected.
    @inlinable
    public mutating func readCompactSize(limit: UInt64 = ByteReader.maxCompactSize) throws(ParseError) -> UInt64 {
        let start = offset
        let first = try readUInt8()
        let value: UInt64
        switch first {
        case 0..<0xfd:
            return UInt64(first)
        case 0xfd:
            value = UInt64(try readUInt16())
            guard value >= 0xfd else { throw error(.nonCanonicalCompactSize, at: start) }
        case 0xfe:
            value = UInt64(try readUInt32())
            guard value >= 0x1_0000 else { throw error(.nonCanonicalCompactSize, at: start) }
        default:
            value = try readUInt64()
            guard value >= 0x1_0000_0000 else { throw error(.nonCanonicalCompactSize, at: start) }
        }
        guard value <= limit else { throw error(.sizeTooLarge(value), at: start) }
        return value
    }

    /// Reads a count of elements that each take at least `minimumElementSize` bytes, refusing counts the
    /// remaining bytes could not hold, so a hostile length can never make the caller allocate.
    @inlinable
    public mutating func readCount(minimumElementSize: Int) throws(ParseError) -> Int {
        let start = offset
        let n = try readCompactSize()
        guard n <= UInt64(remaining / max(minimumElementSize, 1)) else { throw error(.sizeTooLarge(n), at: start) }
        return Int(n)  // Cast ok: bounded by MAX_SIZE.
    }

    /// Reads BIP144's segwit marker and flag after a transaction's version, when present: marker 0x00 (what
    /// would otherwise be an empty input vector) then flag 0x01. Returns whether they were there; any other
    /// flag is an error. Shared by the owning decoder and the zero-copy scanner so the two cannot drift.
    @inlinable
    public mutating func readWitnessMarker() throws(ParseError) -> Bool {
        guard try peekUInt8() == 0 else { return false }
        let markerAt = offset
        try skip(1)
        let flag = try readUInt8()
        guard flag == 1 else { throw error(.unknownWitnessFlag(flag), at: markerAt + 1) }
        return true
    }

    /// Consumes `count` bytes and returns their range in `bytes`, without copying.
    @inlinable
    public mutating func readRange(count: Int) throws(ParseError) -> Range<Int> {
        try require(count)
        defer { offset &+= count }
        return offset..<(offset &+ count)
    }

    /// Reads a CompactSize length and that many bytes, as a range.
    @inlinable
    public mutating func readVarRange() throws(ParseError) -> Range<Int> {
        let start = offset
        let n = try readCompactSize()
        guard n <= UInt64(remaining) else { throw error(.sizeTooLarge(n), at: start) }
        return try readRange(count: Int(n))
    }

    /// Reads a CompactSize length and copies that many bytes out.
    @inlinable
    public mutating func readVarBytes() throws(ParseError) -> [UInt8] {
        let r = try readVarRange()
        return [UInt8](UnsafeRawBufferPointer(rebasing: bytes[r]))
    }

    @inlinable
    public mutating func skip(_ n: Int) throws(ParseError) {
        try require(n)
        offset &+= n
    }

    @inlinable
    public mutating func seek(to position: Int) throws(ParseError) {
        // A position can come from untrusted data (an offset field): an error, never a trap.
        guard position >= 0 && position <= bytes.count else {
            throw error(.other("seek to \(position) outside the \(bytes.count)-byte buffer"))
        }
        offset = position
    }
}

/// Appends consensus encodings to a byte array.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }
    public mutating func writeUInt16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func writeUInt32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func writeInt32(_ v: Int32) { writeUInt32(UInt32(bitPattern: v)) }
    public mutating func writeUInt64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func writeInt64(_ v: Int64) { writeUInt64(UInt64(bitPattern: v)) }
    public mutating func writeDigest(_ d: Digest32) { bytes.append(contentsOf: d.bytes) }
    public mutating func writeBytes(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    public mutating func writeCompactSize(_ n: UInt64) {
        switch n {
        case 0..<0xfd: writeUInt8(UInt8(n))
        case 0xfd...0xffff: writeUInt8(0xfd); writeUInt16(UInt16(n))
        case 0x1_0000...0xffff_ffff: writeUInt8(0xfe); writeUInt32(UInt32(n))
        default: writeUInt8(0xff); writeUInt64(n)
        }
    }

    public mutating func writeVarBytes(_ b: [UInt8]) {
        writeCompactSize(UInt64(b.count))
        bytes.append(contentsOf: b)
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body with typed `ParseError` throws.
    @inlinable
    public func withParseableBytes<T>(
        _ body: (UnsafeRawBufferPointer) throws(ParseError) -> T
    ) throws(ParseError) -> T {
        let result: Result<T, ParseError> = withUnsafeBytes { p in
            Result { () throws(ParseError) -> T in try body(p) }
        }
        return try result.get()
    }
}
