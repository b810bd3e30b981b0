import BitcoinPrimitives
import Foundation
import FuzzSupport
import Investigation
import Tracing

/// Scraped ads and day rates (CSV), then ad matching on what parses: the input is `ads.csv`, then after a
/// marker `rates.csv`. Payments are made up from the ads themselves (their prices, near their times), so
/// matching sees every number the files can carry. Faults must be `InputError`s; matching must not trap.
@_cdecl("FuzzAdsCSV_main")
public func FuzzAdsCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzAdsCSV)
}

public func fuzzAdsCSV(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let (adsBytes, ratesBytes) = input.splitAtMarker()
    let ads = (try? CaseInputs.parseAds(text: String(decoding: adsBytes, as: UTF8.self), file: "ads.csv")) ?? []
    let rates = (try? CaseInputs.parseRates(text: String(decoding: ratesBytes, as: UTF8.self), file: "rates.csv")) ?? RateTable()
    guard !ads.isEmpty, ads.count <= 64 else { return 0 }
    var payments: [SitePayment] = []
    for (i, ad) in ads.enumerated() {
        let value = AdMatching.expectedSatoshis(ad, rates: rates) ?? 1000
        let time = ad.postedAt &- Int64(i % 5) * 1800
        payments.append(SitePayment(output: i, tx: i / 2, vout: i % 2, value: value, outputValue: value,
                                    receiverContribution: 0, time: time, height: 1, address: i, payerCluster: i % 3,
                                    inputClusters: [i % 3]))
    }
    let matches = AdMatching.match(ads: ads, payments: payments, rates: rates)
    fuzzCheck(matches.count == ads.count, "one verdict per ad")
    let paid = matches.compactMap(\.payment)
    fuzzCheck(paid.allSatisfy { $0 >= 0 && $0 < payments.count }, "payments are payments")
    return 0
}
