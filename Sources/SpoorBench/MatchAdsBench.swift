import BitcoinPrimitives
import Foundation
import Tracing

/// `spoor-bench match-ads [--payments P] N...`: process CPU time (the matcher is single-threaded) of `AdMatching.match` when N ads of one price
/// and one `posted_at` (a scrape that lost its times) compete for P payments in their window — the shape that
/// made the old matcher cubic. Prints one line per N: ads × candidates (the input's size), CPU seconds, and
/// nanoseconds per candidate edge; `match-ads.sh` prints SciPy's `linear_sum_assignment` on the same
/// N × P problem beside it.
enum MatchAdsBench {
    static func main(_ arguments: [String]) {
        var payments = 6
        var sizes: [Int] = []
        var i = 1
        while i < arguments.count {
            if arguments[i] == "--payments", i + 1 < arguments.count { payments = Int(arguments[i + 1]) ?? payments; i += 2; continue }
            if let n = Int(arguments[i]) { sizes.append(n) }
            i += 1
        }
        if sizes.isEmpty { sizes = [250, 500, 1000, 2000, 4000, 8000] }
        print("ads payments edges cpu_s ns_per_edge")
        for n in sizes {
            let t: Int64 = 1_500_000_000
            let ads = (0 ..< n).map { Ad(id: "ad\($0)", postedAt: t, price: .btc(Amount(satoshis: 40_000)), contact: "555-01\($0 % 50)") }
            let pays = (0 ..< payments).map {
                SitePayment(output: $0, tx: $0, vout: 0, value: 40_000, outputValue: 40_000, receiverContribution: 0,
                            time: t - 600 + Int64($0), height: 1, address: $0, payerCluster: $0 % 3, inputClusters: [$0 % 3])
            }
            let start = IngestBench.cpuSeconds()
            let result = AdMatching.match(ads: ads, payments: pays, rates: RateTable())
            let cpu = IngestBench.cpuSeconds() - start
            let edges = result.reduce(0) { $0 + $1.candidates.count }
            print("\(n) \(payments) \(edges) \(String(format: "%.4f", cpu)) \(Int(cpu * 1e9 / Double(edges)))")
        }
    }
}
