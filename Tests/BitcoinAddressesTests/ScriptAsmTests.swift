import BitcoinAddresses
import BitcoinPrimitives
import Testing

struct ScriptAsmTests {
    static func check(_ scripts: [CoreScript], network: Network) throws -> (asm: Int, classified: Int) {
        var asmChecked = 0, classified = 0
        let classifier = ScriptClassifier(network: network)
        for s in scripts {
            let bytes = try Hex.decode(s.hex)
            #expect(ScriptAsm.string(bytes, attemptSighashDecode: s.isScriptSig) == s.asm, "\(s.source) \(s.hex)")
            asmChecked += 1
            if let type = s.type {
                let c = classifier.classify(bytes)
                #expect(c.kind.rawValue == type, "\(s.source) \(s.hex)")
                // Core's JSON has no address for bare keys since v22 (older Core listed the P2PKH one).
                if c.kind != .pubkey || s.address != nil {
                    #expect(c.address == s.address, "\(s.source) \(s.hex)")
                }
                classified += 1
                if let reqSigs = s.reqSigs, let addresses = s.addresses {
                    let legacy = classifier.legacyDestinations(bytes)
                    #expect(legacy == LegacyDestinations(requiredSignatures: reqSigs, addresses: addresses),
                            "\(s.source) \(s.hex)")
                }
            }
        }
        return (asmChecked, classified)
    }

    @Test func mainnetTransactionsFromCoreAndBitcoinEtl() throws {
        let scripts = try CoreJSONScripts.mainnet()
        let (asm, classified) = try ScriptAsmTests.check(scripts, network: .main)
        // The files hold 65 scripts, 17 of them outputs: guard against reading nothing.
        #expect(asm == 65)
        #expect(classified == 17)
        #expect(scripts.contains { $0.isScriptSig && $0.asm.contains("[ALL]") })
    }

    /// Every script of the bundled regtest chain (made by real Core wallets): asm, type and address.
    @Test func sampleChainScripts() throws {
        let scripts = try CoreJSONScripts.sampleChain()
        let (asm, classified) = try ScriptAsmTests.check(scripts, network: .regtest)
        #expect(asm > 5000)
        #expect(classified > 5000)
        let kinds = Set(scripts.compactMap(\.type))
        #expect(kinds.isSuperset(of: ["witness_v0_keyhash", "scripthash", "pubkeyhash", "witness_v1_taproot", "nulldata"]))
    }

    @Test(arguments: try DecodeScriptRow.load())
    func decodescriptAsm(row: DecodeScriptRow) throws {
        #expect(ScriptAsm.string(try hex(row.scriptHex)) == row.asm)
    }

    /// bitcoin-etl's `script_asm` for outputs (inputs need the transactions, covered by the RPC files above).
    @Test(arguments: try EtlOutput.load())
    func bitcoinEtlOutputAsm(output: EtlOutput) throws {
        #expect(ScriptAsm.string(try hex(output.scriptHex)) == output.scriptAsm)
    }

    // MARK: - Core's rules, case by case (core_write.cpp ScriptToAsmStr, script.cpp GetOpName)

    static let sig = "3044022057292e2d4dfe775becdd0a9e6547997c728cdf35390f6a017da56d654d374e4902206b643be2fc53763b4e284845bfea2c597d2dc7759941dce937636c9d341b71ed"

    static let cases: [(String, Bool, String)] = [
        ("", false, ""),
        ("00", false, "0"),
        ("4f", false, "-1"),
        ("51", false, "1"),
        ("60", false, "16"),
        ("0180", false, "0"),          // negative zero
        ("0181", false, "-1"),
        ("03ffff7f", false, "8388607"),
        ("04ffffffff", false, "-2147483647"),
        ("4c0100", false, "0"),        // PUSHDATA1 of one zero byte: still a number
        ("4c", false, "[error]"),
        ("0102", false, "2"),
        ("0201", false, "[error]"),
        ("61b0b1b2b3b9ba", false, "OP_NOP OP_NOP1 OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY OP_NOP4 OP_NOP10 OP_CHECKSIGADD"),
        ("bbfeff", false, "OP_UNKNOWN OP_UNKNOWN OP_INVALIDOPCODE"),
        ("50898a", false, "OP_RESERVED OP_RESERVED1 OP_RESERVED2"),
        ("47" + sig + "01", true, sig + "[ALL]"),
        ("47" + sig + "81", true, sig + "[ALL|ANYONECANPAY]"),
        ("47" + sig + "82", true, sig + "[NONE|ANYONECANPAY]"),
        ("47" + sig + "03", true, sig + "[SINGLE]"),
        ("47" + sig + "04", true, sig + "04"),            // undefined hash type: plain hex
        ("47" + sig + "01", false, sig + "01"),           // not asked to decode
        ("6a47" + sig + "01", true, "OP_RETURN " + sig + "01"), // OP_RETURN scripts are never decoded
    ]

    @Test(arguments: cases)
    func coreRule(scriptHex: String, decodeSighash: Bool, expected: String) throws {
        #expect(ScriptAsm.string(try hex(scriptHex), attemptSighashDecode: decodeSighash) == expected)
    }

    @Test func everyOpcodeHasCoresName() {
        #expect(ScriptAsm.opcodeName(0x6a) == "OP_RETURN")
        #expect(ScriptAsm.opcodeName(0x7d) == "OP_TUCK")
        #expect(ScriptAsm.opcodeName(0x82) == "OP_SIZE")
        #expect(ScriptAsm.opcodeName(0xa5) == "OP_WITHIN")
        #expect(ScriptAsm.opcodeName(0xa9) == "OP_HASH160")
        #expect(ScriptAsm.opcodeName(0xaf) == "OP_CHECKMULTISIGVERIFY")
        let names = (0x61...0xba).map { ScriptAsm.opcodeName(UInt8($0)) }
        #expect(Set(names).count == names.count)
        #expect(!names.contains("OP_UNKNOWN"))
    }
}
