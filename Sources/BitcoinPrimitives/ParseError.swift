/// A fault found while decoding consensus bytes, with the byte offset where it was found.
///
/// The offset is relative to whatever buffer the reader was given; layers that know more (a file name, a
/// block's position in a file, a line number) wrap it in their own error type and add that context.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Fewer bytes remained than the structure needs.
        case truncated(needed: Int, available: Int)
        /// A CompactSize that a shorter encoding could have carried (Core: "non-canonical ReadCompactSize()").
        case nonCanonicalCompactSize
        /// A length above Core's `MAX_SIZE` (0x02000000), or more elements than the bytes left could hold.
        case sizeTooLarge(UInt64)
        /// A segwit marker whose flag is not 1, or a witness flag with every witness empty.
        case superfluousWitness
        /// Unknown segwit flag byte.
        case unknownWitnessFlag(UInt8)
        /// Bytes left over after a complete structure where nothing more was expected.
        case trailingBytes(Int)
        /// Text that is not hex: odd length or a non-hex character.
        case invalidHex(String)
        /// Anything else, described in words.
        case other(String)
    }

    public var code: Code
    public var offset: Int

    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// What was wrong, without the offset (for wrappers that state the position their own way).
    public var reason: String {
        switch code {
        case let .truncated(needed, available):
            return "truncated data: needed \(needed) more byte(s), \(available) left"
        case .nonCanonicalCompactSize:
            return "non-canonical CompactSize"
        case let .sizeTooLarge(n):
            return "length \(n) is larger than the data or the 0x02000000 limit allows"
        case .superfluousWitness:
            return "superfluous witness record (witness flag set but every witness is empty)"
        case let .unknownWitnessFlag(f):
            return "unknown segwit flag 0x\(String(f, radix: 16))"
        case let .trailingBytes(n):
            return "\(n) trailing byte(s) after the end of the data"
        case let .invalidHex(why):
            return "invalid hex: \(why)"
        case let .other(why):
            return why
        }
    }

    public var description: String {
        switch code {
        case let .truncated(needed, available):
            return "truncated data at byte \(offset): needed \(needed) more byte(s), \(available) left"
        case .nonCanonicalCompactSize:
            return "non-canonical CompactSize at byte \(offset)"
        case let .sizeTooLarge(n):
            return "length \(n) at byte \(offset) is larger than the data or the 0x02000000 limit allows"
        case .superfluousWitness:
            return "superfluous witness record at byte \(offset) (witness flag set but every witness is empty)"
        case let .unknownWitnessFlag(f):
            return "unknown segwit flag 0x\(String(f, radix: 16)) at byte \(offset)"
        case let .trailingBytes(n):
            return "\(n) trailing byte(s) after the end of the data at byte \(offset)"
        case let .invalidHex(why):
            return "invalid hex at character \(offset): \(why)"
        case let .other(why):
            return "\(why) at byte \(offset)"
        }
    }
}
