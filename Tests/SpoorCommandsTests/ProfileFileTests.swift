import Clustering
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `--profile FILE.yaml`: the same document as the JSON profiles, written as YAML.
@Suite struct ProfileFileTests {
    let changeYAML = """
        # The shipped change profile, written as YAML.
        id: change
        version: 5
        description: DESCRIPTION
        cospend: [cospend.multi-input]
        exclude:
          - exclude.coinbase
          - exclude.coinjoin.generic-funded
          - exclude.coinjoin.wasabi1
          - exclude.coinjoin.wasabi2
          - exclude.coinjoin.whirlpool
          - exclude.coinjoin.joinmarket
        change:
          not-contradicted:
            - first:
                - unique:
                    union:
                      - unique: {use: change.optimal}
                      - unique: {use: change.round-payment, parameters: {significant_digits: 3}}
                      - unique: {use: change.reuse}
                      - intersection:
                          - unique: {use: change.address-type}
                          - unique: {use: change.fresh-address}
                      - unique: {use: change.same-block-spend}
                - unique: {use: change.wallet-type}
                - unique: {use: change.largest-input}
                - unique: {use: change.fresh-address}
            - {use: change.round-payment, parameters: {significant_digits: 3}}
            - {use: change.largest-input}
        link:
          - use: link.deposit-address
            parameters: {min_service_addresses: 10}
        guards:
          entity_tags: true
          collapse: {large: 100, max_share_percent: 50}
          roles: true
        """

    static let aliasBomb: String = {
        var lines = ["a0: &a0 [x,x,x,x,x,x,x,x,x]"]
        for i in 1 ... 8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        return lines.joined(separator: "\n") + "\nid: [*a8]\n"
    }()

    @Test func yamlProfileEqualsTheShippedJSON() throws {
        let json = try ProfileOption.resolve("change")
        let text = changeYAML.replacingOccurrences(of: "DESCRIPTION", with: "'" + json.description.replacingOccurrences(of: "'", with: "''") + "'")
        let dir = try Fixtures.temporaryDirectory("profile-yaml")
        let path = dir.appendingPathComponent("mine.yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        var yaml = try ProfileOption.resolve(path)
        // The hash is of the YAML file's own bytes: a changed comment (gone after conversion) changes it.
        #expect(yaml.hash.count == 64 && yaml.hash != json.hash)
        let other = dir.appendingPathComponent("mine-too.yml").path
        try Data(text.replacingOccurrences(of: "# The shipped", with: "# Still the shipped").utf8).write(to: URL(fileURLWithPath: other))
        let recommented = try ProfileOption.resolve(other)
        #expect(recommented.hash != yaml.hash)
        #expect({ var r = recommented; r.hash = yaml.hash; return r }() == yaml)
        yaml.hash = json.hash
        #expect(yaml == json)
    }

    @Test(arguments: [
        ("id: t\nversion: 1\ncospend: []\nexclude: [exclude.nope]\n", "at exclude[0]: unknown exclusion"),
        ("id: t\nversion: 1\ncospend: []\nexclude: []\nchange: {unique: {use: change.magic}}\n", "at change.unique.use: unknown change heuristic"),
        ("id: t\nversion: 1\ncospend: []\nexclude: []\nguards: {max_merge_growth: 0}\n", "at guards.max_merge_growth"),
        ("id: t\nversion: [1\n", "not valid YAML"),
        ("- just\n- a list\n", "a profile is a mapping"),
        // An alias bomb (9⁹ strings from 9 lines) and 5,000 nested lists: refused, no longer a blow-up or a crash.
        (Self.aliasBomb, "alias"),
        ("id: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n", "nested more than"),
    ])
    func yamlErrorsNameTheFileAndTheKey(yaml: String, message: String) throws {
        let dir = try Fixtures.temporaryDirectory("profile-yaml-bad")
        let path = dir.appendingPathComponent("p.yml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ProfileOption.resolve(path)
            Issue.record("accepted invalid profile \(yaml)")
        } catch {
            let text = "\(error)"
            #expect(text.contains(path), "\(text)")
            #expect(text.contains(message), "\(text)")
        }
    }
}
