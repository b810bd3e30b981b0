import CaseStore
import Foundation
import Investigation
import Reports
import SpoorTestSupport
import Testing
import Tracing

@Suite struct TagPackTests {
    @Test func headerFieldsApplyToEveryTagUnlessOverridden() throws {
        let we = try TagParser.parse(fileURL: Fixtures.url("tagpacks/walletexplorer.yaml"))
        #expect(we.tags.count == 386)
        #expect(we.tags.allSatisfy { $0.isClusterDefiner && $0.confidence == "service_data" })
        let huobi = try #require(we.tags.first { $0.address == "1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG" })
        #expect(huobi.label == "Huobi.com" && huobi.category == "exchange" && huobi.actor == "huobi")

        let ofac = try TagParser.parse(fileURL: Fixtures.url("tagpacks/ofac.yaml"))
        // The header's label and category apply to every tag; non-BTC tags are skipped and counted.
        #expect(ofac.tags.allSatisfy { $0.label == "Asset listed under US Treasury OFAC Sanctions List" && $0.category == "user" })
        #expect(ofac.tags.count + ofac.skippedOtherCurrency == 572)
        #expect(ofac.tags.allSatisfy { !$0.isClusterDefiner })
        for name in ["ransomware.yaml", "samourai.yaml"] {
            let pack = try TagParser.parse(fileURL: Fixtures.url("tagpacks/\(name)"))
            #expect(!pack.tags.isEmpty && pack.tags.allSatisfy { !$0.label.isEmpty && !$0.address.isEmpty })
        }
    }

    @Test func badPacksNameTheFileAndTheTag() {
        #expect(throws: InputError.self) { try TagParser.parseTagPack(text: "tags: [ {address: 1abc", file: "broken.yaml") }
        do {
            _ = try TagParser.parseTagPack(text: "title: t\ntags:\n- address: 1abc\n", file: "nolabel.yaml")
            Issue.record("a tag without label was accepted")
        } catch let e as InputError {
            #expect(e.file == "nolabel.yaml" && e.message.contains("tags[0]") && e.message.contains("label"))
        } catch { Issue.record("\(error)") }
        #expect(throws: InputError.self) { try TagParser.parseTagPack(text: "label: x\ntags:\n- address: a\n  is_cluster_definer: maybe\n", file: "f.yaml") }
    }

    @Test func watchlistsInJSONAndCSV() throws {
        let json = try TagParser.parseWatchlistJSON(data: Data(#"{"addresses":[{"address":"a1","label":"site","category":"ad-payment"}]}"#.utf8), file: "w.json")
        #expect(json == [CaseStore.Tag(address: "a1", label: "site", category: "ad-payment", origin: "w.json")])
        let csv = try TagParser.parseWatchlistCSV(text: "address,label,category\na2,\"Site, Inc\",ad-payment\n", file: "w.csv")
        #expect(csv.first?.label == "Site, Inc")
        #expect(throws: InputError.self) { try TagParser.parseWatchlistCSV(text: "label\nx\n", file: "w.csv") }
        #expect(throws: InputError.self) { try TagParser.parseWatchlistJSON(data: Data("[{\"label\":1}]".utf8), file: "w.json") }
    }

    @Test func conflictingDefinersAreReported() {
        let tags = [
            StoredTag(CaseStore.Tag(address: "a", label: "Exchange A", isClusterDefiner: true, origin: "p1"), addressID: 1),
            StoredTag(CaseStore.Tag(address: "b", label: "Exchange B", isClusterDefiner: true, origin: "p2"), addressID: 2),
            StoredTag(CaseStore.Tag(address: "c", label: "Exchange A", isClusterDefiner: true, origin: "p1"), addressID: 3),
            StoredTag(CaseStore.Tag(address: "d", label: "someone", isClusterDefiner: false, origin: "p3"), addressID: 2),
        ]
        // Addresses 1 and 2 share cluster 1; address 3 is alone.
        let r = ClusterLabels.resolve(tags: tags, clusterOf: { $0 == 2 ? 1 : $0 })
        #expect(r.conflicts == [TagConflict(cluster: 1, labels: ["Exchange A", "Exchange B"], addresses: ["a", "b"])])
        #expect(r.labels[3] == ["Exchange A"])
    }
}

@Suite struct CaseFileTests {
    @Test func adsAndRatesParseAndBadRowsNameTheLine() throws {
        let ads = try CaseInputs.parseAds(text: "ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,0.0025,,+1\n2,1454831063,,4.00,+2\n", file: "ads.csv")
        #expect(ads.map(\.price) == [.btc(.init(satoshis: 250_000)), .usdCents(400)])
        #expect(ads[1].line == 3)
        for (text, line, fragment) in [
            ("ad_id,posted_at,price_btc,price_usd,contact\n1,x,0.1,,c\n", 2, "posted_at"),
            ("ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,0.1,4,c\n", 2, "both"),
            ("ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,,,c\n", 2, "neither"),
            ("ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,0.123456789,,c\n", 2, "8 decimals"),
            ("ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,0.1,,c\n1,1454831064,0.1,,c\n", 3, "duplicate"),
            ("ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,0.1,,\"c\n", 2, "unterminated"),
            ("ad_id,posted_at,price_btc,contact\n1,1454831063,0.1,c\n", 1, "price_usd"),
        ] {
            do {
                _ = try CaseInputs.parseAds(text: text, file: "ads.csv")
                Issue.record("accepted: \(text)")
            } catch let e as InputError {
                #expect(e.file == "ads.csv" && e.line == line && e.message.contains(fragment), "\(e)")
            }
        }
        let rates = try CaseInputs.parseRates(text: "day,usd_per_btc\n2016-02-01,371.5\n", file: "rates.csv")
        #expect(rates.usdPerBTC == [CaseInputs.parseDay("2016-02-01")!: 371.5])
        #expect(CaseInputs.parseDay("2016-02-01") == 16832)
        #expect(CaseInputs.dayString(16832) == "2016-02-01")
        #expect(CaseInputs.isoTime(1_454_831_063) == "2016-02-07T07:44:23Z")
        #expect(throws: InputError.self) { try CaseInputs.parseRates(text: "day,usd_per_btc\n2016-13-01,1\n", file: "r.csv") }
        #expect(throws: InputError.self) { try CaseInputs.parseRates(text: "day,usd_per_btc\n2016-02-01,-3\n", file: "r.csv") }
    }

    /// Numbers a file may hold but no ad or rate can be: each is refused on its line, naming the value, before
    /// it can reach the matcher (which trapped on several of them).
    @Test func outOfRangeNumbersAreRefusedOnTheirLine() {
        let header = "ad_id,posted_at,price_btc,price_usd,contact\n"
        for (row, fragment) in [
            ("1,1454831063000,0.1,,c", "milliseconds"),                   // a millisecond timestamp
            ("1,9223372036854775807,0.1,,c", "unix time in seconds"),    // Int64.max
            ("1,-9223372036854775808,0.1,,c", "unix time in seconds"),   // Int64.min
            ("1,1454831063,21000000.00000001,,c", "21 million"),          // more bitcoin than can exist
            ("1,1454831063,,92233720368547758.08,c", "dollar amount"),    // cents overflow Int64
            ("1,1454831063,,922337203685477581,c", "dollar amount"),      // dollars × 100 overflow Int64
            ("1,1454831063,,+4.00,c", "dollar amount"),
        ] {
            #expect(throws: InputError.self) {
                do { _ = try CaseInputs.parseAds(text: header + row + "\n", file: "ads.csv") } catch let e as InputError {
                    #expect(e.line == 2 && e.message.contains(fragment), "\(e)")
                    throw e
                }
            }
        }
        for (row, fragment) in [("2016-02-30,400", "not a date"), ("2015-02-29,400", "not a date"), ("+201-02-01,400", "not a date"),
                                ("2016-02-01,1e-300", "outside"), ("2016-02-01,1e300", "outside")] {
            #expect(throws: InputError.self) {
                do { _ = try CaseInputs.parseRates(text: "day,usd_per_btc\n" + row + "\n", file: "r.csv") } catch let e as InputError {
                    #expect(e.line == 2 && e.message.contains(fragment), "\(e)")
                    throw e
                }
            }
        }
        #expect(CaseInputs.parseDay("2016-02-29") != nil && CaseInputs.parseDay("2000-02-29") != nil)
        #expect(CaseInputs.parseDay("1900-02-29") == nil)
    }
}
