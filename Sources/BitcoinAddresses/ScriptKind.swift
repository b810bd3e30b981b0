/// The kind of an output script, named as Bitcoin Core's `scriptPubKey.type` names it.
public enum ScriptKind: String, Sendable, CaseIterable, Codable, Hashable {
    case pubkey
    case pubkeyhash
    case scripthash
    case multisig
    case nulldata
    case witnessV0KeyHash = "witness_v0_keyhash"
    case witnessV0ScriptHash = "witness_v0_scripthash"
    case witnessV1Taproot = "witness_v1_taproot"
    case witnessUnknown = "witness_unknown"
    /// Pay-to-anchor (`OP_1 <0x4e73>`, Core 28+).
    case anchor
    case nonstandard

    /// A small stable code for storage (never renumber: databases hold these).
    public var code: UInt8 {
        switch self {
        case .nonstandard: return 0
        case .pubkey: return 1
        case .pubkeyhash: return 2
        case .scripthash: return 3
        case .multisig: return 4
        case .nulldata: return 5
        case .witnessV0KeyHash: return 6
        case .witnessV0ScriptHash: return 7
        case .witnessV1Taproot: return 8
        case .witnessUnknown: return 9
        case .anchor: return 10
        }
    }

    public init?(code: UInt8) {
        guard let k = ScriptKind.allCases.first(where: { $0.code == code }) else { return nil }
        self = k
    }
}
