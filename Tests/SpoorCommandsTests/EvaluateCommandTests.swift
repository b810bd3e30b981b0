import CaseStore
import Evaluation
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// Case databases of the bundled sample chains, ingested once per test process and clustered once per profile.
enum SampleCases {
    nonisolated(unsafe) static var cache: [String: String] = [:]
    static let lock = NSLock()
    static let folder = TestScratch.root.appendingPathComponent("sample-cases")

    /// The path of `chain` ingested and clustered with `profile` (nil: ingested only), with the case's watchlist
    /// unless `site` is false.
    static func database(_ chain: String, profile: String?, site: Bool = true) async throws -> String {
        let key = "\(chain).\(profile ?? "none")\(site ? "" : ".nosite")"
        if let path = lock.withLock({ cache[key] }) { return path }
        if !FileManager.default.fileExists(atPath: folder.path) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let base = folder.appendingPathComponent("\(chain).sqlite").path
        if !FileManager.default.fileExists(atPath: base) {
            try await runSpoor(["ingest", Fixtures.sampleChains.appendingPathComponent("\(chain)/blocks").path, "--db", base, "--quiet"])
        }
        let path = folder.appendingPathComponent("\(key).sqlite").path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: base, toPath: path)
        // With the case's watchlist, as investigate and Tests/Benchmarks/corpus.sh cluster (guard.roles reads it).
        let watchlist = Fixtures.sampleChains.appendingPathComponent("\(chain)/case/watchlist.json").path
        let siteArguments = site && FileManager.default.fileExists(atPath: watchlist) ? ["--watchlist", watchlist] : []
        if let profile { try await runSpoor(["cluster", "--db", path, "--profile", profile, "--json"] + siteArguments) }
        lock.withLock { cache[key] = path }
        return path
    }
}

/// `spoor evaluate`: the stored clustering and the report, scored against the bundled chains' truth.
@Suite(.serialized, .enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) struct EvaluateCommandTests {
    func score(_ chain: String, profile: String, site: Bool = true) async throws -> ChainEvaluation {
        let db = try await SampleCases.database(chain, profile: profile, site: site)
        let truth = try ChainTruth(path: Fixtures.sampleChains.appendingPathComponent(chain).path)
        return try CaseScorer(truth: truth, database: db, caseFolder: truth.folder.appendingPathComponent("case"), profileFile: nil).score()
    }

    /// The figures of the `change` profile on small-seed1 equal those an independent scorer (the Python script
    /// this command replaced, reading report.json and truth/) and the clustering benchmark printed for the same run.
    @Test func changeProfileOnSmallSeed1() async throws {
        let e = try await score("small-seed1", profile: "change")
        #expect(e.profile.id == "change")
        #expect(abs(e.clustering.precision - 0.99934) < 0.00001 && abs(e.clustering.recall - 0.6627) < 0.0001)
        #expect(e.clustering.largest == 139 && e.clustering.largestOwners == 1)
        let before = try #require(e.rerun?.clusteringBeforeLinks)
        #expect(abs(before.precision - 0.99842) < 0.00001 && abs(before.recall - 0.2759) < 0.0001)
        #expect(e.mergesPerHeuristic["link.deposit-address"] == ChainEvaluation.MergeCount(merges: 90, wrong: 0))
        #expect(e.site == ChainEvaluation.SiteScore(addresses: 99, siteUsedAddresses: 99, covered: 99, coverage: 1, foreign: 0))
        let ads = try #require(e.ads)
        #expect(ads.ads == 111 && ads.paid == 98)
        #expect((ads.rightTransaction, ads.rightOutput, ads.wrong, ads.ambiguous, ads.unmatched) == (96, 79, 0, 3, 12))
        let payers = try #require(e.payers)
        #expect(payers.ownWalletAdvertisers == 7 && payers.ownWalletFound == 7 && payers.custodialAds == 0)
        let contacts = try #require(e.sharedContacts)
        #expect((contacts.truthPairs, contacts.pairsFound, contacts.falseOneAdvertiser) == (2, 2, 0))
    }

    /// investigate's profile on the two bundled chains nobody tuned to: every figure of
    /// `Tests/Benchmarks/corpus-results.md` (2026-12-02) for them, pinned (counts exactly, shares to 1e-5).
    @Test(arguments: [
        ("small-seed4", 0.99763, 0.62803, 123, ChainEvaluation.SiteScore(addresses: 116, siteUsedAddresses: 118, covered: 116, coverage: 116.0 / 118, foreign: 0),
         [119, 117, 110, 79, 0, 4, 5], [6, 6, 7, 7, 3, 0], [2, 2, 0, 1]),
        ("small-seed5", 0.99874, 0.70381, 128, ChainEvaluation.SiteScore(addresses: 88, siteUsedAddresses: 88, covered: 88, coverage: 1, foreign: 0),
         [96, 87, 80, 66, 0, 10, 6], [9, 9, 2, 2, 0, 0], [2, 2, 1, 0]),
    ])
    func changeProfileOnChainsNobodyTunedTo(chain: String, precision: Double, recall: Double, largest: Int,
                                            site: ChainEvaluation.SiteScore, ads: [Int], payers: [Int], contacts: [Int]) async throws {
        let e = try await score(chain, profile: "change")
        #expect(abs(e.clustering.precision - precision) < 0.00001 && abs(e.clustering.recall - recall) < 0.00001)
        #expect(e.clustering.largest == largest)
        #expect(e.site == site)
        let a = try #require(e.ads)
        #expect([a.ads, a.paid, a.rightTransaction, a.rightOutput, a.wrong, a.ambiguous, a.unmatched] == ads)
        let p = try #require(e.payers)
        #expect([p.ownWalletAdvertisers, p.ownWalletFound, p.custodialAds, p.custodialMatched, p.custodialMarkedService,
                  p.walletsMarkedService] == payers)
        let c = try #require(e.sharedContacts)
        #expect([c.truthPairs, c.pairsFound, c.falseOneAdvertiser, c.serviceClaims] == contacts)
    }

    /// Every paid ad small-seed5's report does not match to its right transaction, one by one, with what the report
    /// said and what the truth says (the misses table of Heuristics/README.md): all seven are ads of the same price
    /// competing for fewer payments, five of them beside an unpaid ad of the same advertiser.
    @Test func missesListEveryPaidAdNotMatchedToItsTransaction() async throws {
        let e = try await score("small-seed5", profile: "change")
        let a = try #require(e.ads)
        #expect(a.misses.count == a.paid - a.rightTransaction + a.wrong)
        #expect(Set(a.misses.map(\.adID)) == ["6", "7", "9", "41", "43", "93", "94"])
        for m in a.misses {
            #expect(m.paid && m.status == "ambiguous" && m.basis == "none" && m.matchedTxid == nil && !m.custodial)
            #expect(m.paymentAmongCandidates && m.reason.contains("more ads than payments"), "\(m.adID): \(m.reason)")
        }
        let six = try #require(a.misses.first { $0.adID == "6" })
        #expect(six.advertiser == "advertiser_1" && six.paymentKind == "ad_payment" && six.candidates == 5)
        #expect(six.paymentTxid == "0f3d29edc29332c67a659aedd5d18c8692b0ea81e0588e0c9efaeed4060ff86e")
        #expect(six.paymentSenders == ["advertiser_1"])
    }

    /// Pure common-input clustering (`default` without a watchlist: guard.roles knows no site) reproduces the
    /// reference figures of the chains' README (scored independently of the project): small-seed4's PayJoins make
    /// it the worst chain. With the case's watchlist the role guard keeps the site's PayJoins apart (corpus figures).
    @Test func defaultProfileOverTwoChainsGivesMeanAndWorst() async throws {
        let reference = [try await score("small-seed4", profile: "default", site: false),
                         try await score("small-seed5", profile: "default", site: false)]
        #expect(abs(reference[0].clustering.precision - 0.98394) < 0.000005 && reference[0].clustering.clusters == 1364)
        #expect(abs(reference[1].clustering.precision - 0.99895) < 0.000005 && reference[1].clustering.clusters == 1532)
        let chains = [try await score("small-seed4", profile: "default"), try await score("small-seed5", profile: "default")]
        #expect(abs(chains[0].clustering.precision - 0.98406) < 0.000005 && chains[0].clustering.clusters == 1365)
        #expect(abs(chains[1].clustering.precision - 0.99925) < 0.000005 && chains[1].clustering.clusters == 1534)
        let corpus = CorpusEvaluation(chains: chains)
        let precision = try #require(corpus.figures.first { $0.name == "clustering.precision" })
        #expect(precision.worstChain == "small-seed4" && precision.worst == chains[0].clustering.precision)
        #expect(abs(precision.mean - (chains[0].clustering.precision + chains[1].clustering.precision) / 2) < 1e-12)
        // Custodial ads exist on both (7 and 2 in the truth); every custodial payment counts, matched or not.
        #expect(chains[0].payers?.custodialAds == 7 && chains[1].payers?.custodialAds == 2)
    }

    @Test func truthOfAnotherChainIsRefused() async throws {
        let db = try await SampleCases.database("small-seed1", profile: "default")
        do {
            try await runSpoor(["evaluate", "--truth", Fixtures.sampleChains.appendingPathComponent("small-seed4").path, "--db", db])
            Issue.record("scored small-seed1 against small-seed4's truth")
        } catch {
            #expect("\(error)".contains("small-seed4/truth") && "\(error)".contains("belongs to another chain"), "\(error)")
        }
    }

    @Test func incompleteTruthFolderNamesWhatIsMissing() async throws {
        let dir = try Fixtures.temporaryDirectory("evaluate-truth")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("{}".utf8).write(to: dir.appendingPathComponent("transactions.json"))
        do {
            try await runSpoor(["evaluate", "--truth", dir.path, "--db", "/nonexistent.sqlite"])
            Issue.record("accepted a truth folder without entities.json and ads.csv")
        } catch {
            #expect("\(error)".contains(dir.lastPathComponent) && "\(error)".contains("missing entities.json, ads.csv"), "\(error)")
        }
    }

    @Test func aCaseWithoutClusteringIsRefused() async throws {
        let db = try await SampleCases.database("small-seed1", profile: nil)
        do {
            try await runSpoor(["evaluate", "--truth", Fixtures.sampleChains.appendingPathComponent("small-seed1").path, "--db", db])
            Issue.record("scored a database that was never clustered")
        } catch {
            #expect("\(error)".contains("run spoor cluster"), "\(error)")
        }
    }

    @Test func mismatchedOptionCountsAreRefused() async throws {
        #expect(throws: (any Error).self) { try Evaluate.parse(["--truth", "a", "--truth", "b", "--db", "x"]) }
        #expect(throws: (any Error).self) { try Evaluate.parse(["--truth", "a", "--db", "x", "--case", "c", "--case", "d"]) }
    }
}
