@testable import ChainSources
import Testing

/// The bitcoin-etl writer's JSON strings: the whole-string path (nothing to escape) and the escaping path give the
/// text Python's `json.dumps(..., ensure_ascii=False)` gives.
@Suite struct JSONLineBuilderTests {
    func quoted(_ s: String) -> String {
        var out = ""
        JSONLineBuilder.appendQuoted(s, to: &out)
        return out
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
}
