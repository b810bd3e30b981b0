import BitcoinPrimitives

/// What an output script is and which address (if any) it pays.
public struct ScriptClassification: Sendable, Hashable {
    public var kind: ScriptKind
    /// The address string for this network; nil for nulldata, bare multisig and nonstandard scripts.
    /// A `pubkey` output gets the P2PKH address of its key, as bitcoin-etl does (Core itself gives P2PK
    /// outputs no address since v22; older Core listed that P2PKH address under `addresses`).
    public var address: String?

    public init(kind: ScriptKind, address: String?) {
        self.kind = kind
        self.address = address
    }
}

/// Core's pre-v22 `reqSigs` and `addresses` of an output (see `ScriptClassifier.legacyDestinations`).
public struct LegacyDestinations: Sendable, Hashable {
    public var requiredSignatures: Int
    public var addresses: [String]

    public init(requiredSignatures: Int, addresses: [String]) {
        self.requiredSignatures = requiredSignatures
        self.addresses = addresses
    }
}

/// Classifies output scripts with Bitcoin Core's `Solver` rules (script/solver.cpp) and derives their address.
///
/// Order and rules follow Core: P2SH first, then witness programs (v0 keyhash/scripthash, v1 taproot, the
/// pay-to-anchor `OP_1 <4e73>`, other versions as `witness_unknown`; a v0 program of another length is
/// `nonstandard`), then `OP_RETURN` followed only by pushes (`nulldata`), P2PK (a 33- or 65-byte key whose
/// first byte fits its length), P2PKH, and bare multisig (`OP_m <keys> OP_n OP_CHECKMULTISIG`, Core's
/// `MatchMultisig`). Addresses: P2PKH/P2SH/P2PK by Base58Check, witness programs by Bech32 (v0) or Bech32m
/// (v1+, anchors and unknown versions included, as Core encodes them).
///
/// Works on borrowed bytes (`classify(_: UnsafeRawBufferPointer)`) so a zero-copy parser need not build
/// an array; the only allocation is the address string.
///
/// Rules are those of current Core (28+); where older Core (whose JSON bitcoin-etl recorded) differed:
/// `OP_1 <4e73>` was `witness_unknown` before the `anchor` type; multisig counts 17–20 pushed as numbers
/// (not `OP_n`) were nonstandard; witness v1+ addresses were Bech32 before BIP350 (Core 22).
/// Measured (release, one core, `spoor-bench addresses`): ~0.12 µs per P2WPKH output, ~0.15 µs per
/// P2WSH/P2TR, ~0.4 µs per P2PKH/P2SH (two thirds of it swift-crypto's SHA-256d for the checksum), ~0.65 µs
/// per P2PK (one more SHA-256 and a RIPEMD-160).
public struct ScriptClassifier: Sendable {
    public let network: Network

    public init(network: Network) { self.network = network }

    public func classify(_ script: [UInt8]) -> ScriptClassification {
        script.withUnsafeBytes { classify($0) }
    }

    /// Kind and address of the script in `script`.
    public func classify(_ script: UnsafeRawBufferPointer) -> ScriptClassification {
        let template = ScriptTemplate.match(script)
        return ScriptClassification(kind: template.kind, address: address(of: template, in: script))
    }

    /// The kind only, without building the address.
    public static func kind(of script: UnsafeRawBufferPointer) -> ScriptKind {
        ScriptTemplate.match(script).kind
    }

    public static func kind(of script: [UInt8]) -> ScriptKind {
        script.withUnsafeBytes { kind(of: $0) }
    }

    /// What Bitcoin Core before v22 listed as `reqSigs` and `addresses` (`ExtractDestinations`), which is what
    /// bitcoin-etl exports as `required_signatures` and `addresses`: a bare multisig gives m and the P2PKH
    /// address of every key; every other kind with an address gives 1 and that address (a bare key its P2PKH
    /// address); nulldata and nonstandard give nil. Witness versions 1+ are written in Bech32m, where Core
    /// before v22 wrote Bech32.
    public func legacyDestinations(_ script: UnsafeRawBufferPointer) -> LegacyDestinations? {
        let template = ScriptTemplate.match(script)
        if template.kind == .multisig {
            var keys: [Range<Int>] = []
            guard let required = ScriptOps.multisig(script, key: { keys.append($0) }) else { return nil }
            let addresses = keys.map { range in
                Hash160.hash(UnsafeRawBufferPointer(rebasing: script[range])).withUnsafeBytes {
                    Base58Check.encode(version: network.pubkeyHashVersion, hash20: $0)
                }
            }
            return LegacyDestinations(requiredSignatures: required, addresses: addresses)
        }
        guard let address = address(of: template, in: script) else { return nil }
        return LegacyDestinations(requiredSignatures: 1, addresses: [address])
    }

    public func legacyDestinations(_ script: [UInt8]) -> LegacyDestinations? {
        script.withUnsafeBytes { legacyDestinations($0) }
    }

    /// The address a matched template pays on this network, if it has one.
    func address(of template: ScriptTemplate, in script: UnsafeRawBufferPointer) -> String? {
        let payload = UnsafeRawBufferPointer(rebasing: script[template.payload])
        switch template.kind {
        case .pubkeyhash:
            return Base58Check.encode(version: network.pubkeyHashVersion, hash20: payload)
        case .scripthash:
            return Base58Check.encode(version: network.scriptHashVersion, hash20: payload)
        case .pubkey:
            return Hash160.hash(payload).withUnsafeBytes {
                Base58Check.encode(version: network.pubkeyHashVersion, hash20: $0)
            }
        case .witnessV0KeyHash, .witnessV0ScriptHash, .witnessV1Taproot, .witnessUnknown, .anchor:
            return SegwitAddress.encode(hrp: network.bech32HRP, version: template.witnessVersion, program: payload)
        case .multisig, .nulldata, .nonstandard:
            return nil
        }
    }
}

/// A script matched against Core's templates: its kind and where the interesting bytes are (the hash, key or
/// witness program).
struct ScriptTemplate {
    var kind: ScriptKind
    var payload: Range<Int> = 0..<0
    var witnessVersion: UInt8 = 0

    static let nonstandard = ScriptTemplate(kind: .nonstandard)

    static func match(_ s: UnsafeRawBufferPointer) -> ScriptTemplate {
        let n = s.count
        // P2SH: OP_HASH160 <20> OP_EQUAL
        if n == 23 && s[0] == Opcode.hash160 && s[1] == 20 && s[22] == Opcode.equal {
            return ScriptTemplate(kind: .scripthash, payload: 2..<22)
        }
        // Witness program: OP_0 / OP_1...OP_16 followed by one direct push of 2...40 bytes filling the script.
        if n >= 4 && n <= 42 && (s[0] == 0 || (s[0] >= Opcode.op1 && s[0] <= Opcode.op16)) && Int(s[1]) + 2 == n {
            let version: UInt8 = s[0] == 0 ? 0 : s[0] - (Opcode.op1 - 1)
            let programLength = n - 2
            if version == 0 && programLength == 20 {
                return ScriptTemplate(kind: .witnessV0KeyHash, payload: 2..<n, witnessVersion: 0)
            }
            if version == 0 && programLength == 32 {
                return ScriptTemplate(kind: .witnessV0ScriptHash, payload: 2..<n, witnessVersion: 0)
            }
            if version == 1 && programLength == 32 {
                return ScriptTemplate(kind: .witnessV1Taproot, payload: 2..<n, witnessVersion: 1)
            }
            if version == 1 && programLength == 2 && s[2] == 0x4e && s[3] == 0x73 {
                return ScriptTemplate(kind: .anchor, payload: 2..<n, witnessVersion: 1)
            }
            if version != 0 {
                return ScriptTemplate(kind: .witnessUnknown, payload: 2..<n, witnessVersion: version)
            }
            return .nonstandard
        }
        // Data carrier: OP_RETURN then nothing but pushes (opcodes up to OP_16), none truncated.
        if n >= 1 && s[0] == Opcode.return {
            return ScriptOps.isPushOnly(s, from: 1) ? ScriptTemplate(kind: .nulldata) : .nonstandard
        }
        // P2PK: <33-byte key> OP_CHECKSIG or <65-byte key> OP_CHECKSIG, key header fitting its length.
        if n == 35 && s[0] == 33 && s[34] == Opcode.checksig && (s[1] == 2 || s[1] == 3) {
            return ScriptTemplate(kind: .pubkey, payload: 1..<34)
        }
        if n == 67 && s[0] == 65 && s[66] == Opcode.checksig && (s[1] == 4 || s[1] == 6 || s[1] == 7) {
            return ScriptTemplate(kind: .pubkey, payload: 1..<66)
        }
        // P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
        if n == 25 && s[0] == Opcode.dup && s[1] == Opcode.hash160 && s[2] == 20 && s[23] == Opcode.equalverify
            && s[24] == Opcode.checksig {
            return ScriptTemplate(kind: .pubkeyhash, payload: 3..<23)
        }
        if n >= 1 && s[n - 1] == Opcode.checkmultisig && ScriptOps.matchesMultisig(s) {
            return ScriptTemplate(kind: .multisig)
        }
        return .nonstandard
    }
}

/// The opcode byte values the classifier and disassembler need.
enum Opcode {
    static let pushdata1: UInt8 = 0x4c
    static let pushdata2: UInt8 = 0x4d
    static let pushdata4: UInt8 = 0x4e
    static let op1negate: UInt8 = 0x4f
    static let op1: UInt8 = 0x51
    static let op16: UInt8 = 0x60
    static let `return`: UInt8 = 0x6a
    static let dup: UInt8 = 0x76
    static let equal: UInt8 = 0x87
    static let equalverify: UInt8 = 0x88
    static let hash160: UInt8 = 0xa9
    static let checksig: UInt8 = 0xac
    static let checkmultisig: UInt8 = 0xae
}

/// Walking a script op by op, as Core's `GetScriptOp` does.
enum ScriptOps {
    /// One operation: the opcode and, for pushes, where the pushed bytes are.
    struct Op {
        var opcode: UInt8
        var data: Range<Int>
    }

    /// Reads the op at `pc` and advances it; nil when the script ends or a push runs past the end (Core's
    /// `GetOp` failure).
    @inline(__always)
    static func next(_ s: UnsafeRawBufferPointer, _ pc: inout Int) -> Op? {
        guard pc < s.count else { return nil }
        let opcode = s[pc]
        pc += 1
        guard opcode <= Opcode.pushdata4 else { return Op(opcode: opcode, data: pc..<pc) }
        var size: Int
        switch opcode {
        case Opcode.pushdata1:
            guard s.count - pc >= 1 else { return nil }
            size = Int(s[pc]); pc += 1
        case Opcode.pushdata2:
            guard s.count - pc >= 2 else { return nil }
            size = Int(s[pc]) | Int(s[pc + 1]) << 8; pc += 2
        case Opcode.pushdata4:
            guard s.count - pc >= 4 else { return nil }
            size = Int(s[pc]) | Int(s[pc + 1]) << 8 | Int(s[pc + 2]) << 16 | Int(s[pc + 3]) << 24; pc += 4
        default:
            size = Int(opcode)
        }
        guard s.count - pc >= size else { return nil }
        let data = pc..<(pc + size)
        pc += size
        return Op(opcode: opcode, data: data)
    }

    /// Core's `IsPushOnly(pc)`: every op from `start` is a push or OP_1NEGATE/OP_RESERVED/OP_1...OP_16.
    static func isPushOnly(_ s: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var pc = start
        while pc < s.count {
            guard let op = next(s, &pc), op.opcode <= Opcode.op16 else { return false }
        }
        return true
    }

    /// Core's `CPubKey::ValidSize`: 33 bytes starting 02/03 or 65 bytes starting 04/06/07.
    static func isValidPubkeySize(_ s: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard let first = r.first.map({ s[$0] }) else { return false }
        switch first {
        case 2, 3: return r.count == 33
        case 4, 6, 7: return r.count == 65
        default: return false
        }
    }

    /// Core's `GetScriptNumber` for multisig counts: OP_1...OP_16, or a minimal push of a minimally encoded
    /// number of at most four bytes; nil outside `min...max`.
    static func scriptNumber(_ s: UnsafeRawBufferPointer, _ op: Op, min: Int, max: Int) -> Int? {
        var count: Int
        if op.opcode >= Opcode.op1 && op.opcode <= Opcode.op16 {
            count = Int(op.opcode - (Opcode.op1 - 1))
        } else if op.opcode > 0 && op.opcode <= Opcode.pushdata4 {
            guard isMinimalPush(s, op), op.data.count <= 4 else { return nil }
            guard let value = minimalScriptNum(s, op.data) else { return nil }
            count = value
        } else {
            return nil
        }
        return (min...max).contains(count) ? count : nil
    }

    /// Core's `CheckMinimalPush`.
    static func isMinimalPush(_ s: UnsafeRawBufferPointer, _ op: Op) -> Bool {
        let size = op.data.count
        if size == 0 { return op.opcode == 0 }
        if size == 1 && s[op.data.lowerBound] >= 1 && s[op.data.lowerBound] <= 16 { return false }
        if size == 1 && s[op.data.lowerBound] == 0x81 { return false }
        if size <= 75 { return Int(op.opcode) == size }
        if size <= 255 { return op.opcode == Opcode.pushdata1 }
        if size <= 65535 { return op.opcode == Opcode.pushdata2 }
        return true
    }

    /// `CScriptNum(data, fRequireMinimal: true)`: little-endian sign-magnitude, no superfluous top byte.
    static func minimalScriptNum(_ s: UnsafeRawBufferPointer, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty else { return 0 }
        let last = s[r.upperBound - 1]
        if last & 0x7f == 0 {
            if r.count <= 1 || s[r.upperBound - 2] & 0x80 == 0 { return nil }
        }
        var value = 0
        for (i, index) in r.enumerated() { value |= Int(s[index]) << (8 * i) }
        if last & 0x80 != 0 {
            return -(value & ~(0x80 << (8 * (r.count - 1))))
        }
        return value
    }

    /// Core's `MatchMultisig`: `<m> <key>... <n> OP_CHECKMULTISIG` with n keys, 1 <= m <= n <= 20.
    static func matchesMultisig(_ s: UnsafeRawBufferPointer) -> Bool {
        multisig(s) { _ in } != nil
    }

    /// Core's `MatchMultisig`, calling `key` with each key's range; returns m, or nil when the script is no
    /// multisig (after some `key` calls, which the caller must then discard).
    @inline(__always)
    static func multisig(_ s: UnsafeRawBufferPointer, key: (Range<Int>) -> Void) -> Int? {
        guard s.count >= 1, s[s.count - 1] == Opcode.checkmultisig else { return nil }
        var pc = 0
        guard let first = next(s, &pc), let required = scriptNumber(s, first, min: 1, max: 20) else { return nil }
        var keys = 0
        var op: Op?
        while true {
            op = next(s, &pc)
            guard let current = op, isValidPubkeySize(s, current.data) else { break }
            key(current.data)
            keys += 1
        }
        guard let last = op, let total = scriptNumber(s, last, min: required, max: 20) else { return nil }
        return keys == total && pc + 1 == s.count ? required : nil
    }
}
