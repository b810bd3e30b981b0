#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fault in a JSON document: what is wrong, at which byte of the document, and at which key path
/// (`tx[3].vout[0].value`), built while the fault travels out of the nested readers.
struct JSONFault: Error {
    enum Step { case key(String), index(Int) }

    var message: String
    /// Byte offset in the document where the reader stood.
    var offset: Int
    /// Outermost step first.
    var path: [Step] = []

    func inside(_ step: Step) -> JSONFault {
        var f = self
        f.path.insert(step, at: 0)
        return f
    }

    /// "tx[3].vout[0].value", or "(top level)".
    var keyPath: String {
        var s = ""
        for step in path {
            switch step {
            case .index(let i): s += "[\(i)]"
            case .key(let k): s += s.isEmpty ? k : "." + k
            }
        }
        return s.isEmpty ? "(top level)" : s
    }

    /// "at tx[0].vout[0].value: expected a number, found a string (column 812)": the words the readers' errors use.
    var located: String { "at \(keyPath): \(message) (column \(offset + 1))" }
}

/// A member name as the document spells it (escapes resolved), compared with the names a decoder knows.
struct JSONKey {
    let document: UnsafeBufferPointer<UInt8>
    let raw: JSONReader.RawString

    @inline(__always)
    static func ~= (name: StaticString, key: JSONKey) -> Bool {
        let n = name.utf8CodeUnitCount
        if let resolved = key.raw.resolved {
            return resolved.count == n && resolved.withUnsafeBufferPointer { memcmp(name.utf8Start, $0.baseAddress!, n) == 0 }
        }
        guard key.raw.range.count == n else { return false }
        let a = name.utf8Start, b = key.document.baseAddress! + key.raw.range.lowerBound
        for i in 0..<n where a[i] != b[i] { return false }
        return true
    }

    var text: String {
        if let resolved = raw.resolved { return String(decoding: resolved, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: document[raw.range]), as: UTF8.self)
    }
}

/// A JSON number read exactly: ±`digits` × 10^`exponent`, with trailing zeros moved into the exponent so that
/// "50.00000000" is 5 × 10^1. Never goes through binary floating point.
struct ExactDecimal {
    var negative = false
    var digits: UInt64 = 0
    var exponent = 0
    /// More significant digits than a UInt64 holds.
    var overflow = false

    init() {}

    /// The value × 10^`scale` as an integer: nil when it has a fraction left (`.fraction`) or does not fit.
    func integer(scale: Int) -> Result<Int64, IntegerFault> {
        if digits == 0 { return .success(0) }
        if overflow { return .failure(.outOfRange) }
        let e = exponent + scale
        if e < 0 { return .failure(.fraction) }
        if e > 19 { return .failure(.outOfRange) }
        var value = digits
        for _ in 0..<e {
            let (m, o) = value.multipliedReportingOverflow(by: 10)
            if o { return .failure(.outOfRange) }
            value = m
        }
        if negative {
            guard value <= UInt64(Int64.max) + 1 else { return .failure(.outOfRange) }
            return .success(value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value))
        }
        guard value <= UInt64(Int64.max) else { return .failure(.outOfRange) }
        return .success(Int64(value))
    }

    enum IntegerFault: Error { case fraction, outOfRange }

    /// A JSON number written as text (a numeric string), nil when it is not exactly one number.
    init?(text: String) {
        guard let n = try? JSONReader.read(ExactDecimal.self, from: Array(text.utf8)) else { return nil }
        self = n
    }
}

extension ExactDecimal: JSONReadable {
    init(json r: inout JSONReader) throws(JSONFault) { self = try r.number().0 }
}

/// A value a `JSONReader` can read: the row and document shapes of bitcoin-etl and Bitcoin Core.
protocol JSONReadable {
    init(json: inout JSONReader) throws(JSONFault)
}

/// A pull reader over one JSON document's bytes, for the shapes Spoor reads (bitcoin-etl rows, Bitcoin Core's
/// verbose JSON): decoders walk the members they know and skip the rest, so nothing is built that is not kept.
///
/// Everything RFC 8259 requires is checked, skipped values included: the grammar, string escapes (surrogate
/// pairs), control characters, UTF-8, and nothing after the value. Nesting is bounded (`maxDepth`), so hostile
/// input costs no more stack than a real block; memory is the document's bytes plus what a decoder keeps.
struct JSONReader {
    static let maxDepth = 64

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads a whole document as one `T`; only whitespace may follow it.
    static func read<T: JSONReadable>(_ type: T.Type, from document: [UInt8]) throws(JSONFault) -> T {
        let result: Result<T, JSONFault> = document.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do throws(JSONFault) {
                let value = try T(json: &reader)
                reader.skipSpace()
                guard reader.offset == buffer.count else { throw reader.fault("unexpected bytes after the JSON value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads a document that is an array of `T`, element by element: the elements before the first fault, and
    /// the fault (its key path starts with the element's index).
    static func readElements<T: JSONReadable>(_ type: T.Type, from document: [UInt8]) -> ([T], JSONFault?) {
        var elements: [T] = []
        let fault: JSONFault? = document.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do throws(JSONFault) {
                try reader.forEachElement { r, _ throws(JSONFault) in elements.append(try T(json: &r)) }
                reader.skipSpace()
                guard reader.offset == buffer.count else { throw reader.fault("unexpected bytes after the JSON value") }
                return nil
            } catch {
                return error
            }
        }
        return (elements, fault)
    }

    func fault(_ message: String) -> JSONFault { JSONFault(message: message, offset: offset) }

    @inline(__always) private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    @inline(__always) mutating func skipSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0a, 0x0d, 0x09: offset += 1
            default: return
            }
        }
    }

    /// The first byte of the next value, without consuming it; nil at the end.
    mutating func peek() -> UInt8? {
        skipSpace()
        return current
    }

    /// What the next value is, in words, for "expected …, found …".
    mutating func foundWhat() -> String {
        switch peek() {
        case nil: return "the end of the document"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "true or false"
        case UInt8(ascii: "n"): return "null"
        case let c? where c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")): return "a number"
        case let c? where c > 0x20 && c < 0x7f: return "'\(Character(Unicode.Scalar(c)))'"
        case let c?: return "the byte 0x\(String(c, radix: 16))"
        }
    }

    func missing(_ name: String) -> JSONFault { fault("missing key \"\(name)\"") }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONFault) {
        guard peek() == byte else { throw fault("expected \(what), found \(foundWhat())") }
        offset += 1
    }

    private mutating func enter() throws(JSONFault) {
        depth += 1
        guard depth <= Self.maxDepth else { throw fault("nested deeper than \(Self.maxDepth) levels") }
    }

    // MARK: Structure

    /// Calls `body` for each member of the object that comes next; `body` must consume the member's value.
    /// A fault inside a member gets the member's name on its key path.
    @inline(__always)
    mutating func forEachMember(_ body: (inout JSONReader, JSONKey) throws(JSONFault) -> Void) throws(JSONFault) {
        try expect(UInt8(ascii: "{"), "an object")
        try enter()
        if peek() == UInt8(ascii: "}") { offset += 1; depth -= 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw fault("expected a member name, found \(foundWhat())") }
            let key = JSONKey(document: bytes, raw: try rawString())
            try expect(UInt8(ascii: ":"), "':' after a member name")
            do throws(JSONFault) { try body(&self, key) } catch { throw error.inside(.key(key.text)) }
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; depth -= 1; return
            default: throw fault("expected ',' or '}' in an object, found \(foundWhat())")
            }
        }
    }

    /// Calls `body` with each element's index for the array that comes next; `body` must consume the element.
    @inline(__always)
    mutating func forEachElement(_ body: (inout JSONReader, Int) throws(JSONFault) -> Void) throws(JSONFault) {
        try expect(UInt8(ascii: "["), "an array")
        try enter()
        if peek() == UInt8(ascii: "]") { offset += 1; depth -= 1; return }
        var index = 0
        while true {
            do throws(JSONFault) { try body(&self, index) } catch { throw error.inside(.index(index)) }
            index += 1
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; depth -= 1; return
            default: throw fault("expected ',' or ']' in an array, found \(foundWhat())")
            }
        }
    }

    /// The array that comes next, each element a `T`.
    mutating func array<T: JSONReadable>(of type: T.Type) throws(JSONFault) -> [T] {
        var out: [T] = []
        try forEachElement { r, _ throws(JSONFault) in out.append(try T(json: &r)) }
        return out
    }

    /// The array of strings that comes next.
    mutating func strings() throws(JSONFault) -> [String] {
        var out: [String] = []
        try forEachElement { r, _ throws(JSONFault) in out.append(try r.string()) }
        return out
    }

    /// Whether the value that comes next is an array whose first element is a string (nothing is consumed).
    func firstElementIsString() -> Bool {
        var copy = self
        guard copy.peek() == UInt8(ascii: "[") else { return false }
        copy.offset += 1
        return copy.peek() == UInt8(ascii: "\"")
    }

    /// Consumes a `null` if one comes next.
    mutating func skipNull() throws(JSONFault) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// `nil` for `null`, else a `T`.
    mutating func optional<T: JSONReadable>(_ type: T.Type) throws(JSONFault) -> T? {
        try skipNull() ? nil : T(json: &self)
    }

    mutating func optionalString() throws(JSONFault) -> String? { try skipNull() ? nil : string() }
    mutating func optionalInteger<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(JSONFault) -> T? {
        try skipNull() ? nil : integer(T.self)
    }
    mutating func optionalStrings() throws(JSONFault) -> [String]? { try skipNull() ? nil : strings() }

    mutating func bool() throws(JSONFault) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw fault("expected true or false, found \(foundWhat())")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONFault) {
        let n = word.utf8CodeUnitCount
        guard bytes.count - offset >= n, memcmp(word.utf8Start, bytes.baseAddress! + offset, n) == 0 else {
            throw fault("malformed literal (expected \(word))")
        }
        offset += n
    }

    /// Skips one value of any kind, checking it as strictly as a value that is read.
    mutating func skipValue() throws(JSONFault) {
        guard let c = peek() else { throw fault("expected a value, found the end of the document") }
        switch c {
        case UInt8(ascii: "{"): try forEachMember { r, _ throws(JSONFault) in try r.skipValue() }
        case UInt8(ascii: "["): try forEachElement { r, _ throws(JSONFault) in try r.skipValue() }
        case UInt8(ascii: "\""): _ = try rawString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: throw fault("expected a value, found \(foundWhat())")
        }
    }
}

// MARK: - Strings

extension JSONReader {
    /// A string's bytes: the range inside the document when it has no escapes, else the resolved bytes.
    struct RawString {
        var range: Range<Int>
        var resolved: [UInt8]?
    }

    /// The string that comes next, checked (escapes, no control characters, UTF-8) and with escapes resolved.
    mutating func rawString() throws(JSONFault) -> RawString {
        try expect(UInt8(ascii: "\""), "a string")
        let start = offset
        var ascii = true
        while true {
            // Eight plain ASCII bytes at a time (most strings here are hex, addresses and names).
            while bytes.count - offset >= 8,
                  !Self.hasSpecialByte(UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self)) {
                offset += 8
            }
            guard offset < bytes.count else { break }
            let c = bytes[offset]
            if c == UInt8(ascii: "\"") {
                if !ascii { try checkUTF8(start..<offset) }
                offset += 1
                return RawString(range: start..<(offset - 1), resolved: nil)
            }
            if c == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if c < 0x20 { throw fault("a control character (0x\(String(c, radix: 16))) inside a string") }
            if c >= 0x80 { ascii = false }
            offset += 1
        }
        throw JSONFault(message: "unterminated string", offset: start - 1)
    }

    /// Whether any of the eight bytes is a quote, a backslash, a control character or not ASCII.
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let below0x20 = (w &- ones &* 0x20) & ~w & highs
        return (w & highs) | below0x20 | hasZeroByte(w ^ (ones &* 0x22)) | hasZeroByte(w ^ (ones &* 0x5c)) != 0
    }

    /// The string that comes next as Swift text.
    mutating func string() throws(JSONFault) -> String {
        let raw = try rawString()
        if let resolved = raw.resolved { return String(decoding: resolved, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[raw.range]), as: UTF8.self)
    }

    /// The rest of a string that has an escape, from its first byte at `start`.
    private mutating func escapedString(from start: Int) throws(JSONFault) -> RawString {
        var out = Array(bytes[start..<offset])
        while offset < bytes.count {
            let c = bytes[offset]
            switch c {
            case UInt8(ascii: "\""):
                offset += 1
                try Self.checkUTF8(out, at: start)
                return RawString(range: start..<(offset - 1), resolved: out)
            case UInt8(ascii: "\\"):
                offset += 1
                guard let e = current else { break }
                offset += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): appendUTF8(of: try unicodeEscape(), to: &out)
                default: offset -= 1; throw fault("an unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
            default:
                if c < 0x20 { throw fault("a control character (0x\(String(c, radix: 16))) inside a string") }
                out.append(c)
                offset += 1
            }
        }
        throw JSONFault(message: "unterminated string", offset: start - 1)
    }

    /// The scalar of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws(JSONFault) -> UInt32 {
        let high = try hex4()
        if high >= 0xDC00 && high <= 0xDFFF { throw fault("an unpaired low surrogate \\u\(String(high, radix: 16))") }
        guard high >= 0xD800 && high <= 0xDBFF else { return high }
        guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
            throw fault("an unpaired high surrogate \\u\(String(high, radix: 16))")
        }
        offset += 2
        let low = try hex4()
        guard low >= 0xDC00 && low <= 0xDFFF else { throw fault("an unpaired high surrogate \\u\(String(high, radix: 16))") }
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    }

    private mutating func hex4() throws(JSONFault) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw fault("a \\u escape cut short") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fault("a \\u escape with a non-hex digit")
            }
            v = v << 4 | UInt32(d)
            offset += 1
        }
        return v
    }

    private func appendUTF8(of scalar: UInt32, to out: inout [UInt8]) {
        // Every scalar here is valid: surrogates were joined or refused above.
        for unit in UTF8.encode(Unicode.Scalar(scalar)!)! { out.append(unit) }
    }

    private func checkUTF8(_ range: Range<Int>) throws(JSONFault) {
        try Self.checkUTF8(UnsafeBufferPointer(rebasing: bytes[range]), at: range.lowerBound)
    }

    /// Refuses bytes that are not UTF-8 (RFC 8259 §8.1), as Foundation's decoder did.
    static func checkUTF8<C: Collection<UInt8>>(_ text: C, at start: Int) throws(JSONFault) {
        var it = text.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return
            case .error: throw JSONFault(message: "a string that is not valid UTF-8", offset: start)
            }
        }
    }
}

// MARK: - Numbers

extension JSONReader {
    /// The number that comes next, exactly, and its text (for messages).
    mutating func number() throws(JSONFault) -> (ExactDecimal, Range<Int>) {
        skipSpace()
        let start = offset
        var n = ExactDecimal()
        var pendingZeros = 0
        @inline(__always) func digit(_ d: UInt8, _ n: inout ExactDecimal, _ pendingZeros: inout Int) {
            if n.overflow { return }
            if d == 0 { if n.digits != 0 { pendingZeros += 1 }; return }
            for _ in 0..<(pendingZeros + 1) {
                let (m, o) = n.digits.multipliedReportingOverflow(by: 10)
                if o { n.overflow = true; return }
                n.digits = m
            }
            let (s, o) = n.digits.addingReportingOverflow(UInt64(d))
            if o { n.overflow = true; return }
            n.digits = s
            pendingZeros = 0
        }
        if current == UInt8(ascii: "-") { n.negative = true; offset += 1 }
        guard let first = current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            offset = start
            throw fault("expected a number, found \(foundWhat())")
        }
        if first == UInt8(ascii: "0") {
            offset += 1
        } else {
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                digit(c - UInt8(ascii: "0"), &n, &pendingZeros); offset += 1
            }
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            let fractionStart = offset
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                digit(c - UInt8(ascii: "0"), &n, &pendingZeros); n.exponent -= 1; offset += 1
            }
            guard offset > fractionStart else { throw fault("malformed number: no digit after the decimal point") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            var negative = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                negative = current == UInt8(ascii: "-"); offset += 1
            }
            let exponentStart = offset
            var e = 0
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                e = min(e * 10 + Int(c - UInt8(ascii: "0")), 1_000_000)
                offset += 1
            }
            guard offset > exponentStart else { throw fault("malformed number: no digit in the exponent") }
            n.exponent += negative ? -e : e
        }
        n.exponent += pendingZeros
        return (n, start..<offset)
    }

    /// The text of a range of the document (a number, for messages).
    func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }

    /// An integer that fits `T`; written as an integer or as an exact whole number ("5.0", "5e0").
    mutating func integer<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(JSONFault) -> T {
        skipSpace()
        let start = offset
        let (n, range) = try number()
        switch n.integer(scale: 0) {
        case .success(let v):
            if let exact = T(exactly: v) { return exact }
        case .failure(.fraction):
            throw JSONFault(message: "\(text(range)) is not a whole number", offset: start)
        case .failure(.outOfRange): break
        }
        throw JSONFault(message: "\(text(range)) does not fit in \(T.self)", offset: start)
    }

    mutating func int() throws(JSONFault) -> Int { try integer(Int.self) }
}
