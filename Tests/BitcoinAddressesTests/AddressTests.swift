import BitcoinAddresses
import BitcoinPrimitives
import Testing

struct AddressTests {
    /// Core's key_io_valid: every address decodes to its scriptPubKey on its chain (and testnet3 for testnet4
    /// rows, which share prefixes), and is rejected by the networks with other prefixes.
    @Test(arguments: try KeyIOValidRow.load())
    func keyIOValidDecodes(row: KeyIOValidRow) throws {
        let any = try Address(row.address)
        #expect(Hex.encode(any.scriptPubKey) == row.scriptHex)
        #expect(any.kind == ScriptClassifier.kind(of: any.scriptPubKey))
        for network in row.networks {
            let a = try Address(row.address, network: network)
            #expect(Hex.encode(a.scriptPubKey) == row.scriptHex)
            #expect(a.networks.contains(network))
            // The classifier gives back the same text (Core's round trip EncodeDestination(DecodeDestination)).
            #expect(ScriptClassifier(network: network).classify(a.scriptPubKey).address == row.address)
        }
        for network in Network.allCases where !any.networks.contains(network) {
            #expect(throws: AddressError.self) { try Address(row.address, network: network) }
        }
    }

    /// Core's tryCaseFlip: flipping the case of every letter keeps a Bech32 address valid (all upper case),
    /// and breaks every Base58 one.
    @Test(arguments: try KeyIOValidRow.load())
    func keyIOCaseFlip(row: KeyIOValidRow) throws {
        let flipped = String(row.address.map { c -> Character in
            c.isUppercase ? Character(c.lowercased()) : Character(c.uppercased())
        })
        if row.tryCaseFlip {
            #expect(Hex.encode(try Address(flipped).scriptPubKey) == row.scriptHex)
        } else {
            #expect(throws: AddressError.self) { try Address(flipped) }
        }
    }

    static func invalidStrings() throws -> [String] {
        guard let rows = try loadJSON("bitcoin-core/key_io_invalid.json") as? [[String]] else {
            throw VectorError(description: "key_io_invalid.json is not an array of string arrays")
        }
        return try rows.map { row in
            guard let s = row.first else { throw VectorError(description: "empty row") }
            return s
        }
    }

    @Test(arguments: try invalidStrings())
    func keyIOInvalidRejectedOnEveryNetwork(text: String) {
        #expect(throws: AddressError.self) { try Address(text) }
        for network in Network.allCases {
            #expect(throws: AddressError.self) { try Address(text, network: network) }
        }
    }

    @Test func keyIOInvalidHasAllRows() throws {
        #expect(try AddressTests.invalidStrings().count == 70)
    }

    @Test func bip341AddressesDecodeToTheirScripts() throws {
        guard let root = try loadJSON("bitcoin-core/bip341_wallet_vectors.json") as? [String: Any],
              let rows = root["scriptPubKey"] as? [[String: Any]] else {
            throw VectorError(description: "bip341_wallet_vectors.json: no scriptPubKey list")
        }
        for row in rows {
            let expected = try #require(row["expected"] as? [String: Any])
            let a = try Address(try #require(expected["bip350Address"] as? String), network: .main)
            #expect(Hex.encode(a.scriptPubKey) == expected["scriptPubKey"] as? String)
            #expect(a.kind == .witnessV1Taproot)
        }
    }

    @Test(arguments: try DecodeScriptRow.load().filter { $0.address != nil })
    func decodescriptRegtestAddresses(row: DecodeScriptRow) throws {
        let a = try Address(try #require(row.address), network: .regtest)
        #expect(Hex.encode(a.scriptPubKey) == row.scriptHex)
        #expect(a.kind.rawValue == row.type)
    }

    /// BIP350 segwit vectors through the address layer (bc/tb only; the others are checksum-level).
    @Test(arguments: try BIPVector.load("segwit_address_valid", bip: "bip350"))
    func bip350ValidAddresses(vector: BIPVector) throws {
        let a = try Address(vector.string)
        #expect(Hex.encode(a.scriptPubKey) == vector.scriptPubKey)
        #expect(a.string == vector.string.lowercased())
    }

    @Test(arguments: try BIPVector.load("segwit_address_invalid", bip: "bip173")
        + BIPVector.load("segwit_address_invalid", bip: "bip350"))
    func bipInvalidAddresses(vector: BIPVector) {
        #expect(throws: AddressError.self) { try Address(vector.string) }
    }

    // MARK: - Errors say what was wrong

    static let p2pkh = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"

    @Test func badChecksum() {
        #expect(throws: AddressError("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", .base58(.badChecksum))) {
            try Address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
        }
    }

    @Test func wrongLength() {
        // 22-byte payload with a valid checksum.
        let text = Base58Check.encode([0] + [UInt8](repeating: 7, count: 21))
        #expect(throws: AddressError(text, .wrongLength(22))) { try Address(text) }
    }

    @Test func unknownVersionByte() {
        let text = Base58Check.encode([0x30] + [UInt8](repeating: 7, count: 20)) // Litecoin's P2PKH
        #expect(throws: AddressError(text, .unknownVersionByte(0x30))) { try Address(text) }
    }

    @Test func wrongNetwork() {
        #expect(throws: AddressError(AddressTests.p2pkh, .wrongNetwork(expected: .regtest, found: [.main]))) {
            try Address(AddressTests.p2pkh, network: .regtest)
        }
    }

    @Test func mixedCaseBech32() {
        let text = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4"
        #expect(throws: AddressError(text, .bech32(.mixedCase))) { try Address(text) }
    }

    @Test func bech32ChecksumOnTaproot() {
        // BIP350: a v1 program with a Bech32 (not Bech32m) checksum.
        let text = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"
        #expect(throws: AddressError(text, .bech32(.wrongEncoding(version: 1, found: .bech32)))) { try Address(text) }
    }

    @Test func unknownSegwitPrefix() {
        let text = "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty"
        #expect(throws: AddressError(text, .unknownHRP("tc"))) { try Address(text) }
    }

    @Test func emptyString() {
        #expect(throws: AddressError("", .empty)) { try Address("") }
    }

    @Test func messagesNameTheText() {
        let e = AddressError("xyz", .base58(.badChecksum))
        #expect(e.description.contains("'xyz'"))
        #expect(e.description.contains("checksum"))
    }

    @Test func networksSharingPrefixes() throws {
        #expect(try Address("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ").networks == [.testnet3, .testnet4, .signet, .regtest])
        #expect(try Address("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7").networks
            == [.testnet3, .testnet4, .signet])
        #expect(try Address("bcrt1pfeesnyr2tx").kind == .anchor)
    }
}
