import BitcoinPrimitives

/// Why a Base58 or Base58Check string was rejected.
public enum Base58Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// A character outside Bitcoin's Base58 alphabet (which leaves out 0, O, I and l), at this character offset.
    case invalidCharacter(Character, at: Int)
    /// Longer than the caller allows (a guard against quadratic work on hostile input).
    case tooLong(Int, limit: Int)
    /// Base58Check: fewer than the four checksum bytes.
    case tooShortForChecksum(Int)
    /// Base58Check: the last four bytes are not the first four bytes of SHA-256d of the rest.
    case badChecksum

    public var description: String {
        switch self {
        case let .invalidCharacter(c, at): return "'\(c)' at position \(at) is not a Base58 character"
        case let .tooLong(n, limit): return "Base58 string of \(n) characters is longer than the \(limit) allowed"
        case let .tooShortForChecksum(n): return "Base58Check data of \(n) bytes is too short to hold a checksum"
        case .badChecksum: return "Base58Check checksum does not match"
        }
    }
}

/// Bitcoin's Base58 (Satoshi's alphabet): big-endian base-58 digits, one leading '1' per leading zero byte.
///
/// Encoding is on the hot path (every P2PKH/P2SH/P2PK output of every block), so it divides the number held in
/// UInt32 limbs by 58^5 at a time, giving five digits per long division, and writes straight into the
/// String's storage.
public enum Base58 {
    @usableFromInline static let alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Digit value per ASCII byte, 0xff where the byte is not in the alphabet.
    static let digitValue: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    static let fiveDigits: UInt64 = 58 * 58 * 58 * 58 * 58 // 656_356_768 < 2^32

    /// Base58 of `bytes`.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let capacity = maxEncodedLength(bytes.count)
        return String(unsafeUninitializedCapacity: capacity) { out in
            guard let base = out.baseAddress else { return 0 } // capacity is at least 6: never taken
            return encode(bytes, into: base)
        }
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    /// An upper bound on the characters `encode` writes for `count` bytes (log(256)/log(58) < 1.366).
    @inlinable
    public static func maxEncodedLength(_ count: Int) -> Int { count * 1366 / 1000 + 6 }

    /// Writes the Base58 of `bytes` to `out` (at least `maxEncodedLength(bytes.count)` bytes) and returns
    /// the number of characters written.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var zeros = 0
        while zeros < bytes.count && bytes[zeros] == 0 { zeros += 1 }
        let significant = bytes.count - zeros
        let limbCount = (significant + 3) / 4
        let maxDigits = maxEncodedLength(significant)
        return alphabet.withUnsafeBufferPointer { alphabet in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(limbCount, 1)) { limbs in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxDigits) { digits in
                    // Big-endian limbs; the first holds the (significant % 4) leading bytes when not a multiple.
                    var byteIndex = zeros
                    let firstLimbBytes = significant % 4 == 0 ? 4 : significant % 4
                    for limb in 0..<limbCount {
                        let take = limb == 0 ? firstLimbBytes : 4
                        var v: UInt32 = 0
                        for _ in 0..<take {
                            v = v << 8 | UInt32(bytes[byteIndex])
                            byteIndex += 1
                        }
                        limbs[limb] = v
                    }
                    var digitCount = 0 // least significant first
                    var start = 0
                    while start < limbCount {
                        var remainder: UInt64 = 0
                        for i in start..<limbCount {
                            let acc = remainder << 32 | UInt64(limbs[i])
                            limbs[i] = UInt32(truncatingIfNeeded: acc / fiveDigits)
                            remainder = acc % fiveDigits
                        }
                        while start < limbCount && limbs[start] == 0 { start += 1 }
                        var r = UInt32(truncatingIfNeeded: remainder)
                        for _ in 0..<5 {
                            digits[digitCount] = UInt8(truncatingIfNeeded: r % 58)
                            r /= 58
                            digitCount += 1
                        }
                    }
                    // The last group of five may carry leading zero digits that are not part of the number.
                    while digitCount > 0 && digits[digitCount - 1] == 0 { digitCount -= 1 }
                    let one = alphabet[0]
                    for i in 0..<zeros { out[i] = one }
                    for i in 0..<digitCount { out[zeros + i] = alphabet[Int(digits[digitCount - 1 - i])] }
                    return zeros + digitCount
                }
            }
        }
    }

    /// Decodes Base58 text. Rejects any character outside the alphabet (including whitespace) and text longer
    /// than `maxLength` characters.
    public static func decode(_ text: some StringProtocol, maxLength: Int = 1024) throws(Base58Error) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count <= maxLength else { throw .tooLong(utf8.count, limit: maxLength) }
        var zeros = 0
        while zeros < utf8.count && utf8[zeros] == alphabet[0] { zeros += 1 }
        // Little-endian UInt32 limbs of the value, multiplied by 58 and added to per character.
        var limbs: [UInt32] = []
        limbs.reserveCapacity(utf8.count * 733 / 1000 / 4 + 2)
        for i in zeros..<utf8.count {
            let value = digitValue[Int(utf8[i])]
            guard value != 0xff else {
                // Report the Character (not the byte) and its position in characters.
                let characters = Array(String(decoding: utf8, as: UTF8.self))
                let prefixCount = String(decoding: utf8[0..<i], as: UTF8.self).count
                let c = prefixCount < characters.count ? characters[prefixCount] : "?"
                throw .invalidCharacter(c, at: prefixCount)
            }
            var carry = UInt64(value)
            for j in 0..<limbs.count {
                let acc = UInt64(limbs[j]) * 58 + carry
                limbs[j] = UInt32(truncatingIfNeeded: acc)
                carry = acc >> 32
            }
            if carry != 0 { limbs.append(UInt32(carry)) }
        }
        var out = [UInt8](repeating: 0, count: zeros)
        out.reserveCapacity(zeros + limbs.count * 4)
        var leading = true
        for limb in limbs.reversed() {
            for shift in stride(from: 24, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: limb >> UInt32(shift))
                if leading && byte == 0 { continue }
                leading = false
                out.append(byte)
            }
        }
        return out
    }
}

/// Base58Check: Base58 of the data followed by the first four bytes of its SHA-256d.
public enum Base58Check {
    /// Base58Check of `payload` (version byte included, if any).
    public static func encode(_ payload: UnsafeRawBufferPointer) -> String {
        withUnsafeTemporaryAllocation(byteCount: payload.count + 4, alignment: 8) { buffer in
            buffer.copyMemory(from: payload)
            let digest = Hashing.sha256d(payload)
            buffer.storeBytes(of: UInt32(truncatingIfNeeded: digest.w0).littleEndian, toByteOffset: payload.count, as: UInt32.self)
            return Base58.encode(UnsafeRawBufferPointer(buffer))
        }
    }

    public static func encode(_ payload: [UInt8]) -> String {
        payload.withUnsafeBytes { encode($0) }
    }

    /// Base58Check of a version byte followed by a 20-byte hash: a P2PKH or P2SH address.
    @inlinable
    public static func encode(version: UInt8, hash20: UnsafeRawBufferPointer) -> String {
        withUnsafeTemporaryAllocation(byteCount: 21, alignment: 8) { buffer in
            buffer[0] = version
            UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: hash20)
            return encode(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Decodes Base58Check text and returns the payload without the checksum.
    public static func decode(_ text: some StringProtocol, maxLength: Int = 1024) throws(Base58Error) -> [UInt8] {
        var bytes = try Base58.decode(text, maxLength: maxLength)
        guard bytes.count >= 4 else { throw .tooShortForChecksum(bytes.count) }
        let payloadCount = bytes.count - 4
        let expected = bytes.withUnsafeBytes { p in
            UInt32(truncatingIfNeeded: Hashing.sha256d(UnsafeRawBufferPointer(rebasing: p[0..<payloadCount])).w0)
        }
        let found = bytes.withUnsafeBytes {
            UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: payloadCount, as: UInt32.self))
        }
        guard expected == found else { throw .badChecksum }
        bytes.removeLast(4)
        return bytes
    }
}
