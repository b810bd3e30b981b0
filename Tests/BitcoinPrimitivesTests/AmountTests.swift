import BitcoinPrimitives
import SpoorTestSupport
import Testing

/// BTC decimal text to satoshis exactly, and hostile text refused without a trap.
@Suite struct AmountTests {
    @Test(arguments: [
        ("0.00000001", 1), ("50", 5_000_000_000), ("50.00000000", 5_000_000_000), ("1.5", 150_000_000),
        ("-1.5", -150_000_000), ("0.100000000", 10_000_000), ("21000000", 2_100_000_000_000_000),
        ("1e-05", 1_000), ("1.2E+1", 1_200_000_000), ("0.00012345", 12_345),
    ] as [(String, Int64)])
    func exactConversions(text: String, satoshis: Int64) {
        #expect(Amount(btcString: text)?.satoshis == satoshis)
    }

    @Test(arguments: [
        "", ".", "abc", "1.000000001", "1..0", "--1", "1e", "1e99999999999999999999", "1e9223372036854775807",
        "1e-9223372036854775807", "99999999999", "92233720368.54775808", "99999999999.99999999",
    ])
    func refusedWithoutATrap(text: String) {
        #expect(Amount(btcString: text) == nil)
    }

    @Test func btcStringRoundTrip() {
        let seed = SeededRandom.testSeed("AmountTests.btcStringRoundTrip")
        var rng = SeededRandom(seed: seed)
        for _ in 0..<10_000 {
            let a = Amount(satoshis: Int64.random(in: -Amount.maxMoney.satoshis...Amount.maxMoney.satoshis, using: &rng))
            #expect(Amount(btcString: a.btcString) == a, "seed \(seed)")
        }
    }
}
