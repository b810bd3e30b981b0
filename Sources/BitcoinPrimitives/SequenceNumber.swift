/// An input's `nSequence` field: named values and what they mean (BIP 68, BIP 125). Inputs keep the raw
/// `UInt32` (`TxIn.sequence`); this is the one place that says which values are special.
public struct SequenceNumber: RawRepresentable, Hashable, Comparable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// `0xFFFFFFFF`: final; disables the lock time (unless another input is not final) and signals nothing.
    public static let final = SequenceNumber(0xFFFF_FFFF)
    /// `0xFFFFFFFE`: the largest value that enables the lock time without signalling replaceability.
    public static let enableLockTimeNoRBF = SequenceNumber(0xFFFF_FFFE)
    /// `0xFFFFFFFD`: the largest value that signals replaceability (Core's `MAX_BIP125_RBF_SEQUENCE`), what
    /// Bitcoin Core's wallet writes by default.
    public static let maxReplaceable = SequenceNumber(0xFFFF_FFFD)

    /// BIP 125: an input signals that its transaction may be replaced when its sequence is at most
    /// `maxReplaceable`.
    @inlinable public var signalsReplaceability: Bool { rawValue <= Self.maxReplaceable.rawValue }
    /// BIP 125 on a raw field.
    @inlinable public static func signalsReplaceability(_ raw: UInt32) -> Bool { raw <= maxReplaceable.rawValue }

    public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool { a.rawValue < b.rawValue }
}
