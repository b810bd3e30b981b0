import BitcoinAddresses
import BitcoinPrimitives
import FuzzSupport

/// Transaction decoding (`Transaction(bytes:)`, the scanner underneath) and output-script classification.
/// Properties: whatever decodes re-serializes to exactly the same bytes, with or without witness copies the
/// ids agree, and every output script classifies without trapping.
@_cdecl("FuzzTransaction_main")
public func FuzzTransactionMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzTransaction)
}

public func fuzzTransaction(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let bytes = Array(input)
    guard let tx = try? Transaction(bytes: bytes) else { return 0 }
    fuzzCheck(tx.serialized() == bytes, "a decoded transaction re-serializes to its bytes")
    fuzzCheck(tx.size == bytes.count, "size is the byte count")
    let light = try? Transaction(bytes: bytes, keepWitness: false)
    fuzzCheck(light?.txid == tx.txid && light?.wtxid == tx.wtxid, "ids do not depend on keeping witnesses")
    let rebuilt = Transaction(version: tx.version, inputs: tx.inputs, outputs: tx.outputs, lockTime: tx.lockTime)
    fuzzCheck(rebuilt.txid == tx.txid, "the txid from parts equals the txid from bytes")
    let classifier = ScriptClassifier(network: .main)
    for o in tx.outputs {
        let c = classifier.classify(o.scriptPubKey)
        if let a = c.address, let decoded = try? Address(a, network: .main) {
            fuzzCheck(decoded.scriptPubKey == o.scriptPubKey || c.kind == .pubkey, "an address rebuilds its script")
        }
    }
    return 0
}
