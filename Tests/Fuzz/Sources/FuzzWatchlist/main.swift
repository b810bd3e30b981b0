import BitcoinAddresses
import CaseStore
import Foundation
import FuzzSupport
import Investigation

/// Watchlists as JSON and as CSV, and the address check every watchlist and tag goes through.
@_cdecl("FuzzWatchlist_main")
public func FuzzWatchlistMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzWatchlist)
}

public func fuzzWatchlist(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let bytes = input
    var tags: [CaseStore.Tag] = []
    if let json = try? TagParser.parseWatchlistJSON(data: Data(bytes), file: "w.json") { tags += json }
    if let csv = try? TagParser.parseWatchlistCSV(text: String(decoding: bytes, as: UTF8.self), file: "w.csv") { tags += csv }
    for network in [Network.main, .regtest] {
        let (valid, invalid) = TagAddressCheck.split(tags, network: network)
        fuzzCheck(valid.count + invalid.count == tags.count, "every tag is judged")
    }
    _ = tags.map { VisibleText.shown($0.label) }
    return 0
}
