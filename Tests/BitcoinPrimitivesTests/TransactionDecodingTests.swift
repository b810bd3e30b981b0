import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

/// Bitcoin Core's transaction vectors: every valid row decodes and re-encodes to the same bytes, with the
/// in-place txid equal to the hash of the re-serialized stripped form.
@Suite struct TransactionDecodingTests {
    static func rows(_ name: String) throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("bitcoin-core/\(name)")))
        let rows = (json as? [[Any]]) ?? []
        // Comment rows hold a single string; test rows start with the array of prevouts.
        return rows.compactMap { row in row.first is [Any] ? row[1] as? String : nil }
    }

    @Test func allValidRowsRoundTrip() throws {
        let txs = try Self.rows("tx_valid.json")
        #expect(txs.count == 121)
        var segwit = 0
        for hex in txs {
            let bytes = try Hex.decode(hex)
            let tx = try Transaction(bytes: bytes)
            #expect(tx.serialized() == bytes, "re-encoding differs for \(hex.prefix(40))…")
            #expect(tx.size == bytes.count)
            // The txid hashed in place must equal the hash of the re-serialized stripped form.
            #expect(tx.txid.digest == Hashing.sha256d(tx.serialized(includeWitness: false)))
            #expect(tx.strippedSize == tx.serialized(includeWitness: false).count)
            #expect(tx.wtxid.digest == Hashing.sha256d(bytes))
            if tx.hasWitness { segwit += 1 } else { #expect(tx.wtxid.digest == tx.txid.digest) }
            // keepWitness: false drops the stacks but keeps ids and sizes exact.
            let light = try Transaction(bytes: bytes, keepWitness: false)
            #expect(light.txid == tx.txid && light.wtxid == tx.wtxid && light.weight == tx.weight)
        }
        #expect(segwit > 0, "the vectors include segwit transactions")
    }

    /// tx_invalid rows fail script or consensus checks, not decoding: all must decode and re-encode. Then the
    /// same rows with random bytes changed must give a transaction or a ParseError, never a trap or a hang.
    @Test func invalidRowsAndTheirMutationsNeverCrash() throws {
        let txs = try Self.rows("tx_invalid.json")
        #expect(txs.count > 80)
        for hex in txs {
            let bytes = try Hex.decode(hex)
            let tx = try Transaction(bytes: bytes)
            #expect(tx.serialized() == bytes)
        }
        let seed = SeededRandom.testSeed("invalidRowsAndTheirMutationsNeverCrash")
        var rng = SeededRandom(seed: seed)
        var rejected = 0, accepted = 0
        for hex in txs {
            let original = try Hex.decode(hex)
            for _ in 0..<50 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if let tx = try? Transaction(bytes: bytes) {
                    // Whatever decodes must re-encode to the very same bytes (strict, canonical decoding).
                    #expect(tx.serialized() == bytes, "seed \(seed)")
                    accepted += 1
                } else {
                    rejected += 1
                }
            }
        }
        #expect(rejected > 0 && accepted > 0, "seed \(seed)")
    }

    /// Real mainnet transactions (edits of tx394b54bb by Core's util tests) against Core's own
    /// decoderawtransaction JSON, field by field.
    @Test(arguments: ["tt-delout1-out", "tt-locktime317000-out"])
    func utilTransactionMatchesCoreJSON(name: String) throws {
        let expected = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("bitcoin-core/util/\(name).json"))) as? [String: Any])
        let hex = try Fixtures.text("bitcoin-core/util/\(name).hex").trimmingCharacters(in: .whitespacesAndNewlines)
        let tx = try Transaction(bytes: try Hex.decode(hex))
        #expect(tx.txid.hex == expected["txid"] as? String)
        #expect(tx.wtxid.hex == expected["hash"] as? String)
        #expect(Int(tx.version) == expected["version"] as? Int)
        #expect(tx.size == expected["size"] as? Int)
        #expect(tx.vsize == expected["vsize"] as? Int)
        #expect(tx.weight == expected["weight"] as? Int)
        #expect(Int(tx.lockTime) == expected["locktime"] as? Int)
        let vin = try #require(expected["vin"] as? [[String: Any]])
        #expect(vin.count == tx.inputs.count)
        for (input, e) in zip(tx.inputs, vin) {
            #expect(input.prevout.txid.hex == e["txid"] as? String)
            #expect(Int(input.prevout.vout) == e["vout"] as? Int)
            #expect(Int(input.sequence) == e["sequence"] as? Int)
            #expect(Hex.encode(input.scriptSig) == (e["scriptSig"] as? [String: Any])?["hex"] as? String)
        }
        let vout = try #require(expected["vout"] as? [[String: Any]])
        #expect(vout.count == tx.outputs.count)
        for (n, (output, e)) in zip(tx.outputs, vout).enumerated() {
            #expect(e["n"] as? Int == n)
            // Core prints values as JSON numbers in BTC; compare through the exact decimal text.
            let value = try #require(e["value"] as? NSNumber)
            #expect(Amount(btcString: value.stringValue) == output.value, "output \(n): \(value)")
            #expect(Hex.encode(output.scriptPubKey) == (e["scriptPubKey"] as? [String: Any])?["hex"] as? String)
        }
    }

    @Test func originalUtilTransactionIsNamedByItsTxid() throws {
        let hex = try Fixtures.text("bitcoin-core/util/tx394b54bb.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        let tx = try Transaction(bytes: try Hex.decode(hex))
        // Core's util tests name the file after the txid's first four bytes.
        #expect(tx.txid.hex.hasPrefix("394b54bb"))
        #expect(tx.serialized() == (try Hex.decode(hex)))
    }

    @Test func superfluousWitnessFlagIsRejected() throws {
        // Version 1, marker + flag, one input, one output, an empty witness for the only input, locktime.
        let hex = "01000000" + "0001" + "01" + String(repeating: "11", count: 32) + "00000000" + "00" + "ffffffff"
            + "01" + "0100000000000000" + "00" + "00" + "00000000"
        #expect {
            _ = try Transaction(bytes: try Hex.decode(hex))
        } throws: { error in
            guard let e = error as? ParseError, case .superfluousWitness = e.code else { return false }
            // version 4, marker+flag 2, count 1, input 41, count 1, output 9: the witness starts at 58.
            return e.offset == 58
        }
    }

    @Test func unknownWitnessFlagIsRejected() throws {
        let hex = "01000000" + "0002" + "01" + String(repeating: "11", count: 32) + "00000000" + "00" + "ffffffff"
            + "01" + "0100000000000000" + "00" + "0100" + "00000000"
        #expect(throws: ParseError.self) { _ = try Transaction(bytes: try Hex.decode(hex)) }
    }

    @Test func trailingBytesAfterATransactionAreAnError() throws {
        let txs = try Self.rows("tx_valid.json")
        let bytes = try Hex.decode(txs[0]) + [0x00]
        #expect {
            _ = try Transaction(bytes: bytes)
        } throws: { error in
            guard let e = error as? ParseError, case .trailingBytes(1) = e.code else { return false }
            return e.offset == bytes.count - 1
        }
    }

    @Test func everyTruncationOfAValidTransactionIsAnErrorNotATrap() throws {
        for hex in try Self.rows("tx_valid.json").prefix(30) {
            let bytes = try Hex.decode(hex)
            for cut in 0..<bytes.count {
                #expect(throws: ParseError.self) { _ = try Transaction(bytes: Array(bytes[0..<cut])) }
            }
        }
    }
}
