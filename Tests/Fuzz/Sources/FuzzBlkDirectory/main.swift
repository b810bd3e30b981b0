import BitcoinPrimitives
import ChainSources
import Foundation
import FuzzSupport

/// A Bitcoin Core blocks directory: first byte bit 0 says whether the next 8 bytes are an `xor.dat` key; the
/// rest is `blk00000.dat`, and after a marker `blk00001.dat`. The reader indexes, assembles the chain
/// (pieces, forks, proof of work) and decodes every block; each fault must be a `SourceError`.
@_cdecl("FuzzBlkDirectory_main")
public func FuzzBlkDirectoryMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzBlkDirectory)
}

public func fuzzBlkDirectory(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    guard let flags = input.first else { return 0 }
    var rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    let dir = FuzzScratch.emptyFolder("blocks")
    if flags & 1 != 0, rest.count >= 8 {
        FuzzScratch.write(rest.prefix(8), to: "xor.dat", in: dir)
        rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(8))
    }
    let (first, second) = rest.splitAtMarker()
    FuzzScratch.write(first, to: "blk00000.dat", in: dir)
    if !second.isEmpty { FuzzScratch.write(second, to: "blk00001.dat", in: dir) }
    do {
        let source = try BlockDirectorySource(directory: dir, network: nil, parallelIndexing: false)
        var blocks = 0
        while let item = try source.next() {
            if case .block = item { blocks += 1 }
        }
        fuzzCheck(blocks <= source.blockCount, "never more blocks than were indexed")
    } catch is SourceError {
    } catch {
        fuzzCheck(false, "a fault that is not a SourceError: \(error)")
    }
    return 0
}
