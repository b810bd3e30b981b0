import BitcoinAddresses
import ChainIndex
import Clustering
import Foundation
import Testing

/// `link.deposit-address` on hand-built chains: who gets linked, and every case it must stay out of.
@Suite struct DepositLinkTests {
    // Addresses: exchange S deposit addresses 1, 2, 3 (swept together into 9); a second service T with deposit
    // addresses 21, 22, 23 (swept into 29); customers' coins 100/101 (one customer, two unlinked pieces),
    // 110/111 and 120/121 likewise; a personal wallet's reused address 50, paid by 130 and 131 (strangers);
    // 140 pays a batch that includes deposit address 1.
    let chain: [ClusterTransaction] = [
        tx(1, inputs: [(100, 5000)], outputs: [(1, 1000), (200, 3900)]),          // customer piece A → deposit 1
        tx(2, inputs: [(101, 5000)], outputs: [(1, 2000)]),                         // piece B → deposit 1: links 100–101
        tx(3, inputs: [(110, 5000)], outputs: [(2, 1000), (210, 3900)]),
        tx(4, inputs: [(111, 5000)], outputs: [(2, 1500), (211, 3400)]),           // links 110–111
        tx(5, inputs: [(120, 5000)], outputs: [(3, 1000)]),
        tx(6, inputs: [(121, 5000)], outputs: [(3, 1000)]),                         // links 120–121
        tx(7, inputs: [(130, 5000)], outputs: [(50, 1000), (230, 3900)]),          // strangers paying a person's
        tx(8, inputs: [(131, 5000)], outputs: [(50, 1000), (231, 3900)]),          // reused address: no link
        tx(9, inputs: [(140, 9000)], outputs: [(1, 1000), (240, 3000), (241, 4900)]),  // batch payout: no link
        tx(10, inputs: [(1, 4000), (2, 2500), (3, 2000)], outputs: [(9, 8400)]),  // S sweeps its deposits
        tx(11, inputs: [(300, 5000)], outputs: [(21, 1000)]),
        tx(12, inputs: [(301, 5000)], outputs: [(21, 1000)]),
        tx(13, inputs: [(302, 5000)], outputs: [(22, 1000)]),
        tx(14, inputs: [(303, 5000)], outputs: [(22, 1000)]),
        tx(15, inputs: [(304, 5000)], outputs: [(23, 1000)]),
        tx(16, inputs: [(305, 5000)], outputs: [(23, 1000)]),
        tx(17, inputs: [(21, 2000), (22, 2000), (23, 2000)], outputs: [(29, 5900)]),  // T sweeps
        tx(18, inputs: [(21, 900)], outputs: [(1, 800)]),                            // service T pays deposit 1: no link
    ]

    func profile(minServiceAddresses: Int?) -> HeuristicProfile {
        HeuristicProfile(id: "test", links: [LinkRule(HeuristicRegistry.depositAddress,
                                                      parameters: minServiceAddresses.map { ["min_service_addresses": $0] } ?? [:])])
    }

    @Test func payersOfOneDepositAddressAreLinked() {
        var c = Clusterer(profile: profile(minServiceAddresses: 3))
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[100] == ids[101])
        #expect(ids[110] == ids[111])
        #expect(ids[120] == ids[121])
        #expect(c.statistics.depositServices == 2, "S and T")
        // T is a service too: its payers 300–301, 302–303, 304–305 are linked pairwise.
        #expect(ids[300] == ids[301] && ids[302] == ids[303] && ids[304] == ids[305])
        #expect(ids[300] != ids[302])
        #expect(c.statistics.merges[HeuristicRegistry.depositAddress] == 6)
        // The evidence names the later payment and both payers.
        let deposit = c.merges.records.filter { $0.heuristicIDs == [HeuristicRegistry.depositAddress] }
        #expect(Set(deposit.map(\.tx)) == [TxID(2), TxID(4), TxID(6), TxID(12), TxID(14), TxID(16)])
        #expect(deposit.contains { $0.a == addr(100) && $0.b == addr(101) })
    }

    @Test func staysOutOfPersonalReuseBatchesAndServicePayers() {
        var c = Clusterer(profile: profile(minServiceAddresses: 3))
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[130] != ids[131], "a person's reused address is paid by strangers")
        #expect(ids[140] != ids[100], "a batch payout says nothing about who the deposit belongs to")
        #expect(ids[21] != ids[100], "a service paying a deposit address pays on someone's behalf")
        #expect(ids[1] != ids[100], "the deposit address stays the exchange's")
    }

    @Test func belowTheThresholdThereIsNoService() {
        var c = Clusterer(profile: profile(minServiceAddresses: 4))
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[100] != ids[101])
        #expect(c.statistics.depositServices == 0)
        #expect(c.statistics.merges[HeuristicRegistry.depositAddress] == nil)
        // Without the link in the profile nothing changes either.
        var plain = Clusterer(profile: .builtInDefault)
        plain.process(ChainIndex(chain))
        #expect(plain.clusterIDs() == ids)
    }

    @Test func defaultThresholdNeedsTenDepositAddresses() {
        var c = Clusterer(profile: profile(minServiceAddresses: nil))
        c.process(ChainIndex(chain))
        #expect(c.statistics.depositServices == 0)
        #expect(Clusterer.defaultMinServiceAddresses == 10)
    }

    @Test func excludedTransactionsNeitherPayNorCount() {
        // A CoinJoin-shaped transaction paying deposit 1 from 400 and 401: excluded, so no link to 100.
        let cj = tx(19, inputs: [(400, 15_000_000), (401, 12_000_000), (402, 20_000_000)],
                    outputs: [(1, 10_000_000), (411, 10_000_000), (412, 10_000_000), (414, 4_990_000), (415, 1_990_000)])
        var c = Clusterer(profile: profile(minServiceAddresses: 3))
        c.process(ChainIndex(chain + [cj]))
        let ids = c.clusterIDs()
        #expect(c.flagged.count == 1)
        #expect(ids[400] != ids[100] && ids[400] != ids[401])
    }

    @Test func entityTagsRefuseADepositLinkAndSayWhy() {
        var c = Clusterer(profile: profile(minServiceAddresses: 3), entityTags: [addr(100): "alice", addr(101): "bob"])
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[100] != ids[101])
        #expect(ids[110] == ids[111], "untagged customers are still linked")
        let refused = c.stops.records.filter { $0.heuristicIDs.contains(HeuristicRegistry.depositAddress) }
        #expect(refused.count == 1)
        #expect(refused.first?.heuristicIDs.contains(HeuristicRegistry.entityGuard) == true)
        #expect(refused.first?.tx == TxID(2))
        #expect(c.statistics.guardRefusals[HeuristicRegistry.entityGuard] == 1)
    }

    @Test func profilesNameTheLinkAndCheckItsParameters() throws {
        func load(_ s: String) throws(ProfileError) -> HeuristicProfile {
            try HeuristicProfile.load(Array(s.utf8), file: "p.json")
        }
        let base = #""id": "p", "version": 1, "cospend": ["cospend.multi-input"], "exclude": []"#
        let p = try load("{\(base), \"link\": [{\"use\": \"link.deposit-address\", \"parameters\": {\"min_service_addresses\": 5}}]}")
        #expect(p.links == [LinkRule("link.deposit-address", parameters: ["min_service_addresses": 5])])
        #expect(try load("{\(base)}").links.isEmpty)
        #expect(throws: ProfileError.self) { try load("{\(base), \"link\": [{\"use\": \"link.nope\"}]}") }
        do {
            _ = try load("{\(base), \"link\": [{\"use\": \"link.deposit-address\", \"parameters\": {\"min_service_addresses\": 1}}]}")
            Issue.record("accepted a threshold of 1")
        } catch {
            #expect(error.path == "link[0].parameters.min_service_addresses")
        }
        do {
            _ = try load("{\(base), \"link\": [{\"use\": \"link.deposit-address\"}, {\"use\": \"link.deposit-address\"}]}")
            Issue.record("accepted a link listed twice")
        } catch {
            #expect(error.path == "link[1]")
        }
        let roundTrip = try JSONDecoder().decode(LinkRule.self, from: try JSONEncoder().encode(p.links[0]))
        #expect(roundTrip == p.links[0])
    }
}
