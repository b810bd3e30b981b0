import BitcoinAddresses
import BitcoinPrimitives
import FuzzSupport

/// Block decoding and every check made on a block: consensus faults (proof of work, coinbase, duplicates,
/// merkle root), the witness commitment, BIP34 height, sizes. Properties: a decoded block re-serializes to its
/// bytes, and the zero-copy scan sees the same transactions.
@_cdecl("FuzzBlock_main")
public func FuzzBlockMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzBlock)
}

public func fuzzBlock(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let raw = input
    let bytes = Array(raw)
    guard let block = try? Block(bytes: bytes) else { return 0 }
    fuzzCheck(block.serialized() == bytes, "a decoded block re-serializes to its bytes")
    fuzzCheck(block.size == bytes.count && block.weight >= block.size, "sizes")
    _ = block.consensusFault(powLimit: Network.main.powLimit)
    _ = block.consensusFault(powLimit: nil)
    _ = block.witnessCommitmentValid
    _ = block.bip34Height
    struct Count: TransactionVisitor {
        var txids: [Txid] = []
        mutating func transaction(_ tx: ScannedTransaction) { txids.append(tx.txid) }
    }
    var visitor = Count()
    var reader = ByteReader(raw)
    let scanned = try? BlockScanner.scanBlock(&reader, visitor: &visitor)
    fuzzCheck(scanned?.transactionCount == block.transactions.count, "the scan counts the same transactions")
    fuzzCheck(visitor.txids == block.transactions.map(\.txid), "the scan hashes the same txids")
    return 0
}
