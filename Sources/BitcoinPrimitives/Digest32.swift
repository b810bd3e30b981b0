import Crypto
#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// 32 bytes in internal (hashing) byte order, held as four little-endian words so equality and hashing are
/// four integer compares.
///
/// Bitcoin shows txids and block hashes byte-reversed; `Txid`, `Wtxid` and `BlockHash` own that display
/// order, so nothing else in Spoor reverses bytes.
public struct Digest32: Hashable, Sendable, Comparable {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public static let zero = Digest32(w0: 0, w1: 0, w2: 0, w3: 0)

    @inlinable
    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    @inlinable
    public init(loadingFrom p: UnsafeRawBufferPointer, at offset: Int = 0) {
        w0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        w1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        w2 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
        w3 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
    }

    /// From 32 bytes in internal order; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let a = Array(bytes)
        self = a.withUnsafeBytes { Digest32(loadingFrom: $0) }
    }

    /// The 32 bytes in internal order.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: (w0.littleEndian, w1.littleEndian, w2.littleEndian, w3.littleEndian)) { Array($0) }
    }

    /// Big-endian hex of the reversed bytes: the way Core displays txids and block hashes.
    public var displayHex: String { Hex.encode(bytes.reversed()) }

    /// Parses display (reversed) hex.
    public init?(displayHex: some StringProtocol) {
        guard displayHex.utf8.count == 64, let b = try? Hex.decode(displayHex) else { return nil }
        self.init(bytes: b.reversed())
    }

    public var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

    /// Orders by the displayed (big-endian) value, as a number.
    public static func < (a: Digest32, b: Digest32) -> Bool {
        if a.w3 != b.w3 { return a.w3.byteSwapped < b.w3.byteSwapped }
        if a.w2 != b.w2 { return a.w2.byteSwapped < b.w2.byteSwapped }
        if a.w1 != b.w1 { return a.w1.byteSwapped < b.w1.byteSwapped }
        return a.w0.byteSwapped < b.w0.byteSwapped
    }
}

/// SHA-256 over bytes fed in pieces: a file hashed as its reader reads it, so that recording what was read costs
/// no second read. The digest is in the order `sha256sum` prints.
public struct StreamingSHA256 {
    #if canImport(CCryptoBoringSSL)
    private var context = SHA256_CTX()
    #else
    private var hasher = SHA256()
    #endif
    /// Bytes hashed so far.
    public private(set) var count = 0

    public init() {
        #if canImport(CCryptoBoringSSL)
        CCryptoBoringSSL_SHA256_Init(&context)
        #endif
    }

    public mutating func update(_ p: UnsafeRawBufferPointer) {
        guard !p.isEmpty else { return }
        count += p.count
        #if canImport(CCryptoBoringSSL)
        CCryptoBoringSSL_SHA256_Update(&context, p.baseAddress, p.count)
        #else
        hasher.update(data: p)
        #endif
    }

    /// The digest as lowercase hex; the hasher is spent.
    public mutating func finalHex() -> String {
        #if canImport(CCryptoBoringSSL)
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { o in _ = CCryptoBoringSSL_SHA256_Final(o.baseAddress, &context) }
        return Hex.encode(out)
        #else
        return Hex.encode(Array(hasher.finalize()))
        #endif
    }
}

/// SHA-256 helpers over borrowed bytes: BoringSSL's assembly (SHA-NI where the CPU has it).
///
/// Txids, wtxids, merkle nodes and address checksums mean millions of small hashes per gigabyte of blocks.
/// swift-crypto's `SHA256` allocates a context object per hasher and takes a generic `DataProtocol` path,
/// which costs more than hashing a typical transaction; so where swift-crypto's own BoringSSL module is
/// importable, these call its SHA-256 functions directly with a stack context (no allocation). Elsewhere they
/// fall back to swift-crypto's API with the same results.
public enum Hashing {
    public static func sha256(_ p: UnsafeRawBufferPointer) -> Digest32 {
        #if canImport(CCryptoBoringSSL)
        var out = Digest32.zero
        withUnsafeMutableBytes(of: &out) { o in
            _ = CCryptoBoringSSL_SHA256(p.baseAddress?.assumingMemoryBound(to: UInt8.self), p.count,
                                        o.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        return out.fromStoredBytes
        #else
        return SHA256.hash(data: p).withUnsafeBytes { Digest32(loadingFrom: $0) }
        #endif
    }

    /// SHA-256 applied twice, as for txids, block hashes and merkle nodes.
    public static func sha256d(_ p: UnsafeRawBufferPointer) -> Digest32 {
        #if canImport(CCryptoBoringSSL)
        var ctx = SHA256_CTX()
        CCryptoBoringSSL_SHA256_Init(&ctx)
        CCryptoBoringSSL_SHA256_Update(&ctx, p.baseAddress, p.count)
        return finishDouble(&ctx)
        #else
        return SHA256.hash(data: p).withUnsafeBytes { first in
            SHA256.hash(data: first).withUnsafeBytes { Digest32(loadingFrom: $0) }
        }
        #endif
    }

    /// SHA-256d of the concatenation of three byte ranges, without copying them together (a segwit
    /// transaction's txid covers its version, its inputs and outputs, and its locktime, skipping the
    /// marker, flag and witnesses between them).
    public static func sha256d(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer,
                               _ c: UnsafeRawBufferPointer) -> Digest32 {
        #if canImport(CCryptoBoringSSL)
        var ctx = SHA256_CTX()
        CCryptoBoringSSL_SHA256_Init(&ctx)
        CCryptoBoringSSL_SHA256_Update(&ctx, a.baseAddress, a.count)
        CCryptoBoringSSL_SHA256_Update(&ctx, b.baseAddress, b.count)
        CCryptoBoringSSL_SHA256_Update(&ctx, c.baseAddress, c.count)
        return finishDouble(&ctx)
        #else
        var h = SHA256()
        h.update(data: a)
        h.update(data: b)
        h.update(data: c)
        return finishDouble(h)
        #endif
    }

    #if canImport(CCryptoBoringSSL)
    /// Finalizes the first pass into a stack buffer and hashes those 32 bytes again.
    @inline(__always)
    static func finishDouble(_ ctx: inout SHA256_CTX) -> Digest32 {
        var first = Digest32.zero
        var out = Digest32.zero
        withUnsafeMutableBytes(of: &first) { f in
            let fp = f.baseAddress?.assumingMemoryBound(to: UInt8.self)
            CCryptoBoringSSL_SHA256_Final(fp, &ctx)
            withUnsafeMutableBytes(of: &out) { o in
                _ = CCryptoBoringSSL_SHA256(fp, 32, o.baseAddress?.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out.fromStoredBytes
    }
    #endif

    public static func sha256d(_ bytes: [UInt8]) -> Digest32 {
        bytes.withUnsafeBytes { sha256d($0) }
    }

    public static func sha256(_ bytes: [UInt8]) -> Digest32 {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// Finishes a double SHA-256 whose first pass was fed incrementally through swift-crypto.
    public static func finishDouble(_ hasher: consuming SHA256) -> Digest32 {
        hasher.finalize().withUnsafeBytes { first in
            SHA256.hash(data: first).withUnsafeBytes { Digest32(loadingFrom: $0) }
        }
    }

    /// Hash of the concatenation of two digests (a merkle node).
    public static func sha256d(_ a: Digest32, _ b: Digest32) -> Digest32 {
        withUnsafeBytes(of: (a.w0.littleEndian, a.w1.littleEndian, a.w2.littleEndian, a.w3.littleEndian,
                             b.w0.littleEndian, b.w1.littleEndian, b.w2.littleEndian, b.w3.littleEndian)) {
            sha256d($0)
        }
    }
}

extension Digest32 {
    /// A digest whose words were filled by writing 32 bytes over them: reinterpret those bytes as
    /// little-endian words (a no-op on little-endian machines).
    @usableFromInline
    var fromStoredBytes: Digest32 {
        Digest32(w0: UInt64(littleEndian: w0), w1: UInt64(littleEndian: w1), w2: UInt64(littleEndian: w2),
                 w3: UInt64(littleEndian: w3))
    }
}

/// Defines a distinct 32-byte identifier type, so a `Txid` can never be passed where a `Wtxid` is meant.
public protocol Hash32Identifier: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    var digest: Digest32 { get }
    init(digest: Digest32)
}

extension Hash32Identifier {
    /// Parses the reversed hex that Core and explorers display.
    public init?(hex: some StringProtocol) {
        guard let d = Digest32(displayHex: hex) else { return nil }
        self.init(digest: d)
    }
    public var hex: String { digest.displayHex }
    public var description: String { hex }
    public static func < (a: Self, b: Self) -> Bool { a.digest < b.digest }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = Self(hex: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not 64 hex digits")
        }
        self = v
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

/// A transaction id: SHA-256d of the transaction without witness data.
public struct Txid: Hash32Identifier {
    public let digest: Digest32
    @inlinable public init(digest: Digest32) { self.digest = digest }
    public static let zero = Txid(digest: .zero)
}

/// A witness transaction id: SHA-256d of the full serialization (equal to the txid without witnesses).
public struct Wtxid: Hash32Identifier {
    public let digest: Digest32
    @inlinable public init(digest: Digest32) { self.digest = digest }
    public static let zero = Wtxid(digest: .zero)
}

/// A block hash: SHA-256d of the 80-byte header.
public struct BlockHash: Hash32Identifier {
    public let digest: Digest32
    @inlinable public init(digest: Digest32) { self.digest = digest }
    public static let zero = BlockHash(digest: .zero)
}
