/// Lower-case hex encoding and strict decoding.
public enum Hex {
    @usableFromInline static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the hex of `bytes` to a UTF-8 buffer: what writers of text formats use instead of building a
    /// `String` per field.
    @inlinable
    public static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
    }

    @inlinable
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// Decodes hex (either case). Throws with the character offset of the first fault.
    public static func decode(_ text: some StringProtocol) throws(ParseError) -> [UInt8] {
        var utf8 = Array(text.utf8)
        return try decode(utf8: &utf8)
    }

    public static func decode(utf8: inout [UInt8]) throws(ParseError) -> [UInt8] {
        guard utf8.count % 2 == 0 else {
            throw ParseError(.invalidHex("odd number of hex digits (\(utf8.count))"), at: utf8.count)
        }
        var out = [UInt8](repeating: 0, count: utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]) else {
                throw ParseError(.invalidHex("'\(Character(Unicode.Scalar(utf8[i])))' is not a hex digit"), at: i)
            }
            guard let lo = nibble(utf8[i + 1]) else {
                throw ParseError(.invalidHex("'\(Character(Unicode.Scalar(utf8[i + 1])))' is not a hex digit"), at: i + 1)
            }
            out[i / 2] = hi << 4 | lo
            i += 2
        }
        return out
    }
}
