import BitcoinAddresses

/// How `output.script` is stored, and the one way to read it back.
///
/// For the kinds whose script is a fixed template around the bytes an address encodes (P2PKH, P2SH, P2WPKH,
/// P2WSH, P2TR, other witness versions and pay-to-anchor), the script is a function of the output's
/// `scriptKind` and its address: the ingest stores an empty BLOB instead and `bytes(stored:kind:address:)`
/// rebuilds it by decoding the address. An output is elided only when that rebuild was checked, at write
/// time, to give exactly the original bytes (`elidable`); every other script (P2PK — whose address is its key's
/// hash, not the key —, bare multisig, OP_RETURN, nonstandard) keeps its bytes. Rows written before this rule
/// hold their scripts and read back unchanged.
///
/// An empty stored BLOB is unambiguous: a script that really is empty classifies as `nonstandard`, which is
/// never elided, so it reads back empty.
public enum OutputScript {
    /// Script kinds whose bytes are rebuilt from the address on read.
    public static func isRebuildable(_ kind: ScriptKind) -> Bool {
        switch kind {
        case .pubkeyhash, .scripthash, .witnessV0KeyHash, .witnessV0ScriptHash, .witnessV1Taproot,
             .witnessUnknown, .anchor:
            return true
        case .pubkey, .multisig, .nulldata, .nonstandard:
            return false
        }
    }

    /// The script an output of `kind` paying `address` has, if the kind is rebuildable and the address decodes
    /// to a script of that kind.
    public static func rebuild(kind: ScriptKind, address: String) -> [UInt8]? {
        guard isRebuildable(kind), let decoded = try? Address(address), decoded.kind == kind else { return nil }
        return decoded.scriptPubKey
    }

    /// Whether the ingest may store `script` as an empty BLOB: the rebuild from (`kind`, `address`) gives
    /// exactly these bytes. Called once per distinct script (the ingest caches the answer with the address).
    public static func elidable(_ script: [UInt8], kind: ScriptKind, address: String?) -> Bool {
        guard !script.isEmpty, let address, let rebuilt = rebuild(kind: kind, address: address) else { return false }
        return rebuilt == script
    }

    /// The script bytes of a stored output: the stored BLOB, or, when it is empty and the kind is rebuildable,
    /// the script rebuilt from the output's address. Every reader of `output.script` goes through here.
    public static func bytes(stored: [UInt8], kindCode: Int64, address: String?, outputId: Int64) throws -> [UInt8] {
        guard stored.isEmpty else { return stored }
        guard let kind = ScriptKind(code: UInt8(truncatingIfNeeded: kindCode)), kindCode >= 0, kindCode <= 255 else {
            throw StoreError.badData("output row \(outputId) has unknown script kind \(kindCode); the database is damaged",
                                     at: nil)
        }
        guard isRebuildable(kind) else { return stored }
        guard let address else {
            throw StoreError.badData("output row \(outputId) (\(kind.rawValue)) stores no script and no address; "
                                     + "the database is damaged", at: nil)
        }
        guard let script = rebuild(kind: kind, address: address) else {
            throw StoreError.badData("output row \(outputId) (\(kind.rawValue)) stores no script and its address "
                                     + "'\(address)' does not give a script of that kind; the database is damaged",
                                     at: nil)
        }
        return script
    }
}
