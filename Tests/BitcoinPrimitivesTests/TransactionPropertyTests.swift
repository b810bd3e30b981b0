import BitcoinPrimitives
import SpoorTestSupport
import Testing

/// decode(encode(tx)) == tx for random transactions, legacy and segwit, with the seed printed for replay.
@Suite struct TransactionPropertyTests {
    static func randomBytes(_ n: Int, _ rng: inout SeededRandom) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func randomTransaction(_ rng: inout SeededRandom) -> Transaction {
        let segwit = Bool.random(using: &rng)
        let inputCount = Int.random(in: 1...5, using: &rng)
        var inputs: [TxIn] = (0..<inputCount).map { _ in
            let prev = Digest32(bytes: randomBytes(32, &rng)) ?? .zero
            // Lengths around the CompactSize boundaries (252/253) matter most.
            let scriptLength = [0, 1, 25, 107, 252, 253, 300].randomElement(using: &rng) ?? 0
            return TxIn(prevout: OutPoint(txid: Txid(digest: prev), vout: UInt32.random(in: 0...UInt32.max, using: &rng)),
                        scriptSig: randomBytes(scriptLength, &rng),
                        sequence: UInt32.random(in: 0...UInt32.max, using: &rng))
        }
        if segwit {
            // At least one non-empty witness, or the encoding would be a superfluous witness record.
            let witnessed = Int.random(in: 0..<inputCount, using: &rng)
            for i in 0..<inputCount where i == witnessed || Bool.random(using: &rng) {
                let items = Int.random(in: 1...4, using: &rng)
                inputs[i].witness = (0..<items).map { _ in
                    randomBytes([0, 1, 33, 72, 253].randomElement(using: &rng) ?? 0, &rng)
                }
            }
        }
        let outputs: [TxOut] = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
            TxOut(value: Amount(satoshis: Int64.random(in: 0...Amount.maxMoney.satoshis, using: &rng)),
                  scriptPubKey: randomBytes([0, 22, 25, 34, 80, 253].randomElement(using: &rng) ?? 0, &rng))
        }
        return Transaction(version: Int32.random(in: Int32.min...Int32.max, using: &rng), inputs: inputs,
                           outputs: outputs, lockTime: UInt32.random(in: 0...UInt32.max, using: &rng))
    }

    @Test func randomTransactionsRoundTrip() throws {
        let seed = SeededRandom.testSeed("TransactionPropertyTests.randomTransactionsRoundTrip")
        var rng = SeededRandom(seed: seed)
        for _ in 0..<500 {
            let tx = Self.randomTransaction(&rng)
            let bytes = tx.serialized()
            let decoded = try Transaction(bytes: bytes)
            #expect(decoded == tx, "seed \(seed)")
            #expect(decoded.serialized() == bytes, "seed \(seed)")
            #expect(decoded.txid == tx.txid && decoded.wtxid == tx.wtxid && decoded.weight == tx.weight, "seed \(seed)")
        }
    }
}
