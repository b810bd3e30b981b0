import BitcoinAddresses
import ChainIndex
import Clustering
import Testing

/// `guard.roles` on hand-built chains: the site (invoice addresses 500, 501; cold store 600) and an advertiser
/// (100–105) whose PayJoins the site takes part in.
@Suite struct RoleGuardTests {
    static let site: Set<UInt32> = [500, 501, 600]

    func profile(roles: Bool, change: Bool = false) -> HeuristicProfile {
        HeuristicProfile(id: "test", change: change ? ChangeRule.unique(.use("change.optimal")) : nil, guards: .init(roles: roles))
    }

    func cluster(_ chain: [ClusterTransaction], roles: Bool, change: Bool = false) -> Clusterer {
        let index = ChainIndex(chain)
        var c = Clusterer(profile: profile(roles: roles, change: change), roles: ObservedRoles.observe(index, site: Self.site))
        c.process(index)
        return c
    }

    /// The advertiser consolidates 100 + 101 into 102, then pays invoice 500 in a PayJoin in which the site adds
    /// its cold coin 600 (larger than the payment: no amount marks it as the receiver's).
    static let coldPayjoin: [ClusterTransaction] = [
        tx(0, inputs: [(nil, 0)], outputs: [(100, 5000), (101, 5000), (600, 20_000)], coinbase: true),
        tx(1, inputs: [(100, 5000), (101, 5000)], outputs: [(102, 9900)]),
        tx(2, inputs: [(102, 9900), (600, 20_000)], outputs: [(500, 24_000), (103, 5800)]),
    ]

    @Test func aPayJoinSpendingTheSiteColdCoinDoesNotJoinThePayerAndIsExplained() {
        var open = cluster(Self.coldPayjoin, roles: false)
        var ids = open.clusterIDs()
        #expect(ids[102] == ids[600], "without the guard common-input clustering joins the payer and the site")

        var c = cluster(Self.coldPayjoin, roles: true)
        ids = c.clusterIDs()
        #expect(ids[102] != ids[600])
        #expect(ids[100] == ids[101], "the payer's own consolidation is still merged")
        #expect(c.statistics.guardRefusals[HeuristicRegistry.roleGuard] == 1)
        let graph = EvidenceGraph(merges: c.merges.records, stops: c.stops.records)
        guard case let .notLinked(stoppedBy) = graph.explain(addr(102), addr(600), clusterOf: { ClusterID(ids[Int($0.raw)]) }) else {
            Issue.record("explained as linked"); return
        }
        #expect(stoppedBy.count == 1 && stoppedBy.first?.tx == TxID(2))
        #expect(stoppedBy.first?.heuristicIDs == [HeuristicRegistry.multiInput, HeuristicRegistry.roleGuard])
    }

    /// Advertiser B (200) pays invoice 501; later advertiser A pays invoice 500 in a PayJoin in which the site
    /// spends that hot invoice coin 501 first, before A's two coins 102 and 104.
    static let hotPayjoin: [ClusterTransaction] = [
        tx(0, inputs: [(nil, 0)], outputs: [(102, 5000), (104, 5000), (200, 9000)], coinbase: true),
        tx(1, inputs: [(200, 9000)], outputs: [(501, 3000), (201, 5900)]),
        tx(2, inputs: [(501, 3000), (102, 5000), (104, 5000)], outputs: [(500, 7000), (103, 5900)]),
    ]

    @Test func aPayJoinSpendingAHotInvoiceCoinKeepsEachPartyWhole() {
        var open = cluster(Self.hotPayjoin, roles: false)
        let joined = open.clusterIDs()
        #expect(joined[102] == joined[501], "without the guard: one cluster")
        var c = cluster(Self.hotPayjoin, roles: true)
        let ids = c.clusterIDs()
        #expect(ids[102] != ids[501] && ids[104] != ids[501])
        #expect(ids[102] == ids[104], "the payer's two inputs still join each other")
        #expect(c.statistics.guardRefusals[HeuristicRegistry.roleGuard] == 2)
    }

    /// A change pick is refused too: the site's PayJoin output 500 is the one output below every input, which
    /// `change.optimal` takes for the payer's change.
    @Test func aChangePickIntoTheSiteIsRefused() {
        let chain: [ClusterTransaction] = [
            tx(0, inputs: [(nil, 0)], outputs: [(100, 5000), (101, 5000)], coinbase: true),
            tx(1, inputs: [(100, 5000), (101, 5000)], outputs: [(500, 1000), (105, 8900)]),
        ]
        var open = cluster(chain, roles: false, change: true)
        #expect(open.clusterIDs()[500] == 100, "without the guard: a guess joins")
        var c = cluster(chain, roles: true, change: true)
        let ids = c.clusterIDs()
        #expect(ids[500] != ids[100] && ids[100] == ids[101])
        #expect(c.stops.records.last?.heuristicIDs == [HeuristicRegistry.optimalChange, HeuristicRegistry.roleGuard])
    }

    /// A custodial payment: the exchange pays invoice 500 on a customer's behalf from its hot coins 10 and 11, in
    /// a withdrawal that also pays another customer (20). The invoice is the one output below every input, so
    /// `change.optimal` takes it for the exchange's change; joined, every later deposit the exchange sweeps would
    /// be the site's. The exchange is a payer (it pays a site address), so the guess is refused; the exchange's
    /// own inputs still join, and the customer it paid is no payer.
    @Test func aChangePickOnACustodialPaymentDoesNotJoinTheExchangeToTheSite() {
        let chain: [ClusterTransaction] = [
            tx(0, inputs: [(nil, 0)], outputs: [(10, 60_000), (11, 50_000)], coinbase: true),
            tx(1, inputs: [(10, 60_000), (11, 50_000)], outputs: [(500, 30_000), (20, 79_900)]),
        ]
        var open = cluster(chain, roles: false, change: true)
        let joined = open.clusterIDs()
        #expect(joined[500] == joined[10], "without the guard the invoice is the exchange's change")
        var c = cluster(chain, roles: true, change: true)
        let ids = c.clusterIDs()
        #expect(ids[500] != ids[10] && ids[500] != ids[11])
        #expect(ids[10] == ids[11], "the exchange's co-spend is not a role conflict")
        #expect(c.statistics.guardRefusals[HeuristicRegistry.roleGuard] == 1)
        #expect(c.stops.records.last?.tx == TxID(1))
        #expect(c.stops.records.last?.heuristicIDs == [HeuristicRegistry.optimalChange, HeuristicRegistry.roleGuard])
        let roles = ObservedRoles.observe(ChainIndex(chain), site: Self.site).byAddress
        #expect(roles[10] == ObservedRoles.payer && roles[11] == ObservedRoles.payer && roles[20] == nil)
    }

    /// Payers are whoever pays a site address without being the site; the site's own spends mark nobody.
    @Test func rolesAreObservedFromWhatPaysTheSite() {
        let index = ChainIndex(Self.coldPayjoin + [tx(3, inputs: [(500, 24_000)], outputs: [(600, 23_900)])])
        let roles = ObservedRoles.observe(index, site: Self.site).byAddress
        #expect(roles[102] == ObservedRoles.payer)
        #expect(roles[600] == ObservedRoles.site && roles[500] == ObservedRoles.site)
        #expect(roles[100] == nil && roles[103] == nil, "neither paid the site")
        #expect(ObservedRoles.observe(index, site: []).isEmpty)
    }

    @Test func profilesTurnTheGuardOnByName() throws {
        let base = #""id": "p", "version": 1, "cospend": ["cospend.multi-input"], "exclude": []"#
        let on = try HeuristicProfile.load(Array("{\(base), \"guards\": {\"roles\": true}}".utf8), file: "p.json")
        #expect(on.guards.roles)
        #expect(try !HeuristicProfile.load(Array("{\(base)}".utf8), file: "p.json").guards.roles)
        #expect(throws: ProfileError.self) {
            try HeuristicProfile.load(Array("{\(base), \"guards\": {\"roles\": 1}}".utf8), file: "p.json")
        }
    }
}
