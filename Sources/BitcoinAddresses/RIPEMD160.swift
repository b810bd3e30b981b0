import BitcoinPrimitives
import Crypto

/// RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), written here because neither swift-crypto nor any package
/// on this machine offers it. Bitcoin only needs it for `hash160` = RIPEMD160(SHA256(x)), the 20-byte hash in
/// P2PKH and P2SH scripts. The compression function is unrolled from the paper's tables (`r`, `r'`, `s`, `s'`,
/// `K`, `K'`); the paper's test vectors check it.
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

        /// One 64-byte block, unrolled: the five rounds of both lines with their role rotation written out, so the
        /// state stays in registers (generated from the paper's tables `r`, `r'`, `s`, `s'`, `K`, `K'`). Longer than
        /// a screen on purpose: a loop over the tables is what this replaces.
        mutating func compress(_ block: UnsafeRawBufferPointer) {
            @inline(__always) func w(_ i: Int) -> UInt32 {
                UInt32(littleEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            let x0 = w(0), x1 = w(1), x2 = w(2), x3 = w(3), x4 = w(4), x5 = w(5), x6 = w(6), x7 = w(7)
            let x8 = w(8), x9 = w(9), x10 = w(10), x11 = w(11), x12 = w(12), x13 = w(13), x14 = w(14), x15 = w(15)
            @inline(__always) func rotl(_ v: UInt32, _ n: UInt32) -> UInt32 { (v << n) | (v >> (32 &- n)) }
            @inline(__always) func f1(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { x ^ y ^ z }
            @inline(__always) func f2(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x & y) | (~x & z) }
            @inline(__always) func f3(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x | ~y) ^ z }
            @inline(__always) func f4(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x & z) | (y & ~z) }
            @inline(__always) func f5(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { x ^ (y | ~z) }
            var la = h0, lb = h1, lc = h2, ld = h3, le = h4
            var ra = h0, rb = h1, rc = h2, rd = h3, re = h4
            la = rotl(la &+ f1(lb, lc, ld) &+ x0, 11) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f5(rb, rc, rd) &+ x5 &+ 0x50A2_8BE6, 8) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f1(la, lb, lc) &+ x1, 14) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f5(ra, rb, rc) &+ x14 &+ 0x50A2_8BE6, 9) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f1(le, la, lb) &+ x2, 15) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f5(re, ra, rb) &+ x7 &+ 0x50A2_8BE6, 9) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f1(ld, le, la) &+ x3, 12) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f5(rd, re, ra) &+ x0 &+ 0x50A2_8BE6, 11) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f1(lc, ld, le) &+ x4, 5) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f5(rc, rd, re) &+ x9 &+ 0x50A2_8BE6, 13) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f1(lb, lc, ld) &+ x5, 8) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f5(rb, rc, rd) &+ x2 &+ 0x50A2_8BE6, 15) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f1(la, lb, lc) &+ x6, 7) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f5(ra, rb, rc) &+ x11 &+ 0x50A2_8BE6, 15) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f1(le, la, lb) &+ x7, 9) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f5(re, ra, rb) &+ x4 &+ 0x50A2_8BE6, 5) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f1(ld, le, la) &+ x8, 11) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f5(rd, re, ra) &+ x13 &+ 0x50A2_8BE6, 7) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f1(lc, ld, le) &+ x9, 13) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f5(rc, rd, re) &+ x6 &+ 0x50A2_8BE6, 7) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f1(lb, lc, ld) &+ x10, 14) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f5(rb, rc, rd) &+ x15 &+ 0x50A2_8BE6, 8) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f1(la, lb, lc) &+ x11, 15) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f5(ra, rb, rc) &+ x8 &+ 0x50A2_8BE6, 11) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f1(le, la, lb) &+ x12, 6) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f5(re, ra, rb) &+ x1 &+ 0x50A2_8BE6, 14) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f1(ld, le, la) &+ x13, 7) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f5(rd, re, ra) &+ x10 &+ 0x50A2_8BE6, 14) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f1(lc, ld, le) &+ x14, 9) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f5(rc, rd, re) &+ x3 &+ 0x50A2_8BE6, 12) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f1(lb, lc, ld) &+ x15, 8) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f5(rb, rc, rd) &+ x12 &+ 0x50A2_8BE6, 6) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f2(la, lb, lc) &+ x7 &+ 0x5A82_7999, 7) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f4(ra, rb, rc) &+ x6 &+ 0x5C4D_D124, 9) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f2(le, la, lb) &+ x4 &+ 0x5A82_7999, 6) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f4(re, ra, rb) &+ x11 &+ 0x5C4D_D124, 13) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f2(ld, le, la) &+ x13 &+ 0x5A82_7999, 8) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f4(rd, re, ra) &+ x3 &+ 0x5C4D_D124, 15) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f2(lc, ld, le) &+ x1 &+ 0x5A82_7999, 13) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f4(rc, rd, re) &+ x7 &+ 0x5C4D_D124, 7) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f2(lb, lc, ld) &+ x10 &+ 0x5A82_7999, 11) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f4(rb, rc, rd) &+ x0 &+ 0x5C4D_D124, 12) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f2(la, lb, lc) &+ x6 &+ 0x5A82_7999, 9) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f4(ra, rb, rc) &+ x13 &+ 0x5C4D_D124, 8) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f2(le, la, lb) &+ x15 &+ 0x5A82_7999, 7) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f4(re, ra, rb) &+ x5 &+ 0x5C4D_D124, 9) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f2(ld, le, la) &+ x3 &+ 0x5A82_7999, 15) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f4(rd, re, ra) &+ x10 &+ 0x5C4D_D124, 11) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f2(lc, ld, le) &+ x12 &+ 0x5A82_7999, 7) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f4(rc, rd, re) &+ x14 &+ 0x5C4D_D124, 7) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f2(lb, lc, ld) &+ x0 &+ 0x5A82_7999, 12) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f4(rb, rc, rd) &+ x15 &+ 0x5C4D_D124, 7) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f2(la, lb, lc) &+ x9 &+ 0x5A82_7999, 15) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f4(ra, rb, rc) &+ x8 &+ 0x5C4D_D124, 12) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f2(le, la, lb) &+ x5 &+ 0x5A82_7999, 9) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f4(re, ra, rb) &+ x12 &+ 0x5C4D_D124, 7) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f2(ld, le, la) &+ x2 &+ 0x5A82_7999, 11) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f4(rd, re, ra) &+ x4 &+ 0x5C4D_D124, 6) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f2(lc, ld, le) &+ x14 &+ 0x5A82_7999, 7) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f4(rc, rd, re) &+ x9 &+ 0x5C4D_D124, 15) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f2(lb, lc, ld) &+ x11 &+ 0x5A82_7999, 13) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f4(rb, rc, rd) &+ x1 &+ 0x5C4D_D124, 13) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f2(la, lb, lc) &+ x8 &+ 0x5A82_7999, 12) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f4(ra, rb, rc) &+ x2 &+ 0x5C4D_D124, 11) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f3(le, la, lb) &+ x3 &+ 0x6ED9_EBA1, 11) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f3(re, ra, rb) &+ x15 &+ 0x6D70_3EF3, 9) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f3(ld, le, la) &+ x10 &+ 0x6ED9_EBA1, 13) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f3(rd, re, ra) &+ x5 &+ 0x6D70_3EF3, 7) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f3(lc, ld, le) &+ x14 &+ 0x6ED9_EBA1, 6) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f3(rc, rd, re) &+ x1 &+ 0x6D70_3EF3, 15) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f3(lb, lc, ld) &+ x4 &+ 0x6ED9_EBA1, 7) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f3(rb, rc, rd) &+ x3 &+ 0x6D70_3EF3, 11) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f3(la, lb, lc) &+ x9 &+ 0x6ED9_EBA1, 14) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f3(ra, rb, rc) &+ x7 &+ 0x6D70_3EF3, 8) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f3(le, la, lb) &+ x15 &+ 0x6ED9_EBA1, 9) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f3(re, ra, rb) &+ x14 &+ 0x6D70_3EF3, 6) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f3(ld, le, la) &+ x8 &+ 0x6ED9_EBA1, 13) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f3(rd, re, ra) &+ x6 &+ 0x6D70_3EF3, 6) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f3(lc, ld, le) &+ x1 &+ 0x6ED9_EBA1, 15) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f3(rc, rd, re) &+ x9 &+ 0x6D70_3EF3, 14) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f3(lb, lc, ld) &+ x2 &+ 0x6ED9_EBA1, 14) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f3(rb, rc, rd) &+ x11 &+ 0x6D70_3EF3, 12) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f3(la, lb, lc) &+ x7 &+ 0x6ED9_EBA1, 8) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f3(ra, rb, rc) &+ x8 &+ 0x6D70_3EF3, 13) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f3(le, la, lb) &+ x0 &+ 0x6ED9_EBA1, 13) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f3(re, ra, rb) &+ x12 &+ 0x6D70_3EF3, 5) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f3(ld, le, la) &+ x6 &+ 0x6ED9_EBA1, 6) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f3(rd, re, ra) &+ x2 &+ 0x6D70_3EF3, 14) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f3(lc, ld, le) &+ x13 &+ 0x6ED9_EBA1, 5) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f3(rc, rd, re) &+ x10 &+ 0x6D70_3EF3, 13) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f3(lb, lc, ld) &+ x11 &+ 0x6ED9_EBA1, 12) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f3(rb, rc, rd) &+ x0 &+ 0x6D70_3EF3, 13) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f3(la, lb, lc) &+ x5 &+ 0x6ED9_EBA1, 7) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f3(ra, rb, rc) &+ x4 &+ 0x6D70_3EF3, 7) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f3(le, la, lb) &+ x12 &+ 0x6ED9_EBA1, 5) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f3(re, ra, rb) &+ x13 &+ 0x6D70_3EF3, 5) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f4(ld, le, la) &+ x1 &+ 0x8F1B_BCDC, 11) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f2(rd, re, ra) &+ x8 &+ 0x7A6D_76E9, 15) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f4(lc, ld, le) &+ x9 &+ 0x8F1B_BCDC, 12) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f2(rc, rd, re) &+ x6 &+ 0x7A6D_76E9, 5) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f4(lb, lc, ld) &+ x11 &+ 0x8F1B_BCDC, 14) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f2(rb, rc, rd) &+ x4 &+ 0x7A6D_76E9, 8) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f4(la, lb, lc) &+ x10 &+ 0x8F1B_BCDC, 15) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f2(ra, rb, rc) &+ x1 &+ 0x7A6D_76E9, 11) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f4(le, la, lb) &+ x0 &+ 0x8F1B_BCDC, 14) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f2(re, ra, rb) &+ x3 &+ 0x7A6D_76E9, 14) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f4(ld, le, la) &+ x8 &+ 0x8F1B_BCDC, 15) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f2(rd, re, ra) &+ x11 &+ 0x7A6D_76E9, 14) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f4(lc, ld, le) &+ x12 &+ 0x8F1B_BCDC, 9) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f2(rc, rd, re) &+ x15 &+ 0x7A6D_76E9, 6) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f4(lb, lc, ld) &+ x4 &+ 0x8F1B_BCDC, 8) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f2(rb, rc, rd) &+ x0 &+ 0x7A6D_76E9, 14) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f4(la, lb, lc) &+ x13 &+ 0x8F1B_BCDC, 9) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f2(ra, rb, rc) &+ x5 &+ 0x7A6D_76E9, 6) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f4(le, la, lb) &+ x3 &+ 0x8F1B_BCDC, 14) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f2(re, ra, rb) &+ x12 &+ 0x7A6D_76E9, 9) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f4(ld, le, la) &+ x7 &+ 0x8F1B_BCDC, 5) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f2(rd, re, ra) &+ x2 &+ 0x7A6D_76E9, 12) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f4(lc, ld, le) &+ x15 &+ 0x8F1B_BCDC, 6) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f2(rc, rd, re) &+ x13 &+ 0x7A6D_76E9, 9) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f4(lb, lc, ld) &+ x14 &+ 0x8F1B_BCDC, 8) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f2(rb, rc, rd) &+ x9 &+ 0x7A6D_76E9, 12) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f4(la, lb, lc) &+ x5 &+ 0x8F1B_BCDC, 6) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f2(ra, rb, rc) &+ x7 &+ 0x7A6D_76E9, 5) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f4(le, la, lb) &+ x6 &+ 0x8F1B_BCDC, 5) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f2(re, ra, rb) &+ x10 &+ 0x7A6D_76E9, 15) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f4(ld, le, la) &+ x2 &+ 0x8F1B_BCDC, 12) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f2(rd, re, ra) &+ x14 &+ 0x7A6D_76E9, 8) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f5(lc, ld, le) &+ x4 &+ 0xA953_FD4E, 9) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f1(rc, rd, re) &+ x12, 8) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f5(lb, lc, ld) &+ x0 &+ 0xA953_FD4E, 15) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f1(rb, rc, rd) &+ x15, 5) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f5(la, lb, lc) &+ x5 &+ 0xA953_FD4E, 5) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f1(ra, rb, rc) &+ x10, 12) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f5(le, la, lb) &+ x9 &+ 0xA953_FD4E, 11) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f1(re, ra, rb) &+ x4, 9) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f5(ld, le, la) &+ x7 &+ 0xA953_FD4E, 6) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f1(rd, re, ra) &+ x1, 12) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f5(lc, ld, le) &+ x12 &+ 0xA953_FD4E, 8) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f1(rc, rd, re) &+ x5, 5) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f5(lb, lc, ld) &+ x2 &+ 0xA953_FD4E, 13) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f1(rb, rc, rd) &+ x8, 14) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f5(la, lb, lc) &+ x10 &+ 0xA953_FD4E, 12) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f1(ra, rb, rc) &+ x7, 6) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f5(le, la, lb) &+ x14 &+ 0xA953_FD4E, 5) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f1(re, ra, rb) &+ x6, 8) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f5(ld, le, la) &+ x1 &+ 0xA953_FD4E, 12) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f1(rd, re, ra) &+ x2, 13) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f5(lc, ld, le) &+ x3 &+ 0xA953_FD4E, 13) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f1(rc, rd, re) &+ x13, 6) &+ ra; rd = rotl(rd, 10)
            la = rotl(la &+ f5(lb, lc, ld) &+ x8 &+ 0xA953_FD4E, 14) &+ le; lc = rotl(lc, 10)
            ra = rotl(ra &+ f1(rb, rc, rd) &+ x14, 5) &+ re; rc = rotl(rc, 10)
            le = rotl(le &+ f5(la, lb, lc) &+ x11 &+ 0xA953_FD4E, 11) &+ ld; lb = rotl(lb, 10)
            re = rotl(re &+ f1(ra, rb, rc) &+ x0, 15) &+ rd; rb = rotl(rb, 10)
            ld = rotl(ld &+ f5(le, la, lb) &+ x6 &+ 0xA953_FD4E, 8) &+ lc; la = rotl(la, 10)
            rd = rotl(rd &+ f1(re, ra, rb) &+ x3, 13) &+ rc; ra = rotl(ra, 10)
            lc = rotl(lc &+ f5(ld, le, la) &+ x15 &+ 0xA953_FD4E, 5) &+ lb; le = rotl(le, 10)
            rc = rotl(rc &+ f1(rd, re, ra) &+ x9, 11) &+ rb; re = rotl(re, 10)
            lb = rotl(lb &+ f5(lc, ld, le) &+ x13 &+ 0xA953_FD4E, 6) &+ la; ld = rotl(ld, 10)
            rb = rotl(rb &+ f1(rc, rd, re) &+ x11, 11) &+ ra; rd = rotl(rd, 10)
            // After 80 steps the roles have rotated: (A, B, C, D, E) are now (la, lb, lc, ld, le) and (ra, rb, rc, rd, re).
            let t0 = h1 &+ lc &+ rd
            h1 = h2 &+ ld &+ re
            h2 = h3 &+ le &+ ra
            h3 = h4 &+ la &+ rb
            h4 = h0 &+ lb &+ rc
            h0 = t0
        }
    }
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
