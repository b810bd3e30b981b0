import ChainSources
import Foundation
import FuzzSupport

/// One file given to `spoor ingest`: format detection (raw block or transaction, binary or hex text, gzip,
/// JSON lines), then the detected reader to the end. Each fault must be a `SourceError`.
@_cdecl("FuzzRawFile_main")
public func FuzzRawFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzRawFile)
}

public func fuzzRawFile(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let file = FuzzScratch.write(input, to: "input.raw")
    fuzzReadToEnd { try SourceDetection.open(file.path) }
    return 0
}
