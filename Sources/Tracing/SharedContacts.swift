/// Contacts (phone numbers) listed by the matched ads of more than one payer cluster, and what that says.
///
/// Two situations give the same raw signal, "one contact under several payer clusters":
/// - one advertiser whose payments fall into several clusters (fresh addresses never spent together, so
///   common-input clustering cannot join them): every one of those clusters lists the advertiser's phone, and
///   mostly that phone;
/// - two advertisers linked by a phone: an ad of one lists the other's phone. The borrowing advertiser's
///   clusters list that phone in a minority of their ads, their main contact being their own.
///
/// So each payer cluster's *main contacts* are the contacts listed in most of its matched ads (all of them on
/// a tie). A shared contact is `betweenAdvertisers` when some cluster lists it without it being one of its
/// main contacts (a cluster that otherwise uses a different contact), and `plausiblyOneAdvertiser` when it is
/// a main contact of every cluster that lists it: nothing in the ads separates those clusters, and one
/// advertiser split over several clusters is the simpler explanation (two advertisers sharing one phone in
/// all their ads would look the same). The evidence is the ads alone; it does not read the chain.
public enum SharedContacts {
    public enum Kind: String, Sendable, Codable {
        case betweenAdvertisers = "between-advertisers"
        case plausiblyOneAdvertiser = "plausibly-one-advertiser"
    }

    /// A cluster that lists the contact without it being one of its main contacts.
    public struct Borrower: Sendable, Hashable {
        public var cluster: Int
        public var mainContacts: [String]
        /// Matched ads of this cluster listing the shared contact, and all its matched ads.
        public var adsWithContact: Int
        public var ads: Int

        public init(cluster: Int, mainContacts: [String], adsWithContact: Int, ads: Int) {
            self.cluster = cluster; self.mainContacts = mainContacts; self.adsWithContact = adsWithContact; self.ads = ads
        }
    }

    public struct Finding: Sendable, Hashable {
        public var contact: String
        public var clusters: [Int]
        public var kind: Kind
        /// Clusters whose main contact (or one of them, on a tie) this is.
        public var mainContactOf: [Int]
        public var borrowers: [Borrower]
    }

    /// The main contacts of a cluster, from its matched ads' contacts with their counts.
    public static func mainContacts(_ counts: [String: Int]) -> [String] {
        guard let top = counts.values.max() else { return [] }
        return counts.filter { $0.value == top }.map(\.key).sorted()
    }

    /// `contactCounts[cluster][contact]` = matched ads of that payer cluster listing that contact.
    public static func find(contactCounts: [Int: [String: Int]]) -> [Finding] {
        var clustersOf: [String: [Int]] = [:]
        for (cluster, counts) in contactCounts {
            for (contact, n) in counts where n > 0 && !contact.isEmpty { clustersOf[contact, default: []].append(cluster) }
        }
        var findings: [Finding] = []
        for (contact, clusters) in clustersOf where clusters.count > 1 {
            var owners: [Int] = [], borrowers: [Borrower] = []
            for c in clusters.sorted() {
                let counts = contactCounts[c] ?? [:]
                let main = mainContacts(counts)
                if main.contains(contact) { owners.append(c) } else {
                    borrowers.append(Borrower(cluster: c, mainContacts: main, adsWithContact: counts[contact] ?? 0,
                                              ads: counts.values.reduce(0, +)))
                }
            }
            findings.append(Finding(contact: contact, clusters: clusters.sorted(),
                                    kind: borrowers.isEmpty ? .plausiblyOneAdvertiser : .betweenAdvertisers,
                                    mainContactOf: owners, borrowers: borrowers))
        }
        return findings.sorted { $0.contact < $1.contact }
    }
}
