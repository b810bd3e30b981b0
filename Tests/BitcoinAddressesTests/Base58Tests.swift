import BitcoinAddresses
import BitcoinPrimitives
import SpoorTestSupport
import Testing

struct Base58Row: Sendable, CustomTestStringConvertible {
    var hex: String
    var text: String
    var testDescription: String { text.isEmpty ? "(empty)" : text }

    static func load() throws -> [Base58Row] {
        guard let rows = try loadJSON("bitcoin-core/base58_encode_decode.json") as? [[String]] else {
            throw VectorError(description: "base58_encode_decode.json is not an array of string pairs")
        }
        return try rows.map { row in
            guard row.count == 2 else { throw VectorError(description: "malformed row \(row)") }
            return Base58Row(hex: row[0], text: row[1])
        }
    }
}

struct Base58Tests {
    @Test(arguments: try Base58Row.load())
    func encodesAsCore(row: Base58Row) throws {
        #expect(Base58.encode(try hex(row.hex)) == row.text)
    }

    @Test(arguments: try Base58Row.load())
    func decodesAsCore(row: Base58Row) throws {
        #expect(Hex.encode(try Base58.decode(row.text)) == row.hex.lowercased())
    }

    @Test func vectorFileIsNotEmpty() throws {
        #expect(try Base58Row.load().count >= 14)
    }

    @Test(arguments: ["0", "O", "I", "l", "3x0", " 1", "1 ", "Ä"])
    func rejectsCharactersOutsideTheAlphabet(text: String) {
        #expect(throws: Base58Error.self) { try Base58.decode(text) }
    }

    @Test func reportsPositionOfBadCharacter() {
        #expect(throws: Base58Error.invalidCharacter("0", at: 3)) { try Base58.decode("abc0def") }
    }

    @Test func rejectsOverlongInput() {
        #expect(throws: Base58Error.tooLong(11, limit: 10)) { try Base58.decode(String(repeating: "2", count: 11), maxLength: 10) }
    }

    /// Random byte strings (with leading zeros) survive encode → decode; seed printed for replay.
    @Test func randomRoundTrip() throws {
        let seed: UInt64 = 0x5EED_0B58
        var rng = SeededRandom(seed: seed)
        for _ in 0..<500 {
            let zeros = Int(rng.next() % 4)
            let count = Int(rng.next() % 60)
            let bytes = [UInt8](repeating: 0, count: zeros) + (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let text = Base58.encode(bytes)
            #expect(try Base58.decode(text) == bytes, "seed \(seed), bytes \(Hex.encode(bytes))")
        }
    }

    @Test func checkRoundTripAndBadChecksum() throws {
        // The genesis coinbase's P2PKH address.
        let payload = try hex("0062e907b15cbf27d5425399ebf6f0fb50ebb88f18")
        #expect(Base58Check.encode(payload) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        #expect(try Base58Check.decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == payload)
        #expect(throws: Base58Error.badChecksum) { try Base58Check.decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb") }
        #expect(throws: Base58Error.tooShortForChecksum(3)) { try Base58Check.decode(Base58.encode([1, 2, 3])) }
    }
}

