import ChainIndex
import Testing
import Tracing

/// Which payer and funding clusters are services (choices C4 and C4c in Heuristics/README.md), on a hand-built
/// exchange: customers paying their deposit addresses, a sweep, and two batch withdrawals, the second paid from
/// the first one's change (a one-address cluster no customer ever paid) and paying the site.
@Suite struct ServiceClustersTests {
    static let deposits = [10, 11, 12], hot = 13, firstChange = 14, site = 500
    static let plainUser = 302, coinjoiners = [300, 301, 303, 304, 305]

    static func exchange() -> (ChainIndex, ClusterAssignment) {
        var c = MiniChain()
        let w = MiniChain.p2wpkh
        let coinbase = c.tx([], [(200, 100_000_000, w), (201, 100_000_000, w)])
        var depositPayments: [(Int, Int)] = []
        // Two customers each pay each deposit address once (change back to themselves).
        for (k, customer) in [200, 201].enumerated() {
            var previous = (coinbase, k), balance: Int64 = 100_000_000
            for d in deposits {
                balance -= 1_100_000
                let t = c.tx([previous], [(d, 1_000_000, w), (customer, balance, w)])
                depositPayments.append((t, 0))
                previous = (t, 1)
            }
        }
        let sweep = c.tx(depositPayments, [(hot, 5_900_000, w)])
        let batch1 = c.tx([(sweep, 0)], (0 ..< 9).map { (300 + $0, 100_000, w) } + [(firstChange, 4_900_000, w)])
        c.tx([(batch1, 9)], (0 ..< 8).map { (310 + $0, 100_000, w) } + [(site, 100_000, w), (15, 3_900_000, w)])
        // A user pays four people from a withdrawal; five withdrawals meet in a ten-output CoinJoin.
        c.tx([(batch1, 2)], (0 ..< 4).map { (400 + $0, 20_000, w) })
        c.tx([(batch1, 0), (batch1, 1), (batch1, 3), (batch1, 4), (batch1, 5)], (0 ..< 10).map { (410 + $0, 45_000, w) })
        var clusterOf = Array(0 ... 600)
        for a in deposits + [hot] { clusterOf[a] = 10 }   // the sweep's common input
        return (c.graph(), ClusterAssignment(clusterOf: clusterOf))
    }

    @Test func depositAddressesPaidByOutsidersMakeAService() {
        let (g, clusters) = Self.exchange()
        let candidates = [10, Self.firstChange, Self.plainUser] + Self.coinjoiners
        #expect(ServiceClusters.reusedReceivingAddresses(of: 10, graph: g, clusters: clusters, minimum: 10) == 3)
        #expect(ServiceClusters.services(among: candidates, graph: g, clusters: clusters, minimum: 3) == [10])
        #expect(ServiceClusters.services(among: candidates, graph: g, clusters: clusters, minimum: 4).isEmpty)
    }

    /// The withdrawal that pays the site comes from the first batch's change: a service by the batch chain. A
    /// user paying a small batch from a withdrawal is one only when `batch` is that small; CoinJoin participants
    /// never are, at any size (several payers: the C4b version marked them).
    @Test func batchChainsWithOnePayerMakeAService() {
        let (g, clusters) = Self.exchange()
        let candidates = Set([Self.firstChange, Self.plainUser] + Self.coinjoiners)
        func marked(_ batch: Int) -> Set<Int> {
            var missing = Set<Int>()
            let found = ServiceClusters.batchChainServices(among: candidates, graph: g, clusters: clusters,
                                                           depositServices: [10], batch: batch, missing: &missing)
            #expect(missing.isEmpty)
            return found
        }
        #expect(marked(10) == [Self.firstChange])
        #expect(marked(4) == [Self.firstChange, Self.plainUser])
        #expect(marked(3) == [Self.firstChange, Self.plainUser])
        #expect(marked(11).isEmpty)
        #expect(marked(Int.max).isEmpty)
    }
}
