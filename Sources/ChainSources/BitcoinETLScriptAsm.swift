import BitcoinPrimitives

/// Bitcoin Core's `ScriptToAsmStr`: the `asm` text of `decodescript`, `getblock` and bitcoin-etl's
/// `script_asm`. Pushes of up to 4 bytes print as script numbers, longer pushes as hex; with
/// `decodeSighash` (scriptSigs) a push that is a strictly DER-encoded signature with a defined hash type
/// prints as `<hex>[ALL]` and friends, unless the script is unspendable (`OP_RETURN…`, over 10,000 bytes). A
/// push running past the end prints `[error]` and ends the text, as in Core.
///
/// (A minimal copy kept next to the bitcoin-etl writer, which needs Core's exact text.)
enum ScriptAsm {
    static func disassemble(_ script: [UInt8], decodeSighash: Bool) -> String {
        var parts: [String] = []
        var i = 0
        let unspendable = (script.first == 0x6a) || script.count > 10_000
        while i < script.count {
            let op = script[i]
            i += 1
            if op <= 0x4e {
                var length = Int(op)
                var width = 0
                if op == 0x4c { width = 1 } else if op == 0x4d { width = 2 } else if op == 0x4e { width = 4 }
                if width > 0 {
                    guard i + width <= script.count else { parts.append("[error]"); break }
                    length = 0
                    for k in 0..<width { length |= Int(script[i + k]) << (8 * k) }
                    i += width
                }
                guard length <= script.count - i else { parts.append("[error]"); break }
                let push = Array(script[i..<(i + length)])
                i += length
                if push.count <= 4 {
                    parts.append(String(scriptNumber(push)))
                } else if decodeSighash, !unspendable, let name = sighashName(ofSignature: push) {
                    parts.append(Hex.encode(push.dropLast()) + "[\(name)]")
                } else {
                    parts.append(Hex.encode(push))
                }
            } else {
                parts.append(opcodeName(op))
            }
        }
        return parts.joined(separator: " ")
    }

    /// `CScriptNum(bytes, false).getint()`: little-endian sign-magnitude.
    static func scriptNumber(_ bytes: [UInt8]) -> Int64 {
        guard let last = bytes.last else { return 0 }
        var value: Int64 = 0
        for (k, b) in bytes.enumerated() { value |= Int64(b) << (8 * k) }
        if last & 0x80 != 0 {
            value &= ~(Int64(0x80) << (8 * (bytes.count - 1)))
            return -value
        }
        return value
    }

    /// The sighash name Core prints after a signature that passes `CheckSignatureEncoding` with STRICTENC.
    static func sighashName(ofSignature sig: [UInt8]) -> String? {
        guard isStrictDER(sig), let type = sig.last else { return nil }
        switch type {
        case 0x01: return "ALL"
        case 0x02: return "NONE"
        case 0x03: return "SINGLE"
        case 0x81: return "ALL|ANYONECANPAY"
        case 0x82: return "NONE|ANYONECANPAY"
        case 0x83: return "SINGLE|ANYONECANPAY"
        default: return nil
        }
    }

    /// BIP66's `IsValidSignatureEncoding` (the signature still carries its hash-type byte).
    static func isStrictDER(_ sig: [UInt8]) -> Bool {
        let n = sig.count
        guard n >= 9, n <= 73, sig[0] == 0x30, Int(sig[1]) == n - 3 else { return false }
        let lenR = Int(sig[3])
        guard 5 + lenR < n else { return false }
        let lenS = Int(sig[5 + lenR])
        guard lenR + lenS + 7 == n, sig[2] == 0x02, lenR != 0, sig[4] & 0x80 == 0 else { return false }
        if lenR > 1, sig[4] == 0x00, sig[5] & 0x80 == 0 { return false }
        guard sig[lenR + 4] == 0x02, lenS != 0, sig[lenR + 6] & 0x80 == 0 else { return false }
        if lenS > 1, sig[lenR + 6] == 0x00, sig[lenR + 7] & 0x80 == 0 { return false }
        return true
    }

    static func opcodeName(_ op: UInt8) -> String {
        switch op {
        case 0x4f: return "-1"
        case 0x51...0x60: return String(Int(op) - 0x50)
        case 0xb3...0xb9: return "OP_NOP\(Int(op) - 0xb3 + 4)"
        default: return names[op] ?? "OP_UNKNOWN"
        }
    }

    static let names: [UInt8: String] = [
        0x50: "OP_RESERVED", 0x61: "OP_NOP", 0x62: "OP_VER", 0x63: "OP_IF", 0x64: "OP_NOTIF", 0x65: "OP_VERIF",
        0x66: "OP_VERNOTIF", 0x67: "OP_ELSE", 0x68: "OP_ENDIF", 0x69: "OP_VERIFY", 0x6a: "OP_RETURN",
        0x6b: "OP_TOALTSTACK", 0x6c: "OP_FROMALTSTACK", 0x6d: "OP_2DROP", 0x6e: "OP_2DUP", 0x6f: "OP_3DUP",
        0x70: "OP_2OVER", 0x71: "OP_2ROT", 0x72: "OP_2SWAP", 0x73: "OP_IFDUP", 0x74: "OP_DEPTH", 0x75: "OP_DROP",
        0x76: "OP_DUP", 0x77: "OP_NIP", 0x78: "OP_OVER", 0x79: "OP_PICK", 0x7a: "OP_ROLL", 0x7b: "OP_ROT",
        0x7c: "OP_SWAP", 0x7d: "OP_TUCK", 0x7e: "OP_CAT", 0x7f: "OP_SUBSTR", 0x80: "OP_LEFT", 0x81: "OP_RIGHT",
        0x82: "OP_SIZE", 0x83: "OP_INVERT", 0x84: "OP_AND", 0x85: "OP_OR", 0x86: "OP_XOR", 0x87: "OP_EQUAL",
        0x88: "OP_EQUALVERIFY", 0x89: "OP_RESERVED1", 0x8a: "OP_RESERVED2", 0x8b: "OP_1ADD", 0x8c: "OP_1SUB",
        0x8d: "OP_2MUL", 0x8e: "OP_2DIV", 0x8f: "OP_NEGATE", 0x90: "OP_ABS", 0x91: "OP_NOT",
        0x92: "OP_0NOTEQUAL", 0x93: "OP_ADD", 0x94: "OP_SUB", 0x95: "OP_MUL", 0x96: "OP_DIV", 0x97: "OP_MOD",
        0x98: "OP_LSHIFT", 0x99: "OP_RSHIFT", 0x9a: "OP_BOOLAND", 0x9b: "OP_BOOLOR", 0x9c: "OP_NUMEQUAL",
        0x9d: "OP_NUMEQUALVERIFY", 0x9e: "OP_NUMNOTEQUAL", 0x9f: "OP_LESSTHAN", 0xa0: "OP_GREATERTHAN",
        0xa1: "OP_LESSTHANOREQUAL", 0xa2: "OP_GREATERTHANOREQUAL", 0xa3: "OP_MIN", 0xa4: "OP_MAX",
        0xa5: "OP_WITHIN", 0xa6: "OP_RIPEMD160", 0xa7: "OP_SHA1", 0xa8: "OP_SHA256", 0xa9: "OP_HASH160",
        0xaa: "OP_HASH256", 0xab: "OP_CODESEPARATOR", 0xac: "OP_CHECKSIG", 0xad: "OP_CHECKSIGVERIFY",
        0xae: "OP_CHECKMULTISIG", 0xaf: "OP_CHECKMULTISIGVERIFY", 0xb0: "OP_NOP1",
        0xb1: "OP_CHECKLOCKTIMEVERIFY", 0xb2: "OP_CHECKSEQUENCEVERIFY", 0xba: "OP_CHECKSIGADD",
        0xff: "OP_INVALIDOPCODE",
    ]
}
