/// An unsigned 256-bit integer, just enough for chainwork: addition, comparison and Core's block-proof
/// formula. Limbs are little-endian (`l0` least significant).
public struct UInt256: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

    public static let zero = UInt256(l0: 0, l1: 0, l2: 0, l3: 0)

    public init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    public init(_ v: UInt64) { self.init(l0: v, l1: 0, l2: 0, l3: 0) }

    var limbs: [UInt64] { [l0, l1, l2, l3] }
    init(limbs: [UInt64]) { self.init(l0: limbs[0], l1: limbs[1], l2: limbs[2], l3: limbs[3]) }

    public static func < (a: UInt256, b: UInt256) -> Bool { (a.l3, a.l2, a.l1, a.l0) < (b.l3, b.l2, b.l1, b.l0) }

    public static func + (a: UInt256, b: UInt256) -> UInt256 {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        let x = a.limbs, y = b.limbs
        for i in 0..<4 {
            let (s1, o1) = x[i].addingReportingOverflow(y[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return UInt256(limbs: out)
    }

    static func bitwiseNot(_ a: UInt256) -> UInt256 { UInt256(l0: ~a.l0, l1: ~a.l1, l2: ~a.l2, l3: ~a.l3) }

    func bit(_ i: Int) -> Bool { (limbs[i / 64] >> UInt64(i % 64)) & 1 == 1 }

    func shiftedLeft1() -> UInt256 {
        UInt256(l0: l0 << 1, l1: l1 << 1 | l0 >> 63, l2: l2 << 1 | l1 >> 63, l3: l3 << 1 | l2 >> 63)
    }

    /// Long division; `d` must be non-zero.
    public static func / (n: UInt256, d: UInt256) -> UInt256 {
        precondition(d != .zero, "division by zero")
        var q = [UInt64](repeating: 0, count: 4)
        var r = UInt256.zero
        for i in stride(from: 255, through: 0, by: -1) {
            r = r.shiftedLeft1()
            if n.bit(i) { r.l0 |= 1 }
            if r >= d {
                r = r - d
                q[i / 64] |= 1 << UInt64(i % 64)
            }
        }
        return UInt256(limbs: q)
    }

    public static func - (a: UInt256, b: UInt256) -> UInt256 {
        var out = [UInt64](repeating: 0, count: 4)
        var borrow: UInt64 = 0
        let x = a.limbs, y = b.limbs
        for i in 0..<4 {
            let (d1, o1) = x[i].subtractingReportingOverflow(y[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            out[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return UInt256(limbs: out)
    }

    /// The target a compact `bits` field encodes, or nil when negative or overflowing (Core's `SetCompact`).
    public static func target(fromCompactBits bits: UInt32) -> UInt256? {
        let size = Int(bits >> 24)
        var word = UInt64(bits & 0x007f_ffff)
        let negative = word != 0 && bits & 0x0080_0000 != 0
        let overflow = word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32))
        guard !negative, !overflow else { return nil }
        if size <= 3 {
            word >>= UInt64(8 * (3 - size))
            return UInt256(word)
        }
        var v = UInt256(word)
        for _ in 0..<(8 * (size - 3)) { v = v.shiftedLeft1() }
        return v
    }

    /// Core's `GetBlockProof`: 2^256 / (target + 1), computed as ~target / (target + 1) + 1.
    public static func work(fromCompactBits bits: UInt32) -> UInt256 {
        guard let target = target(fromCompactBits: bits), target != .zero else { return .zero }
        return bitwiseNot(target) / (target + UInt256(1)) + UInt256(1)
    }

    /// 64 hex digits, most significant first (as Core's `chainwork` field).
    public var description: String {
        [l3, l2, l1, l0].map { v in
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}
