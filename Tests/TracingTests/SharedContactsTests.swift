import Testing
import Tracing

/// Contacts under several payer clusters: one advertiser split over clusters, or advertisers linked by a phone.
@Suite struct SharedContactsTests {
    @Test func aContactThatIsEveryClustersMainContactIsPlausiblyOneAdvertiser() {
        // One advertiser paying from fresh addresses: three clusters, each listing only its phone.
        let f = SharedContacts.find(contactCounts: [1: ["555-0101": 3], 2: ["555-0101": 1], 3: ["555-0101": 2]])
        #expect(f.count == 1)
        #expect(f[0].kind == .plausiblyOneAdvertiser && f[0].clusters == [1, 2, 3] && f[0].mainContactOf == [1, 2, 3])
        #expect(f[0].borrowers.isEmpty)
    }

    @Test func aClusterListingAnotherAdvertisersPhoneLinksThem() {
        // Cluster 2's ads mostly list 0202; one lists 0101, the only contact of cluster 1.
        let f = SharedContacts.find(contactCounts: [1: ["555-0101": 5], 2: ["555-0202": 4, "555-0101": 1], 3: ["555-0202": 2]])
        let byContact = Dictionary(uniqueKeysWithValues: f.map { ($0.contact, $0) })
        let link = byContact["555-0101"]
        #expect(link?.kind == .betweenAdvertisers && link?.clusters == [1, 2] && link?.mainContactOf == [1])
        #expect(link?.borrowers == [SharedContacts.Borrower(cluster: 2, mainContacts: ["555-0202"], adsWithContact: 1, ads: 5)])
        // 0202 is the main contact of both clusters listing it: the advertiser's own phone, split over 2 and 3.
        #expect(byContact["555-0202"]?.kind == .plausiblyOneAdvertiser && byContact["555-0202"]?.clusters == [2, 3])
    }

    @Test func tiesCountAsMainContactsAndUnsharedContactsAreNotReported() {
        // Cluster 1 lists two phones equally: both are its main contacts.
        let f = SharedContacts.find(contactCounts: [1: ["A": 2, "B": 2], 2: ["A": 3], 4: ["C": 1], 5: ["": 3], 6: ["": 1]])
        #expect(f.map(\.contact) == ["A"])
        #expect(f[0].kind == .plausiblyOneAdvertiser && f[0].mainContactOf == [1, 2])
        #expect(SharedContacts.mainContacts(["A": 2, "B": 2, "C": 1]) == ["A", "B"])
    }
}
