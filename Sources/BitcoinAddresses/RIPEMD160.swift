import BitcoinPrimitives
import Crypto

/// RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), written here because neither swift-crypto nor any package
/// on this machine offers it. Bitcoin only needs it for `hash160` = RIPEMD160(SHA256(x)), the 20-byte hash in
/// P2PKH and P2SH scripts; the tables below are the paper's (`r`, `r'`, `s`, `s'`, `K`, `K'`).
public enum RIPEMD160 {
    /// A 20-byte RIPEMD-160 digest, kept as the five little-endian state words (no heap allocation).
    public struct Digest: Hashable, Sendable {
        public var h0: UInt32, h1: UInt32, h2: UInt32, h3: UInt32, h4: UInt32

        /// The 20 digest bytes.
        public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

        /// Calls `body` with the 20 digest bytes, without allocating.
        @inlinable
        public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            try Swift.withUnsafeBytes(of: (h0.littleEndian, h1.littleEndian, h2.littleEndian, h3.littleEndian,
                                           h4.littleEndian), body)
        }
    }

    /// RIPEMD-160 of `message`.
    public static func hash(_ message: UnsafeRawBufferPointer) -> Digest {
        var state = State()
        let fullBlocks = message.count / 64
        for block in 0..<fullBlocks {
            state.compress(UnsafeRawBufferPointer(rebasing: message[(block * 64)..<(block * 64 + 64)]))
        }
        // Padding as in MD4: a 1 bit, zeros to 56 mod 64, then the bit length as a little-endian UInt64.
        let tail = message.count - fullBlocks * 64
        let bitLength = UInt64(message.count) &* 8
        return withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { pad -> Digest in
            pad.initializeMemory(as: UInt8.self, repeating: 0)
            if tail > 0 {
                pad.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[(fullBlocks * 64)...]))
            }
            pad[tail] = 0x80
            let blocks = tail < 56 ? 1 : 2
            pad.storeBytes(of: bitLength.littleEndian, toByteOffset: blocks * 64 - 8, as: UInt64.self)
            let padded = UnsafeRawBufferPointer(pad)
            state.compress(UnsafeRawBufferPointer(rebasing: padded[0..<64]))
            if blocks == 2 { state.compress(UnsafeRawBufferPointer(rebasing: padded[64..<128])) }
            return Digest(h0: state.h0, h1: state.h1, h2: state.h2, h3: state.h3, h4: state.h4)
        }
    }

    /// RIPEMD-160 of `message`.
    public static func hash(_ message: some Sequence<UInt8>) -> Digest {
        let bytes = Array(message)
        return bytes.withUnsafeBytes { hash($0) }
    }

    // MARK: - Compression function

    struct State {
        var h0: UInt32 = 0x6745_2301
        var h1: UInt32 = 0xEFCD_AB89
        var h2: UInt32 = 0x98BA_DCFE
        var h3: UInt32 = 0x1032_5476
        var h4: UInt32 = 0xC3D2_E1F0

        @inline(__always)
        static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 &- n)) }

        /// The round function of round `j / 16` (0...4): f1 = x^y^z, f2 = (x&y)|(~x&z), f3 = (x|~y)^z,
        /// f4 = (x&z)|(y&~z), f5 = x^(y|~z).
        @inline(__always)
        static func f(_ round: Int, _ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 {
            switch round {
            case 0: return x ^ y ^ z
            case 1: return (x & y) | (~x & z)
            case 2: return (x | ~y) ^ z
            case 3: return (x & z) | (y & ~z)
            default: return x ^ (y | ~z)
            }
        }

        mutating func compress(_ block: UnsafeRawBufferPointer) {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { x in
                for i in 0..<16 {
                    x[i] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                }
                RIPEMD160.tables.withUnsafeBufferPointer { t in
                    // t: r (80) | r' (80) | s (80) | s' (80)
                    var al = h0, bl = h1, cl = h2, dl = h3, el = h4
                    var ar = h0, br = h1, cr = h2, dr = h3, er = h4
                    for j in 0..<80 {
                        let round = j >> 4
                        var tl = al &+ State.f(round, bl, cl, dl) &+ x[Int(t[j])] &+ RIPEMD160.kLeft(round)
                        tl = State.rotl(tl, UInt32(t[160 + j])) &+ el
                        al = el; el = dl; dl = State.rotl(cl, 10); cl = bl; bl = tl
                        var tr = ar &+ State.f(4 - round, br, cr, dr) &+ x[Int(t[80 + j])] &+ RIPEMD160.kRight(round)
                        tr = State.rotl(tr, UInt32(t[240 + j])) &+ er
                        ar = er; er = dr; dr = State.rotl(cr, 10); cr = br; br = tr
                    }
                    let t0 = h1 &+ cl &+ dr
                    h1 = h2 &+ dl &+ er
                    h2 = h3 &+ el &+ ar
                    h3 = h4 &+ al &+ br
                    h4 = h0 &+ bl &+ cr
                    h0 = t0
                }
            }
        }
    }

    /// The additive constant K of the left line in round `round` (0...4).
    @inline(__always)
    static func kLeft(_ round: Int) -> UInt32 {
        switch round {
        case 0: return 0
        case 1: return 0x5A82_7999
        case 2: return 0x6ED9_EBA1
        case 3: return 0x8F1B_BCDC
        default: return 0xA953_FD4E
        }
    }

    /// The additive constant K' of the right line in round `round` (0...4).
    @inline(__always)
    static func kRight(_ round: Int) -> UInt32 {
        switch round {
        case 0: return 0x50A2_8BE6
        case 1: return 0x5C4D_D124
        case 2: return 0x6D70_3EF3
        case 3: return 0x7A6D_76E9
        default: return 0
        }
    }

    /// Message-word order r, r' and rotations s, s' for the 80 steps of each line, concatenated.
    static let tables: [UInt8] = [
        // r
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
        3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
        1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
        4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
        // r'
        5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
        6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
        15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
        8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
        12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
        // s
        11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
        7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
        11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
        11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
        9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
        // s'
        8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
        9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
        9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
        15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
        8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
    ]
}

/// `hash160(x)` = RIPEMD160(SHA256(x)): the hash that P2PKH, P2SH and P2WPKH commit to.
public enum Hash160 {
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> RIPEMD160.Digest {
        SHA256.hash(data: bytes).withUnsafeBytes { RIPEMD160.hash($0) }
    }

    public static func hash(_ bytes: [UInt8]) -> RIPEMD160.Digest {
        bytes.withUnsafeBytes { hash($0) }
    }
}
