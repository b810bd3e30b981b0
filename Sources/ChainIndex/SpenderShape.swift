/// How the transaction that later spends an output looks: enough for the change heuristics that compare
/// a spender's habits with the payer's (`change.fingerprint`, `change.peel-chain`), and whether it spent
/// the output in the same block (`change.same-block-spend`).
public struct SpenderShape: Hashable, Sendable {
    public var version: Int32
    public var lockTimeIsSet: Bool
    public var signalsRBF: Bool
    public var inputCount: Int
    public var outputCount: Int
    /// The spender is in the same block as the output's transaction, or both are unconfirmed (loose): it
    /// was made while the output was still unconfirmed. A fact about the pair, not about the spender alone.
    public var inSameBlock: Bool

    public init(version: Int32, lockTimeIsSet: Bool, signalsRBF: Bool, inputCount: Int, outputCount: Int,
                inSameBlock: Bool = false) {
        self.version = version
        self.lockTimeIsSet = lockTimeIsSet
        self.signalsRBF = signalsRBF
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.inSameBlock = inSameBlock
    }

    /// The 64-bit form stored in `ChainIndex.outputSpender` (0 = unknown / unspent): bit 0 set (spent), bit 1
    /// locktime, bit 2 RBF, bit 3 same block, bits 8–15 version, 16–31 inputs, 32–47 outputs. Counts saturate at
    /// 65 535, versions outside 0…254 read back as 255 (no wallet habit is lost: real versions are 1, 2 or 3).
    public var packedValue: UInt64 {
        let v = UInt64(version >= 0 && version < 255 ? UInt8(version) : 255)
        return 1 | (lockTimeIsSet ? 2 : 0) | (signalsRBF ? 4 : 0) | (inSameBlock ? 8 : 0) | (v << 8)
            | (UInt64(min(inputCount, 0xFFFF)) << 16) | (UInt64(min(outputCount, 0xFFFF)) << 32)
    }

    /// The inverse of `packedValue` (nil for 0: unspent or unknown).
    public init?(packed p: UInt64) {
        guard p & 1 == 1 else { return nil }
        let v = (p >> 8) & 0xFF
        version = Int32(v)  // Cast ok: masked to 8 bits.
        lockTimeIsSet = p & 2 != 0
        signalsRBF = p & 4 != 0
        inSameBlock = p & 8 != 0
        inputCount = Int((p >> 16) & 0xFFFF)
        outputCount = Int((p >> 32) & 0xFFFF)
    }
}
