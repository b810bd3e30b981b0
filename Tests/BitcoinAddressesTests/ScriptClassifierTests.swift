import BitcoinAddresses
import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

/// One output from bitcoin-etl's expected exports (Core's JSON, as bitcoin-etl wrote it).
struct EtlOutput: Sendable, CustomTestStringConvertible {
    var file: String
    var scriptHex: String
    var scriptAsm: String
    var type: String
    var addresses: [String]
    var requiredSignatures: Int?
    var testDescription: String { "\(file) \(scriptHex.prefix(16))…" }

    static func load() throws -> [EtlOutput] {
        let dir = Fixtures.url("bitcoin-etl/bitcoin")
        var out: [EtlOutput] = []
        for sub in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            let file = "bitcoin-etl/bitcoin/\(sub)/expected_transactions.json"
            guard FileManager.default.fileExists(atPath: Fixtures.url(file).path) else { continue }
            for line in try Fixtures.text(file).split(separator: "\n") where !line.isEmpty {
                guard let tx = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let outputs = tx["outputs"] as? [[String: Any]] else {
                    throw VectorError(description: "\(file): a line is not a transaction object")
                }
                for o in outputs {
                    guard let h = o["script_hex"] as? String, let asm = o["script_asm"] as? String,
                          let type = o["type"] as? String, let addresses = o["addresses"] as? [String] else {
                        throw VectorError(description: "\(file): output without script_hex/type/addresses")
                    }
                    out.append(EtlOutput(file: sub, scriptHex: h, scriptAsm: asm, type: type, addresses: addresses,
                                         requiredSignatures: o["required_signatures"] as? Int))
                }
            }
        }
        return out
    }
}

struct ScriptClassifierTests {
    @Test(arguments: try KeyIOValidRow.load())
    func keyIOValidScriptGivesAddress(row: KeyIOValidRow) throws {
        let script = try hex(row.scriptHex)
        #expect(!row.networks.isEmpty, "unknown chain \(row.chain)")
        for network in row.networks {
            let c = ScriptClassifier(network: network).classify(script)
            #expect(c.address == row.address, "\(network)")
            #expect(c.kind != .nonstandard && c.kind != .nulldata && c.kind != .multisig)
        }
    }

    @Test func keyIOValidHasAddressRowsForEveryChain() throws {
        let chains = Set(try KeyIOValidRow.load().map(\.chain))
        #expect(chains == ["main", "testnet4", "signet", "regtest"])
    }

    @Test(arguments: try DecodeScriptRow.load())
    func decodescriptTypeAndRegtestAddress(row: DecodeScriptRow) throws {
        let c = ScriptClassifier(network: .regtest).classify(try hex(row.scriptHex))
        #expect(c.kind.rawValue == row.type)
        #expect(c.address == row.address)
    }

    @Test func bip341AddressesFromScripts() throws {
        guard let root = try loadJSON("bitcoin-core/bip341_wallet_vectors.json") as? [String: Any],
              let rows = root["scriptPubKey"] as? [[String: Any]] else {
            throw VectorError(description: "bip341_wallet_vectors.json: no scriptPubKey list")
        }
        #expect(rows.count == 7)
        for row in rows {
            let expected = try #require(row["expected"] as? [String: Any])
            let script = try hex(try #require(expected["scriptPubKey"] as? String))
            let c = ScriptClassifier(network: .main).classify(script)
            #expect(c.kind == .witnessV1Taproot)
            #expect(c.address == expected["bip350Address"] as? String)
        }
    }

    /// bitcoin-etl's expected exports (mainnet, Core's types, a P2PK output listed under its P2PKH address).
    @Test(arguments: try EtlOutput.load())
    func bitcoinEtlOutputs(output: EtlOutput) throws {
        let c = ScriptClassifier(network: .main).classify(try hex(output.scriptHex))
        #expect(c.kind.rawValue == output.type)
        #expect(c.address.map { [$0] } ?? [] == output.addresses)
        let legacy = ScriptClassifier(network: .main).legacyDestinations(try hex(output.scriptHex))
        #expect(legacy?.addresses ?? [] == output.addresses)
        #expect(legacy?.requiredSignatures == output.requiredSignatures)
    }

    /// Core before v22 listed a bare multisig under m and its keys' P2PKH addresses; here with the genesis key,
    /// whose P2PKH address is well known.
    @Test func legacyDestinationsOfMultisig() throws {
        let genesisKey = "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
        let script = try hex("51" + "41" + genesisKey + "21" + ScriptClassifierTests.key33 + "52ae")
        let classifier = ScriptClassifier(network: .main)
        #expect(classifier.classify(script) == ScriptClassification(kind: .multisig, address: nil))
        let legacy = try #require(classifier.legacyDestinations(script))
        #expect(legacy.requiredSignatures == 1)
        #expect(legacy.addresses.count == 2)
        #expect(legacy.addresses.first == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        #expect(classifier.legacyDestinations(try hex("6a00")) == nil)
        #expect(classifier.legacyDestinations(try hex("61")) == nil)
    }

    @Test func borrowedAndArrayEntryPointsAgree() throws {
        let script = try hex("76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac")
        let classifier = ScriptClassifier(network: .main)
        let padded = [0xff, 0xff] + script + [0xff]
        let viaSlice = padded.withUnsafeBytes { classifier.classify(UnsafeRawBufferPointer(rebasing: $0[2..<(2 + script.count)])) }
        #expect(viaSlice == classifier.classify(script))
        #expect(viaSlice.address == "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo")
    }

    // MARK: - Core's templates, case by case (rules from Bitcoin Core's script/solver.cpp)

    static let key33 = "02" + String(repeating: "11", count: 32)
    static let key65 = "04" + String(repeating: "22", count: 64)

    static let templateCases: [(String, ScriptKind)] = [
        ("", .nonstandard),
        ("6a", .nulldata),                                   // bare OP_RETURN
        ("6a4c0100", .nulldata),                             // OP_RETURN PUSHDATA1
        ("6a0151", .nulldata),                               // push then OP_1..16 allowed
        ("6a4f50", .nulldata),                               // OP_1NEGATE and OP_RESERVED count as pushes
        ("6a61", .nonstandard),                              // OP_NOP is not a push
        ("6a4c", .nonstandard),                              // truncated PUSHDATA1
        ("21" + key33 + "ac", .pubkey),
        ("41" + key65 + "ac", .pubkey),
        ("21" + "04" + String(repeating: "11", count: 32) + "ac", .nonstandard), // 33 bytes with 04 header
        ("51" + "21" + key33 + "51ae", .multisig),             // 1-of-1
        ("52" + "21" + key33 + "41" + key65 + "52ae", .multisig), // 2-of-2 mixed key sizes
        ("53" + "21" + key33 + "21" + key33 + "52ae", .nonstandard), // m > n
        ("51" + "21" + key33 + "52ae", .nonstandard),          // n does not match key count
        ("51" + "21" + key33 + "5151ae", .nonstandard),        // an extra op between n and CHECKMULTISIG
        ("00" + "21" + key33 + "51ae", .nonstandard),          // m = 0
        ("0111" + String(repeating: "21" + key33, count: 17) + "0111ae", .multisig), // 17-of-17, counts pushed
        ("0101" + "21" + key33 + "51ae", .nonstandard),        // non-minimal push of 1
        ("51024e73", .anchor),
        ("51034e7300", .witnessUnknown),                     // v1, 3-byte program
        ("5102eeee", .witnessUnknown),
        ("0015" + String(repeating: "00", count: 21), .nonstandard), // v0 with a 21-byte program
        ("0014" + String(repeating: "00", count: 20), .witnessV0KeyHash),
        ("0020" + String(repeating: "00", count: 32), .witnessV0ScriptHash),
        ("6028" + String(repeating: "00", count: 40), .witnessUnknown), // v16, 40 bytes
        ("6029" + String(repeating: "00", count: 41), .nonstandard),   // 41-byte program is no witness program
        ("0001" + "00", .nonstandard),                       // 1-byte program
        ("a914" + String(repeating: "00", count: 20) + "87", .scripthash),
        ("a914" + String(repeating: "00", count: 20) + "88", .nonstandard),
        ("76a914" + String(repeating: "00", count: 20) + "88ac", .pubkeyhash),
        ("76a914" + String(repeating: "00", count: 20) + "88ad", .nonstandard),
    ]

    @Test(arguments: templateCases)
    func coreTemplate(scriptHex: String, kind: ScriptKind) throws {
        let script = try hex(scriptHex)
        #expect(ScriptClassifier.kind(of: script) == kind)
        let c = ScriptClassifier(network: .main).classify(script)
        #expect(c.kind == kind)
        switch kind {
        case .multisig, .nulldata, .nonstandard: #expect(c.address == nil)
        default: #expect(c.address != nil)
        }
    }

    /// Core 28's documented pay-to-anchor addresses.
    @Test func anchorAddresses() throws {
        let script = try hex("51024e73")
        #expect(ScriptClassifier(network: .main).classify(script).address == "bc1pfeessrawgf")
        #expect(ScriptClassifier(network: .regtest).classify(script).address == "bcrt1pfeesnyr2tx")
        #expect(ScriptClassifier(network: .testnet4).classify(script).address == "tb1pfees9rn5nz")
    }

    /// The genesis coinbase pays a bare key; bitcoin-etl lists it under the key's P2PKH address.
    @Test func genesisPubkeyOutput() throws {
        let script = try hex("4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac")
        let c = ScriptClassifier(network: .main).classify(script)
        #expect(c == ScriptClassification(kind: .pubkey, address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"))
    }

    @Test func everyNetworkUsesItsPrefixes() throws {
        let p2pkh = try hex("76a914" + String(repeating: "00", count: 20) + "88ac")
        let p2wpkh = try hex("0014" + String(repeating: "00", count: 20))
        for network in Network.allCases {
            let a = try #require(ScriptClassifier(network: network).classify(p2pkh).address)
            #expect(a.first == (network == .main ? "1" : "m"))
            let s = try #require(ScriptClassifier(network: network).classify(p2wpkh).address)
            #expect(s.hasPrefix(network.bech32HRP + "1q"))
        }
    }
}
