import BitcoinPrimitives

/// A fixed-size dictionary key for an output script, so the address cache needs no heap allocation per entry.
///
/// Scripts of up to 39 bytes (every standard single-key and segwit template) are stored whole; longer ones
/// (bare multisig, uncompressed P2PK, nonstandard) by their SHA-256. Equal keys therefore mean equal scripts.
struct ScriptKey: Hashable {
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64, w4: UInt64

    static let inlineLimit = 39

    init(_ script: [UInt8]) {
        if script.count <= Self.inlineLimit {
            var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (UInt64(script.count), 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { dst in
                script.withUnsafeBytes { src in
                    if let base = src.baseAddress, src.count > 0 {
                        dst.baseAddress!.advanced(by: 1).copyMemory(from: base, byteCount: src.count)
                    }
                }
            }
            (w0, w1, w2, w3, w4) = words
        } else {
            let d = Hashing.sha256(script)
            (w0, w1, w2, w3, w4) = (0xFF, d.w0, d.w1, d.w2, d.w3)
        }
    }
}
