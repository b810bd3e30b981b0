import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `Heuristics/error-rates.json`: the figures every report cites for its profile.
@Suite struct ErrorRatesFileTests {
    /// Editing a shipped profile without measuring it again leaves its reports without error rates: this fails
    /// first (run `ERROR_RATES=Heuristics/error-rates.json Tests/Benchmarks/corpus.sh`).
    @Test func everyShippedProfileHasMeasuredErrorRates() throws {
        let rates = try ErrorRatesFile.shipped()
        for name in ["default", "conservative", "change"] {
            let profile = try ProfileOption.resolve(name)
            let entry = rates.first { $0.profile.id == profile.id }
            #expect(entry?.profile.hash == profile.hash, "\(name): error rates measured on another version of the profile")
            #expect(entry?.corpus.chains.count == 5)
            let names = Set(entry?.figures.map(\.name) ?? [])
            #expect(names.isSuperset(of: ["clustering.precision", "ads.right_transaction_share", "ads.wrong_share",
                                          "site.foreign", "shared_contacts.false_one_advertiser"]))
        }
    }

    @Test func aBrokenFileIsAnErrorNamingFileAndKey() throws {
        let dir = try Fixtures.temporaryDirectory("error-rates")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("error-rates.json").path
        try Data(#"{"corpus": {"chains": ["a"], "measured": "2026-12-02"}, "profiles": []}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(throws: CommandFailure.self) { try ErrorRatesFile.load(path) }
        do { _ = try ErrorRatesFile.load(path) } catch {
            #expect("\(error)" == "\(path): not an error-rates file: at corpus: missing sha256")
        }
        try Data("[1,".utf8).write(to: URL(fileURLWithPath: path))
        do { _ = try ErrorRatesFile.load(path); Issue.record("a truncated file was read") } catch {
            #expect("\(error)".hasPrefix("\(path): not an error-rates file: at the top: "))
        }
    }
}
