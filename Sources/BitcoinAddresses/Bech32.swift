/// Why a Bech32/Bech32m string or a segwit address was rejected. The cases follow the error classes of BIP173
/// and BIP350's test vectors, so a caller can say exactly what was wrong.
public enum Bech32Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// Longer than the limit (90 characters for addresses).
    case tooLong(Int, limit: Int)
    /// No '1' separating the human-readable part from the data.
    case noSeparator
    /// Nothing before the separator.
    case emptyHRP
    /// A human-readable-part byte outside US-ASCII 33...126, at this UTF-8 offset.
    case hrpCharacterOutOfRange(offset: Int)
    /// A data or checksum character outside the 32-character Bech32 alphabet, at this UTF-8 offset.
    case invalidDataCharacter(offset: Int)
    /// Fewer than six characters after the separator.
    case checksumTooShort
    /// Upper- and lower-case letters mixed.
    case mixedCase
    /// Neither the Bech32 nor the Bech32m checksum matches.
    case invalidChecksum
    /// Encoding: a value above 31 in the 5-bit data.
    case invalidFiveBitValue(UInt8)
    /// Segwit: no witness version.
    case emptyDataSection
    /// Segwit: a witness version above 16.
    case invalidWitnessVersion(UInt8)
    /// Segwit: a program outside 2...40 bytes, or not 20/32 bytes for version 0.
    case invalidProgramLength(Int, version: UInt8)
    /// Segwit: the checksum is valid but the wrong kind for the version (BIP350: v0 uses Bech32, v1+ Bech32m).
    case wrongEncoding(version: UInt8, found: Bech32.Encoding)
    /// 5-to-8-bit conversion: five or more bits of padding.
    case excessPadding
    /// 5-to-8-bit conversion: padding bits that are not zero.
    case nonZeroPadding
    /// Segwit: a human-readable part other than the one expected for the network.
    case wrongHRP(found: String, expected: String)

    public var description: String {
        switch self {
        case let .tooLong(n, limit): return "bech32 string of \(n) characters exceeds the limit of \(limit)"
        case .noSeparator: return "no '1' separator in bech32 string"
        case .emptyHRP: return "empty human-readable part"
        case let .hrpCharacterOutOfRange(offset): return "human-readable part has a character out of range at byte \(offset)"
        case let .invalidDataCharacter(offset): return "invalid bech32 data character at byte \(offset)"
        case .checksumTooShort: return "data part shorter than the 6-character checksum"
        case .mixedCase: return "mixed upper and lower case"
        case .invalidChecksum: return "invalid bech32/bech32m checksum"
        case let .invalidFiveBitValue(v): return "value \(v) does not fit in 5 bits"
        case .emptyDataSection: return "empty data section (no witness version)"
        case let .invalidWitnessVersion(v): return "invalid witness version \(v)"
        case let .invalidProgramLength(n, v): return "invalid witness program length \(n) for version \(v)"
        case let .wrongEncoding(v, found):
            return "witness version \(v) needs \(v == 0 ? "bech32" : "bech32m") but the checksum is \(found)"
        case .excessPadding: return "more than 4 bits of padding"
        case .nonZeroPadding: return "non-zero padding bits"
        case let .wrongHRP(found, expected): return "human-readable part '\(found)' where '\(expected)' was expected"
        }
    }
}

/// Bech32 (BIP173) and Bech32m (BIP350): a human-readable part, '1', 5-bit data and a 6-character BCH checksum.
public enum Bech32 {
    /// Which checksum constant a string uses.
    public enum Encoding: String, Sendable, Equatable {
        case bech32
        case bech32m

        @usableFromInline var constant: UInt32 { self == .bech32 ? 1 : 0x2bc8_30a3 }
    }

    /// A decoded Bech32/Bech32m string.
    public struct Decoded: Sendable, Equatable {
        /// The human-readable part, lower-cased.
        public var hrp: String
        /// The 5-bit values between the separator and the checksum.
        public var data: [UInt8]
        public var encoding: Encoding
    }

    /// The default length limit of BIP173 (addresses).
    public static let addressLengthLimit = 90

    @usableFromInline static let charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    /// Value of each ASCII byte in the charset (either case), 0xff elsewhere.
    static let charsetValue: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in charset.enumerated() {
            table[Int(c)] = UInt8(i)
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { table[Int(c - 32)] = UInt8(i) }
        }
        return table
    }()

    /// XOR of the BCH generator constants selected by each 5-bit value (BIP173's `GEN`), so a checksum
    /// step is one table load instead of five tests.
    @usableFromInline static let generatorTable: [UInt32] = [
        0x00000000, 0x3b6a57b2, 0x26508e6d, 0x1d3ad9df,
        0x1ea119fa, 0x25cb4e48, 0x38f19797, 0x039bc025,
        0x3d4233dd, 0x0628646f, 0x1b12bdb0, 0x2078ea02,
        0x23e32a27, 0x18897d95, 0x05b3a44a, 0x3ed9f3f8,
        0x2a1462b3, 0x117e3501, 0x0c44ecde, 0x372ebb6c,
        0x34b57b49, 0x0fdf2cfb, 0x12e5f524, 0x298fa296,
        0x1756516e, 0x2c3c06dc, 0x3106df03, 0x0a6c88b1,
        0x09f74894, 0x329d1f26, 0x2fa7c6f9, 0x14cd914b,
    ]

    @inline(__always) @usableFromInline
    static func polymodStep(_ chk: UInt32, _ value: UInt8) -> UInt32 {
        let top = Int(chk >> 25)
        return (chk & 0x1ff_ffff) << 5 ^ UInt32(value) ^ generatorTable.withUnsafeBufferPointer { $0[top] }
    }

    /// The checksum state after the expanded human-readable part (high bits, 0, low bits).
    @usableFromInline
    static func hrpPolymod(_ hrp: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var chk: UInt32 = 1
        for c in hrp { chk = polymodStep(chk, c >> 5) }
        chk = polymodStep(chk, 0)
        for c in hrp { chk = polymodStep(chk, c & 31) }
        return chk
    }

    /// Encodes 5-bit `data` under `hrp` (lower-cased). Throws for an empty or out-of-range human-readable
    /// part, a value above 31, or a result longer than `limit`.
    public static func encode(hrp: String, data: [UInt8], encoding: Encoding,
                              limit: Int = addressLengthLimit) throws(Bech32Error) -> String {
        let hrpBytes = Array(hrp.lowercased().utf8)
        guard !hrpBytes.isEmpty else { throw .emptyHRP }
        let total = hrpBytes.count + 1 + data.count + 6
        guard total <= limit else { throw .tooLong(total, limit: limit) }
        for (i, c) in hrpBytes.enumerated() where c < 33 || c > 126 { throw .hrpCharacterOutOfRange(offset: i) }
        if let bad = data.first(where: { $0 > 31 }) { throw .invalidFiveBitValue(bad) }
        var out = hrpBytes
        out.reserveCapacity(total)
        out.append(UInt8(ascii: "1"))
        var chk = hrpBytes.withUnsafeBufferPointer { hrpPolymod($0) }
        for v in data {
            chk = polymodStep(chk, v)
            out.append(charset[Int(v)])
        }
        for _ in 0..<6 { chk = polymodStep(chk, 0) }
        chk ^= encoding.constant
        for i in 0..<6 { out.append(charset[Int((chk >> UInt32(5 * (5 - i))) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a Bech32 or Bech32m string (either all lower or all upper case) of at most `limit` characters.
    public static func decode(_ text: some StringProtocol, limit: Int = addressLengthLimit) throws(Bech32Error) -> Decoded {
        let bytes = Array(text.utf8)
        guard bytes.count <= limit else { throw .tooLong(bytes.count, limit: limit) }
        guard let separator = bytes.lastIndex(of: UInt8(ascii: "1")) else { throw .noSeparator }
        guard separator > 0 else { throw .emptyHRP }
        var hasLower = false, hasUpper = false
        for i in 0..<separator {
            let c = bytes[i]
            guard c >= 33 && c <= 126 else { throw .hrpCharacterOutOfRange(offset: i) }
        }
        var values: [UInt8] = []
        values.reserveCapacity(bytes.count - separator - 1)
        for i in (separator + 1)..<bytes.count {
            let v = charsetValue[Int(bytes[i])]
            guard v != 0xff else { throw .invalidDataCharacter(offset: i) }
            values.append(v)
        }
        guard values.count >= 6 else { throw .checksumTooShort }
        for c in bytes {
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { hasLower = true }
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { hasUpper = true }
        }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        let hrp = bytes[0..<separator].map { c -> UInt8 in
            c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c
        }
        var chk = hrp.withUnsafeBufferPointer { hrpPolymod($0) }
        for v in values { chk = polymodStep(chk, v) }
        let encoding: Encoding
        switch chk {
        case Encoding.bech32.constant: encoding = .bech32
        case Encoding.bech32m.constant: encoding = .bech32m
        default: throw .invalidChecksum
        }
        values.removeLast(6)
        return Decoded(hrp: String(decoding: hrp, as: UTF8.self), data: values, encoding: encoding)
    }

    /// Regroups 8-bit bytes into 5-bit values, zero-padding the last one.
    public static func eightToFive(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 8 / 5 + 1)
        var acc: UInt32 = 0, bits = 0
        for b in bytes {
            acc = acc << 8 | UInt32(b)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(UInt8((acc >> UInt32(bits)) & 31))
            }
        }
        if bits > 0 { out.append(UInt8((acc << UInt32(5 - bits)) & 31)) }
        return out
    }

    /// Regroups 5-bit values into bytes; the leftover bits must be fewer than five and all zero (BIP173).
    public static func fiveToEight(_ values: some Sequence<UInt8>) throws(Bech32Error) -> [UInt8] {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for v in values {
            guard v <= 31 else { throw .invalidFiveBitValue(v) }
            acc = (acc << 5 | UInt32(v)) & 0xfff
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
        }
        guard bits < 5 else { throw .excessPadding }
        guard acc & ((1 << UInt32(bits)) - 1) == 0 else { throw .nonZeroPadding }
        return out
    }
}

/// A segwit address: witness version 0...16 and a 2...40-byte program under a network's human-readable part.
/// Version 0 uses Bech32, versions 1 and up Bech32m (BIP350).
public struct SegwitAddress: Sendable, Hashable {
    public var hrp: String
    public var version: UInt8
    public var program: [UInt8]

    public init(hrp: String, version: UInt8, program: [UInt8]) {
        self.hrp = hrp
        self.version = version
        self.program = program
    }

    /// The scriptPubKey this address pays: `OP_n <program>`.
    public var scriptPubKey: [UInt8] {
        [version == 0 ? 0 : 0x50 + version, UInt8(program.count)] + program
    }

    /// Checks BIP141's program rules: 2...40 bytes, and 20 or 32 bytes for version 0.
    static func validate(version: UInt8, programLength: Int) throws(Bech32Error) {
        guard version <= 16 else { throw .invalidWitnessVersion(version) }
        guard (2...40).contains(programLength) else { throw .invalidProgramLength(programLength, version: version) }
        if version == 0 && programLength != 20 && programLength != 32 {
            throw .invalidProgramLength(programLength, version: version)
        }
    }

    /// Parses and checks a segwit address. With `expectedHRP`, any other human-readable part is rejected.
    public init(_ text: some StringProtocol, expectedHRP: String? = nil) throws(Bech32Error) {
        let decoded = try Bech32.decode(text)
        if let expectedHRP, decoded.hrp != expectedHRP { throw .wrongHRP(found: decoded.hrp, expected: expectedHRP) }
        guard let version = decoded.data.first else { throw .emptyDataSection }
        guard version <= 16 else { throw .invalidWitnessVersion(version) }
        let program = try Bech32.fiveToEight(decoded.data.dropFirst())
        try SegwitAddress.validate(version: version, programLength: program.count)
        let expected: Bech32.Encoding = version == 0 ? .bech32 : .bech32m
        guard decoded.encoding == expected else { throw .wrongEncoding(version: version, found: decoded.encoding) }
        self.init(hrp: decoded.hrp, version: version, program: program)
    }

    /// The address text (lower case).
    public var string: String {
        program.withUnsafeBytes { SegwitAddress.encode(hrp: hrp, version: version, program: $0) }
    }

    /// Encodes a witness program without intermediate arrays: the classifier calls this for every segwit output.
    /// The caller guarantees `version <= 16` and a program of at most 40 bytes (as every witness program is).
    public static func encode(hrp: String, version: UInt8, program: UnsafeRawBufferPointer) -> String {
        var hrp = hrp
        return hrp.withUTF8 { hrpBytes in
            let dataCount = 1 + (program.count * 8 + 4) / 5
            let total = hrpBytes.count + 1 + dataCount + 6
            return String(unsafeUninitializedCapacity: total) { out in
                var chk = Bech32.hrpPolymod(hrpBytes)
                var n = 0
                for c in hrpBytes { out[n] = c; n += 1 }
                out[n] = UInt8(ascii: "1"); n += 1
                Bech32.charset.withUnsafeBufferPointer { charset in
                    chk = Bech32.polymodStep(chk, version)
                    out[n] = charset[Int(version & 31)]; n += 1
                    var acc: UInt32 = 0, bits: UInt32 = 0
                    for b in program {
                        acc = acc << 8 | UInt32(b)
                        bits += 8
                        while bits >= 5 {
                            bits -= 5
                            let v = UInt8((acc >> bits) & 31)
                            chk = Bech32.polymodStep(chk, v)
                            out[n] = charset[Int(v)]; n += 1
                        }
                    }
                    if bits > 0 {
                        let v = UInt8((acc << (5 - bits)) & 31)
                        chk = Bech32.polymodStep(chk, v)
                        out[n] = charset[Int(v)]; n += 1
                    }
                    for _ in 0..<6 { chk = Bech32.polymodStep(chk, 0) }
                    chk ^= (version == 0 ? Bech32.Encoding.bech32 : .bech32m).constant
                    for i in 0..<6 {
                        out[n] = charset[Int((chk >> UInt32(5 * (5 - i))) & 31)]; n += 1
                    }
                }
                return n
            }
        }
    }
}
