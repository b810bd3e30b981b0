import BitcoinPrimitives

/// Script disassembly exactly as Bitcoin Core's `ScriptToAsmStr` (core_write.cpp) writes the `asm` fields of
/// its JSON, which bitcoin-etl copies into `script_asm`.
///
/// - Pushes of up to 4 bytes print as the signed number they encode (`CScriptNum`, non-minimal allowed, so
///   `02eeee` is `-28398`); longer pushes as lower-case hex.
/// - `OP_0` prints `0`, `OP_1NEGATE` `-1`, `OP_1`…`OP_16` `1`…`16`; other opcodes by Core's names
///   (`OP_CHECKSIGADD` for 0xba, `OP_UNKNOWN` for undefined bytes, `OP_INVALIDOPCODE` for 0xff).
/// - A push that runs past the end prints `[error]` and ends the text.
/// - With `attemptSighashDecode` (Core does this for scriptSigs only), a push that is a strict-DER signature
///   with a defined sighash type prints without its last byte, followed by `[ALL]`, `[NONE]`, `[SINGLE]` or
///   those with `|ANYONECANPAY`; never for scripts starting with OP_RETURN or longer than 10,000 bytes.
///
/// Names are current Core's: Core before tapscript support printed 0xba as `OP_UNKNOWN` where this
/// prints `OP_CHECKSIGADD`; nothing else differs from the asm in bitcoin-etl's exports.
public enum ScriptAsm {
    /// Core's `ScriptToAsmStr(script, fAttemptSighashDecode)`.
    public static func string(_ script: UnsafeRawBufferPointer, attemptSighashDecode: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(script.count * 2 + 16)
        append(script, attemptSighashDecode: attemptSighashDecode, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func string(_ script: [UInt8], attemptSighashDecode: Bool = false) -> String {
        script.withUnsafeBytes { string($0, attemptSighashDecode: attemptSighashDecode) }
    }

    /// The same text appended to a UTF-8 buffer (printable ASCII only).
    public static func append(_ script: UnsafeRawBufferPointer, attemptSighashDecode: Bool = false,
                              to out: inout [UInt8]) {
        let start = out.count
        let unspendable = (script.count > 0 && script[0] == Opcode.return) || script.count > 10_000
        var pc = 0
        while pc < script.count {
            if out.count > start { out.append(UInt8(ascii: " ")) }
            guard let op = ScriptOps.next(script, &pc) else {
                out.append(contentsOf: "[error]".utf8)
                break
            }
            if op.opcode <= Opcode.pushdata4 {
                let data = UnsafeRawBufferPointer(rebasing: script[op.data])
                if data.count <= 4 {
                    out.append(contentsOf: String(scriptNumber(data)).utf8)
                } else if attemptSighashDecode && !unspendable, let name = sighashName(ofSignature: data) {
                    Hex.append(UnsafeRawBufferPointer(rebasing: data[0..<(data.count - 1)]), to: &out)
                    out.append(UInt8(ascii: "["))
                    out.append(contentsOf: name.utf8)
                    out.append(UInt8(ascii: "]"))
                } else {
                    Hex.append(data, to: &out)
                }
            } else {
                out.append(contentsOf: opcodeName(op.opcode).utf8)
            }
        }
    }

    /// `CScriptNum(vch, fRequireMinimal: false).getint()` for up to four bytes: little-endian sign-magnitude.
    static func scriptNumber(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let last = bytes.last else { return 0 }
        var value = 0
        for (i, b) in bytes.enumerated() { value |= Int(b) << (8 * i) }
        if last & 0x80 != 0 { return -(value & ~(0x80 << (8 * (bytes.count - 1)))) }
        return value
    }

    /// The sighash name Core prints after a signature, when `sig` passes `CheckSignatureEncoding` with
    /// STRICTENC (BIP66 DER plus a defined hash type).
    static func sighashName(ofSignature sig: UnsafeRawBufferPointer) -> String? {
        guard isValidSignatureEncoding(sig), let type = sig.last else { return nil }
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

    /// Core's `IsValidSignatureEncoding` (BIP66): strict DER plus one hash-type byte.
    static func isValidSignatureEncoding(_ sig: UnsafeRawBufferPointer) -> Bool {
        let size = sig.count
        guard size >= 9, size <= 73, sig[0] == 0x30, Int(sig[1]) == size - 3 else { return false }
        let lenR = Int(sig[3])
        guard 5 + lenR < size else { return false }
        let lenS = Int(sig[5 + lenR])
        guard lenR + lenS + 7 == size else { return false }
        guard sig[2] == 0x02, lenR != 0, sig[4] & 0x80 == 0 else { return false }
        if lenR > 1 && sig[4] == 0 && sig[5] & 0x80 == 0 { return false }
        guard sig[lenR + 4] == 0x02, lenS != 0, sig[lenR + 6] & 0x80 == 0 else { return false }
        if lenS > 1 && sig[lenR + 6] == 0 && sig[lenR + 7] & 0x80 == 0 { return false }
        return true
    }

    /// Core's `GetOpName` for every opcode that is not a push.
    public static func opcodeName(_ opcode: UInt8) -> String {
        switch opcode {
        case 0x00: return "0"
        case 0x4c: return "OP_PUSHDATA1"
        case 0x4d: return "OP_PUSHDATA2"
        case 0x4e: return "OP_PUSHDATA4"
        case 0x4f: return "-1"
        case 0x50: return "OP_RESERVED"
        case 0x51...0x60: return String(opcode - 0x50)
        case 0x61...0xba: return namesFrom0x61[Int(opcode - 0x61)]
        case 0xff: return "OP_INVALIDOPCODE"
        default: return "OP_UNKNOWN"
        }
    }

    static let namesFrom0x61: [String] = [
        "OP_NOP", "OP_VER", "OP_IF", "OP_NOTIF", "OP_VERIF", "OP_VERNOTIF", "OP_ELSE", "OP_ENDIF", "OP_VERIFY",
        "OP_RETURN", // 0x6a
        "OP_TOALTSTACK", "OP_FROMALTSTACK", "OP_2DROP", "OP_2DUP", "OP_3DUP", "OP_2OVER", "OP_2ROT", "OP_2SWAP",
        "OP_IFDUP", "OP_DEPTH", "OP_DROP", "OP_DUP", "OP_NIP", "OP_OVER", "OP_PICK", "OP_ROLL", "OP_ROT",
        "OP_SWAP", "OP_TUCK", // 0x7d
        "OP_CAT", "OP_SUBSTR", "OP_LEFT", "OP_RIGHT", "OP_SIZE", // 0x82
        "OP_INVERT", "OP_AND", "OP_OR", "OP_XOR", "OP_EQUAL", "OP_EQUALVERIFY", "OP_RESERVED1", "OP_RESERVED2",
        "OP_1ADD", "OP_1SUB", "OP_2MUL", "OP_2DIV", "OP_NEGATE", "OP_ABS", "OP_NOT", "OP_0NOTEQUAL", "OP_ADD",
        "OP_SUB", "OP_MUL", "OP_DIV", "OP_MOD", "OP_LSHIFT", "OP_RSHIFT", "OP_BOOLAND", "OP_BOOLOR",
        "OP_NUMEQUAL", "OP_NUMEQUALVERIFY", "OP_NUMNOTEQUAL", "OP_LESSTHAN", "OP_GREATERTHAN",
        "OP_LESSTHANOREQUAL", "OP_GREATERTHANOREQUAL", "OP_MIN", "OP_MAX", "OP_WITHIN", // 0xa5
        "OP_RIPEMD160", "OP_SHA1", "OP_SHA256", "OP_HASH160", "OP_HASH256", "OP_CODESEPARATOR", "OP_CHECKSIG",
        "OP_CHECKSIGVERIFY", "OP_CHECKMULTISIG", "OP_CHECKMULTISIGVERIFY", // 0xaf
        "OP_NOP1", "OP_CHECKLOCKTIMEVERIFY", "OP_CHECKSEQUENCEVERIFY", "OP_NOP4", "OP_NOP5", "OP_NOP6",
        "OP_NOP7", "OP_NOP8", "OP_NOP9", "OP_NOP10", // 0xb9
        "OP_CHECKSIGADD", // 0xba
    ]
}
