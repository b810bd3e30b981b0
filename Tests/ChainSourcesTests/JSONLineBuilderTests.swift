@testable import ChainSources
import Testing

/// The bitcoin-etl writer's JSON strings: the whole-string path (nothing to escape) and the escaping path give the
/// text Python's `json.dumps(..., ensure_ascii=False)` gives.
@Suite struct JSONLineBuilderTests {
    func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        JSONLineBuilder.appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func aStringWithNothingToEscapeIsAppendedAsItIs() {
        #expect(quoted("") == "\"\"")
        #expect(quoted("76a914deadbeef88ac") == "\"76a914deadbeef88ac\"")
        #expect(quoted("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq") == "\"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\"")
        #expect(quoted("é✓") == "\"é✓\"")
    }

    @Test func quotesBackslashesAndControlCharactersAreEscaped() {
        #expect(quoted("a\"b") == "\"a\\\"b\"")
        #expect(quoted("a\\b") == "\"a\\\\b\"")
        #expect(quoted("\n\r\t") == "\"\\n\\r\\t\"")
        #expect(quoted("x\u{01}y\u{1f}") == "\"x\\u0001y\\u001f\"")
        #expect(quoted("é\"") == "\"é\\\"\"")
    }

    @Test func aLineKeepsKeyOrderAndPythonsSeparators() {
        var line = JSONLineBuilder()
        line.string("hash", "00ff")
        line.int("size", 7)
        line.strings("addresses", ["a", "b\"c"])
        #expect(line.finish() == "{\"hash\": \"00ff\", \"size\": 7, \"addresses\": [\"a\", \"b\\\"c\"]}")
    }

    /// Numbers as Python's `str(int)` writes them, the extremes of a 64-bit value included.
    @Test func numbersAreWrittenInDecimal() {
        var line = JSONLineBuilder()
        for v: Int64 in [0, 7, -1, 10, 2_100_000_000_000_000, Int64.max, Int64.min] { line.int64("v", v) }
        line.int("none", nil)
        #expect(line.finish() == "{\"v\": 0, \"v\": 7, \"v\": -1, \"v\": 10, \"v\": 2100000000000000, "
            + "\"v\": 9223372036854775807, \"v\": -9223372036854775808, \"none\": null}")
    }

    /// A nested array of objects writes into the line's own buffer and closes where it should.
    @Test func nestedValuesShareTheLinesBuffer() {
        var buffer = Array("prefix ".utf8)
        var line = JSONLineBuilder(taking: &buffer)
        line.hex("h", [0x00, 0xab])
        line.array("a") { a in
            a.object { o in o.bool("t", true) }
            a.object { o in o.bool("f", false); o.strings("s", []) }
        }
        line.array("e") { _ in }
        line.finish(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self)
            == "prefix {\"h\": \"00ab\", \"a\": [{\"t\": true}, {\"f\": false, \"s\": []}], \"e\": []}")
    }
}
