import Foundation
import Investigation
import SpoorTestSupport
import Testing

/// TagPacks an adversary shares: YAML that expands without end or nests without end is refused, in words,
/// before it can exhaust memory or the stack.
@Suite struct HostileYAMLTests {
    /// Nine anchors, each a list of nine aliases to the one before: 463 bytes that expand to 9⁹ (387 million)
    /// strings. The old reader grew memory at 100 MB/s until killed.
    static let aliasBomb: String = {
        var lines = ["a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for i in 1 ... 8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        lines.append("tags: [*a8]")
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test(.timeLimit(.minutes(1))) func aliasBombIsRefused() throws {
        #expect(Self.aliasBomb.utf8.count < 600)
        #expect {
            _ = try TagParser.parseTagPack(text: Self.aliasBomb, file: "bomb.yaml")
        } throws: { error in
            (error as? InputError)?.message.contains("alias") == true
        }
    }

    /// 5,000 nested flow sequences, and 300 levels of block indentation: the old parser died of SIGSEGV.
    @Test func deepNestingIsRefused() throws {
        let flow = "tags: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let block = (0 ..< 300).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        for text in [flow, block] {
            #expect {
                _ = try TagParser.parseTagPack(text: text, file: "deep.yaml")
            } throws: { error in
                let message = (error as? InputError)?.message ?? ""
                return message.contains("nested") || message.contains("indented")
            }
        }
        // 70 levels pass the text check but not the value check.
        let seventy = "tags: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\n"
        #expect(throws: InputError.self) { _ = try BoundedYAML.load(seventy, file: "seventy.yaml") }
    }

    /// A base-60 integer (YAML 1.1's "1:30" = 90) too large for Int crashed Yams with SIGILL, in `tags import`
    /// and `--profile` alike (found by FuzzTagPackYAML): it now stays text; one that fits is still a number.
    @Test func aBase60IntegerTooLargeForIntIsText() throws {
        let twelveParts = "1" + String(repeating: ":00", count: 11)
        let text = "a: \(twelveParts)\nb: 999999999999999999:59\nc: 1:30\nd: -2:00:00\n"
        let value = try #require(try BoundedYAML.load(text, file: "t.yaml") as? [String: Any])
        #expect(value["a"] as? String == twelveParts)
        #expect(value["b"] as? String == "999999999999999999:59")
        #expect(value["c"] as? Int == 90 && value["d"] as? Int == -7200)
        // Yams drops underscores before it multiplies: a part that is no decimal with them is one without
        // (found by FuzzTagPackYAML in its sixth run; it trapped like the twelve parts above).
        let underscored = "222" + String(repeating: "_", count: 16) + "2222222222222222:22"
        let spaced = try #require(try BoundedYAML.load("u: \(underscored)\nv: 1_0:30\n", file: "u.yaml") as? [String: Any])
        #expect(spaced["u"] as? String == underscored)
        #expect(spaced["v"] as? Int == 630)
        let pack = "title: t\ncreator: c\ntags:\n  - address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n    label: \(twelveParts)\n"
        #expect(try TagParser.parseTagPack(text: pack, file: "pack.yaml").tags.map(\.label) == [twelveParts])
    }

    /// The bounded reader gives Yams' own scalar types, so real TagPacks read as before.
    @Test func realTagPacksStillRead() throws {
        let value = try BoundedYAML.load("a: 1\nb: true\nc: 1.5\nd: text\ne: [x, 2]\n", file: "t.yaml") as? [String: Any]
        #expect(value?["a"] as? Int == 1 && value?["b"] as? Bool == true && value?["c"] as? Double == 1.5)
        #expect(value?["d"] as? String == "text" && (value?["e"] as? [Any])?.count == 2)
        for name in ["walletexplorer", "ofac", "ransomware", "samourai"] {
            let tags = try TagParser.parse(fileURL: Fixtures.url("tagpacks/\(name).yaml"))
            #expect(!tags.tags.isEmpty)
        }
    }
}
