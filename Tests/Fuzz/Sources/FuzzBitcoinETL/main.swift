import ChainSources
import Foundation
import FuzzSupport

/// A bitcoin-etl export: the input is `blocks.json`, then after a marker `transactions.json` (JSON lines).
/// Every row is rebuilt into blocks and transactions and checked; each fault must be a `SourceError`.
@_cdecl("FuzzBitcoinETL_main")
public func FuzzBitcoinETLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzBitcoinETL)
}

public func fuzzBitcoinETL(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let (blocks, transactions) = input.splitAtMarker()
    let dir = FuzzScratch.emptyFolder("etl")
    FuzzScratch.write(blocks, to: "blocks.json", in: dir)
    FuzzScratch.write(transactions, to: "transactions.json", in: dir)
    fuzzReadToEnd { try BitcoinETLSource(directory: dir, network: nil) }
    return 0
}
