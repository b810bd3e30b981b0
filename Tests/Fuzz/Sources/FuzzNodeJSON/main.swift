import ChainSources
import Foundation
import FuzzSupport

/// Node JSON (`getblock 2/3`, `getrawtransaction`, RPC envelopes, JSON lines or one document): every block and
/// transaction is rebuilt and checked against its stated ids; each fault must be a `SourceError`.
@_cdecl("FuzzNodeJSON_main")
public func FuzzNodeJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzNodeJSON)
}

public func fuzzNodeJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let file = FuzzScratch.write(input, to: "blocks.jsonl")
    fuzzReadToEnd { NodeJSONSource(files: [file.path], network: nil) }
    return 0
}
