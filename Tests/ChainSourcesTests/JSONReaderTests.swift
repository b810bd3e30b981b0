@testable import ChainSources
import Foundation
import Testing

/// The byte-level JSON reader on its own: RFC 8259's grammar, escapes and UTF-8 for the values it keeps and the
/// ones it skips, exact numbers, bounded nesting, and faults that name the key path and the column.
@Suite struct JSONReaderTests {
    /// Any value, skipped: what the reader does with every member a decoder does not know.
    struct Skipped: JSONReadable {
        init(json r: inout JSONReader) throws(JSONFault) { try r.skipValue() }
    }

    struct Pair: JSONReadable {
        var a: Int?
        var b: String?
        init(json r: inout JSONReader) throws(JSONFault) {
            (a, b) = (nil, nil)
            try r.forEachMember { r, key throws(JSONFault) in
                switch key {
                case "a": a = try r.integer()
                case "b": b = try r.string()
                default: try r.skipValue()
                }
            }
        }
    }

    func fault<T: JSONReadable>(_ text: String, as type: T.Type = Skipped.self) -> JSONFault? {
        do { _ = try JSONReader.read(T.self, from: Array(text.utf8)); return nil } catch { return error }
    }

    @Test(arguments: [
        "{}", "[]", " {\"a\":[1,-2.5e+3,{\"b\":\"x\\\"}y\"}],\"c\":null} ", "-0", "0.5E-7", "\"\\ud83d\\ude00\"",
        "\"\\u00e9\\/\\b\\f\\n\\r\\t\"", "true", "\"é\"",
    ])
    func acceptsValidJSON(_ text: String) {
        #expect(fault(text) == nil, "\(text)")
    }

    @Test(arguments: [
        ("{\"a\":1,}", "member name"), ("[1,,2]", "expected a value"), ("01", "after the JSON value"),
        ("1.", "decimal point"), ("1e", "exponent"), ("\"\\ud83d\"", "unpaired"), ("\"\\udc00\"", "unpaired"),
        ("\"\\x\"", "unknown escape"), ("{\"a\" 1}", "':'"), ("tru", "literal"), ("true false", "after the JSON value"),
        ("\"a\u{1}\"", "control character"), ("\"abc", "unterminated"), ("[1,2", "expected ',' or ']'"),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}'"), ("", "expected a value"), ("+1", "expected a value"),
        ("\"\\u12\"", "\\u escape"), ("nul", "literal"), ("{1:2}", "member name"),
    ])
    func refusesMalformedJSON(_ text: String, _ words: String) throws {
        let f = try #require(fault(text), "\(text)")
        #expect(f.message.contains(words), "\(text): \(f.message)")
    }

    @Test func refusesInvalidUTF8InKeptAndSkippedStrings() throws {
        for text in ["{\"b\":\"aXb\"}", "{\"z\":\"aXb\"}", "{\"aX\":1}"] {
            var bytes = Array(text.utf8)
            bytes[bytes.firstIndex(of: UInt8(ascii: "X"))!] = 0xC3  // a lead byte without its continuation
            #expect(throws: JSONFault.self, "\(text)") { try JSONReader.read(Pair.self, from: bytes) }
        }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: JSONReader.maxDepth + 1) + String(repeating: "]", count: JSONReader.maxDepth + 1)
        let f = try #require(fault(deep))
        #expect(f.message.contains("nested deeper than \(JSONReader.maxDepth)"))
        let fine = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        #expect(fault(fine) == nil)
        // A million brackets fail at the bound, without recursing that deep.
        #expect(fault(String(repeating: "{\"a\":", count: 1_000_000)) != nil)
    }

    @Test func resolvesEscapesInKeysAndValuesAndSkipsUnknownMembers() throws {
        let text = #"{"x":{"b":"not me","y":[1,{"a":2}]},"\u0061":7,"q":"\"a\":9","b":"h\u00e9\"\\"}"#
        let pair = try JSONReader.read(Pair.self, from: Array(text.utf8))
        #expect(pair.a == 7)
        #expect(pair.b == "hé\"\\")
    }

    @Test func faultsNameTheKeyPathAndColumn() throws {
        struct Outer: JSONReadable {
            init(json r: inout JSONReader) throws(JSONFault) {
                try r.forEachMember { r, key throws(JSONFault) in
                    if case "tx" = key { _ = try r.array(of: Pair.self) } else { try r.skipValue() }
                }
            }
        }
        let text = #"{"n":1,"tx":[{"a":1},{"b":"x","a":"five"}]}"#
        let f = try #require(fault(text, as: Outer.self))
        #expect(f.keyPath == "tx[1].a")
        #expect(f.message == "expected a number, found a string")
        #expect(f.offset == text.utf8.count - 9)
        #expect(f.located.hasSuffix("(column \(text.utf8.count - 8))"))
    }

    @Test(arguments: [
        ("50.00000000", 5_000_000_000), ("0.01039730", 1_039_730), ("1e-8", 1), ("21000000", 2_100_000_000_000_000),
        ("0.000000010", 1), ("1.0e1", 1_000_000_000), ("0", 0), ("-0.00000000", 0), ("0e99999999999", 0),
    ] as [(String, Int64)])
    func readsBTCAmountsExactly(_ text: String, _ satoshis: Int64) throws {
        let n = try JSONReader.read(ExactDecimal.self, from: Array(text.utf8))
        #expect(try n.integer(scale: 8).get() == satoshis, "\(text)")
    }

    @Test func refusesFractionsAndOverflowInsteadOfRounding() throws {
        func integer(_ text: String, scale: Int) throws -> Result<Int64, ExactDecimal.IntegerFault> {
            try JSONReader.read(ExactDecimal.self, from: Array(text.utf8)).integer(scale: scale)
        }
        #expect(try integer("0.000000001", scale: 8) == .failure(.fraction))
        #expect(try integer("20999999.999999999", scale: 8) == .failure(.fraction))
        #expect(try integer("1.5", scale: 0) == .failure(.fraction))
        #expect(try integer("9223372036854775807", scale: 0) == .success(.max))
        #expect(try integer("9223372036854775808", scale: 0) == .failure(.outOfRange))
        #expect(try integer("-9223372036854775808", scale: 0) == .success(.min))
        #expect(try integer("123456789012345678901234567890", scale: 0) == .failure(.outOfRange))
        #expect(try integer("1e19", scale: 0) == .failure(.outOfRange))
        #expect(try integer("1e-99999999999", scale: 8) == .failure(.fraction))
        #expect(ExactDecimal(text: "12 ") != nil && ExactDecimal(text: "12a") == nil && ExactDecimal(text: "") == nil)
    }

    @Test func integersMustFitTheirType() throws {
        struct Small: JSONReadable {
            var v: UInt32
            init(json r: inout JSONReader) throws(JSONFault) { v = try r.integer() }
        }
        #expect(try JSONReader.read(Small.self, from: Array("4294967295".utf8)).v == .max)
        #expect(try JSONReader.read(Small.self, from: Array("4.294967295e9".utf8)).v == .max)
        for text in ["4294967296", "-1", "1.5", "\"1\""] {
            #expect(throws: JSONFault.self, "\(text)") { try JSONReader.read(Small.self, from: Array(text.utf8)) }
        }
    }

    @Test func aBatchArrayKeepsTheElementsBeforeItsFault() throws {
        let (pairs, fault) = JSONReader.readElements(Pair.self, from: Array(#"[{"a":1},{"a":2},{"a":"x"},{"a":4}]"#.utf8))
        #expect(pairs.map(\.a) == [1, 2])
        #expect(fault?.keyPath == "[2].a")
    }
}
