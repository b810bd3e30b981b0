import BitcoinAddresses
import BitcoinPrimitives
import SpoorTestSupport
import Testing

/// A checksum-level vector from bitcoinjs/bech32's fixtures.
struct BitcoinjsVector: Sendable, CustomTestStringConvertible {
    var encoding: Bech32.Encoding
    var string: String?
    var prefix: String?
    var words: [UInt8]?
    var hex: String?
    var limit: Int?
    var exception: String?
    var testDescription: String { "\(encoding) \(string ?? prefix ?? "?") \(exception ?? "valid")" }

    static func load(valid: Bool) throws -> [BitcoinjsVector] {
        guard let root = try loadJSON("bech32/bitcoinjs-bech32-fixtures.json") as? [String: Any] else {
            throw VectorError(description: "bitcoinjs fixtures: not an object")
        }
        var out: [BitcoinjsVector] = []
        for (key, encoding) in [("bech32", Bech32.Encoding.bech32), ("bech32m", .bech32m)] {
            guard let section = root[key] as? [String: Any],
                  let rows = section[valid ? "valid" : "invalid"] as? [[String: Any]] else {
                throw VectorError(description: "bitcoinjs fixtures: no \(key) section")
            }
            for row in rows {
                var string = row["string"] as? String
                if let stringHex = row["stringHex"] as? String {
                    string = String(decoding: try Hex.decode(stringHex), as: UTF8.self)
                }
                out.append(BitcoinjsVector(
                    encoding: encoding, string: string, prefix: row["prefix"] as? String,
                    words: (row["words"] as? [Int]).map { $0.map { UInt8(truncatingIfNeeded: $0) } },
                    hex: row["hex"] as? String, limit: row["limit"] as? Int, exception: row["exception"] as? String))
            }
        }
        return out
    }

    /// The error class each bitcoinjs exception message names.
    func matches(_ error: Bech32Error) -> Bool {
        guard let exception else { return false }
        switch error {
        case .mixedCase: return exception.hasPrefix("Mixed-case")
        case .hrpCharacterOutOfRange: return exception.hasPrefix("Invalid prefix")
        case .checksumTooShort: return exception.hasSuffix("too short")
        case .tooLong: return exception.hasPrefix("Exceeds length limit")
        case .invalidDataCharacter: return exception.hasPrefix("Unknown character")
        // bitcoinjs checks the overall length (>= 8) before the prefix, so "16plkw9" is "too short" there.
        case .emptyHRP: return exception.hasPrefix("Missing prefix") || exception.hasSuffix("too short")
        case .noSeparator: return exception.hasPrefix("No separator")
        case .invalidFiveBitValue: return exception.hasPrefix("Non 5-bit word")
        case .invalidChecksum: return exception.hasPrefix("Invalid checksum")
        default: return false
        }
    }
}

/// A BIP173/BIP350 vector: a string, what it should decode to, or why it is invalid.
struct BIPVector: Sendable, CustomTestStringConvertible {
    var bip: String
    var list: String
    var string: String
    var scriptPubKey: String?
    var reason: String?
    var testDescription: String { "\(bip) \(list) \(string.debugDescription)" }

    static func load(_ list: String, bip: String) throws -> [BIPVector] {
        guard let root = try loadJSON("bech32/bip173_bip350_vectors.json") as? [String: Any],
              let section = root[bip] as? [String: Any], let rows = section[list] as? [[String: Any]] else {
            throw VectorError(description: "bip173_bip350_vectors.json: no \(bip).\(list)")
        }
        return try rows.map { row in
            guard let s = row["string"] as? String else { throw VectorError(description: "row without string") }
            return BIPVector(bip: bip, list: list, string: s, scriptPubKey: row["scriptPubKey"] as? String,
                             reason: row["reason"] as? String)
        }
    }

    /// Witness version of a valid segwit vector's script (OP_0 or OP_1...OP_16).
    var witnessVersion: UInt8? {
        guard let scriptPubKey, let first = try? Hex.decode(scriptPubKey).first else { return nil }
        return first == 0 ? 0 : first - 0x50
    }

    func matches(_ error: Bech32Error) -> Bool {
        guard let reason else { return false }
        switch error {
        case .hrpCharacterOutOfRange: return reason == "HRP character out of range"
        case .tooLong: return reason == "overall max length exceeded"
        case .noSeparator: return reason == "No separator character"
        case .emptyHRP: return reason.lowercased() == "empty hrp"
        case .invalidDataCharacter: return reason == "Invalid data character" || reason == "Invalid character in checksum"
        case .checksumTooShort: return reason == "Too short checksum"
        case .invalidChecksum: return reason == "checksum calculated with uppercase form of HRP" || reason == "Invalid checksum"
        case .wrongHRP: return reason == "Invalid human-readable part"
        case .invalidWitnessVersion: return reason == "Invalid witness version"
        case .invalidProgramLength: return reason.hasPrefix("Invalid program length")
        case .mixedCase: return reason == "Mixed case"
        case .excessPadding: return reason == "zero padding of more than 4 bits"
        case .nonZeroPadding: return reason == "Non-zero padding in 8-to-5 conversion"
        case .emptyDataSection: return reason == "Empty data section"
        case let .wrongEncoding(_, found):
            return reason == "Invalid checksum (Bech32 instead of Bech32m)" && found == .bech32
                || reason == "Invalid checksum (Bech32m instead of Bech32)" && found == .bech32m
        default: return false
        }
    }
}

struct Bech32Tests {
    @Test(arguments: try BitcoinjsVector.load(valid: true))
    func bitcoinjsValid(vector: BitcoinjsVector) throws {
        let limit = vector.limit ?? Bech32.addressLengthLimit
        let string = try #require(vector.string)
        let decoded = try Bech32.decode(string, limit: limit)
        #expect(decoded.encoding == vector.encoding)
        #expect(decoded.hrp == vector.prefix?.lowercased())
        if let words = vector.words { #expect(decoded.data == words) }
        if let hex = vector.hex { #expect(Hex.encode(try Bech32.fiveToEight(decoded.data)) == hex) }
        let encoded = try Bech32.encode(hrp: try #require(vector.prefix), data: decoded.data,
                                        encoding: vector.encoding, limit: limit)
        #expect(encoded == string.lowercased())
    }

    @Test(arguments: try BitcoinjsVector.load(valid: false))
    func bitcoinjsInvalid(vector: BitcoinjsVector) throws {
        let limit = vector.limit ?? Bech32.addressLengthLimit
        do {
            if let string = vector.string {
                let decoded = try Bech32.decode(string, limit: limit)
                // Decoding may succeed only with the other checksum: then it is not this encoding's string.
                #expect(decoded.encoding != vector.encoding, "accepted \(string)")
            } else {
                _ = try Bech32.encode(hrp: try #require(vector.prefix), data: try #require(vector.words),
                                      encoding: vector.encoding, limit: limit)
                Issue.record("encoding accepted")
            }
        } catch let error as Bech32Error {
            #expect(vector.matches(error), "got \(error) for '\(vector.exception ?? "")'")
        }
    }

    @Test func bitcoinjsFromWordsInvalid() throws {
        guard let root = try loadJSON("bech32/bitcoinjs-bech32-fixtures.json") as? [String: Any],
              let section = root["fromWords"] as? [String: Any],
              let rows = section["invalid"] as? [[String: Any]] else {
            throw VectorError(description: "no fromWords section")
        }
        #expect(rows.count == 2)
        for row in rows {
            let words = try #require(row["words"] as? [Int]).map { UInt8($0) }
            let exception = try #require(row["exception"] as? String)
            #expect(throws: exception == "Excess padding" ? Bech32Error.excessPadding : .nonZeroPadding) {
                try Bech32.fiveToEight(words)
            }
        }
    }

    @Test(arguments: try BIPVector.load("bech32_valid", bip: "bip173") + BIPVector.load("bech32m_valid", bip: "bip350"))
    func bipChecksumValid(vector: BIPVector) throws {
        let decoded = try Bech32.decode(vector.string)
        #expect(decoded.encoding == (vector.bip == "bip173" ? .bech32 : .bech32m))
    }

    @Test(arguments: try BIPVector.load("bech32_invalid", bip: "bip173") + BIPVector.load("bech32m_invalid", bip: "bip350"))
    func bipChecksumInvalid(vector: BIPVector) throws {
        do {
            let decoded = try Bech32.decode(vector.string)
            #expect(decoded.encoding != (vector.bip == "bip173" ? .bech32 : .bech32m), "accepted")
        } catch {
            #expect(vector.matches(error), "got \(error) for '\(vector.reason ?? "")'")
        }
    }

    /// BIP350 supersedes BIP173 for v1+: of BIP173's valid addresses only the v0 ones stay valid.
    @Test(arguments: try BIPVector.load("segwit_address_valid", bip: "bip350")
        + BIPVector.load("segwit_address_valid", bip: "bip173").filter { $0.witnessVersion == 0 })
    func segwitValid(vector: BIPVector) throws {
        let address = try SegwitAddress(vector.string)
        #expect(Hex.encode(address.scriptPubKey) == vector.scriptPubKey)
        #expect(address.string == vector.string.lowercased())
        let hrp = vector.string.lowercased().hasPrefix("bc1") ? "bc" : "tb"
        #expect(address.hrp == hrp)
        #expect(throws: Bech32Error.self) { try SegwitAddress(vector.string, expectedHRP: hrp == "bc" ? "tb" : "bc") }
    }

    @Test(arguments: try BIPVector.load("segwit_address_valid", bip: "bip173").filter { $0.witnessVersion != 0 })
    func bip173V1PlusAddressesAreInvalidUnderBIP350(vector: BIPVector) {
        #expect(throws: Bech32Error.wrongEncoding(version: vector.witnessVersion ?? 99, found: .bech32)) {
            try SegwitAddress(vector.string)
        }
    }

    @Test(arguments: try BIPVector.load("segwit_address_invalid", bip: "bip173")
        + BIPVector.load("segwit_address_invalid", bip: "bip350"))
    func segwitInvalid(vector: BIPVector) {
        let lower = vector.string.lowercased()
        let expectedHRP = lower.hasPrefix("tb1") ? "tb" : "bc"
        do {
            _ = try SegwitAddress(vector.string, expectedHRP: expectedHRP)
            Issue.record("accepted \(vector.string)")
        } catch {
            #expect(vector.matches(error), "got \(error) for '\(vector.reason ?? "")'")
        }
    }

    @Test func eightToFiveRoundTrip() throws {
        var rng = SeededRandom(seed: 0xBEC3_2000)
        for count in 0..<64 {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(try Bech32.fiveToEight(Bech32.eightToFive(bytes)) == bytes)
        }
    }
}

