import BitcoinAddresses
import BitcoinPrimitives
import Testing

/// The test vectors printed in the RIPEMD-160 paper (Dobbertin, Bosselaers, Preneel; "RIPEMD-160: A
/// strengthened version of RIPEMD", appendix B).
struct RIPEMD160Tests {
    static let paperVectors: [(String, String)] = [
        ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
        ("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
        ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
        ("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
        ("abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "12a053384a9c0c88e405a06c27dcf49ada62eb2b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "b0e20b6e3116640286ed3a87a5713079b21f5189"),
        (String(repeating: "1234567890", count: 8), "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
    ]

    @Test(arguments: paperVectors)
    func paperVector(message: String, expected: String) {
        #expect(Hex.encode(RIPEMD160.hash(Array(message.utf8)).bytes) == expected)
    }

    @Test func oneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(RIPEMD160.hash(message).bytes) == "52783243c1697bdbe16d37f97f68f08325dc1528")
    }

    /// Lengths around the padding boundaries (the message bytes 0, 1, 2, …, n-1). Expected digests computed
    /// by OpenSSL 3.0 (`hashlib.new("ripemd160", bytes(range(n)))` in Python), an independent implementation.
    static let boundaryVectors: [(Int, String)] = [
        (55, "3c86963b3ff646a65ae42996e9664c747cc7e5e6"),
        (56, "ebdd79cfd4fd9949ef8089673d2620427f487cfb"),
        (57, "635b0d05be254d82503a9e1db7647dd1b5d5d6bf"),
        (63, "6d31d3d634b4a7aa15914c239576eb1956f2d9a4"),
        (64, "2581f5e9f957b44b0fa24d31996de47409dd1e0f"),
        (65, "109949b95341eeea7365e8ac4d0d3883d98f709a"),
        (119, "ad430b4283203a7b7f338b9d252dfdbf807402bf"),
        (120, "b89cdc109009f1982c8b34fca446953584d3f6c4"),
        (128, "7c4d36070c1e1176b2960a1b0dd2319d547cf8eb"),
    ]

    @Test(arguments: boundaryVectors)
    func paddingBoundary(length: Int, expected: String) {
        let message = (0..<length).map { UInt8($0) }
        #expect(Hex.encode(RIPEMD160.hash(message).bytes) == expected)
    }

    /// hash160 of the genesis block's coinbase key is the hash in its well-known P2PKH address
    /// 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa (62e907b15cbf27d5425399ebf6f0fb50ebb88f18).
    @Test func hash160OfGenesisKey() throws {
        let key = try Hex.decode(
            "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f")
        #expect(Hex.encode(Hash160.hash(key).bytes) == "62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    }
}
