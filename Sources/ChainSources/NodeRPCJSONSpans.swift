/// Finds the byte ranges of JSON values without building them, so a batch answer of large `getblock` results
/// can be split into per-call results and each handed to the block decoder as the bytes the node sent.
///
/// Only structure is checked (balanced brackets, closed strings); the decoder that reads a value checks the rest.
struct NodeRPCJSONSpans {
    struct Fault: Error {
        var offset: Int
        var message: String
    }

    let bytes: [UInt8]

    /// The ranges of the elements of the top-level array.
    func arrayElements() throws(Fault) -> [Range<Int>] {
        var i = skipSpace(0)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else {
            throw Fault(offset: i, message: "expected a JSON array (a batch answer)")
        }
        i = skipSpace(i + 1)
        var out: [Range<Int>] = []
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { return try finish(out, after: i + 1) }
        while true {
            let end = try valueEnd(from: i)
            out.append(i..<end)
            i = skipSpace(end)
            guard i < bytes.count else { throw Fault(offset: i, message: "unterminated array") }
            if bytes[i] == UInt8(ascii: ",") { i = skipSpace(i + 1); continue }
            if bytes[i] == UInt8(ascii: "]") { return try finish(out, after: i + 1) }
            throw Fault(offset: i, message: "expected ',' or ']' in the array")
        }
    }

    /// The members of the object at `range`: key (unescaped only when it has no escapes) → value range.
    func objectMembers(_ range: Range<Int>) throws(Fault) -> [String: Range<Int>] {
        var i = skipSpace(range.lowerBound)
        guard i < range.upperBound, bytes[i] == UInt8(ascii: "{") else {
            throw Fault(offset: i, message: "expected a JSON object")
        }
        i = skipSpace(i + 1)
        var out: [String: Range<Int>] = [:]
        if i < range.upperBound, bytes[i] == UInt8(ascii: "}") { return out }
        while true {
            guard i < range.upperBound, bytes[i] == UInt8(ascii: "\"") else {
                throw Fault(offset: i, message: "expected a member name")
            }
            let keyEnd = try stringEnd(from: i)
            let key = String(decoding: bytes[(i + 1)..<(keyEnd - 1)], as: UTF8.self)
            i = skipSpace(keyEnd)
            guard i < range.upperBound, bytes[i] == UInt8(ascii: ":") else {
                throw Fault(offset: i, message: "expected ':' after member name")
            }
            i = skipSpace(i + 1)
            let end = try valueEnd(from: i)
            out[key] = i..<end
            i = skipSpace(end)
            guard i < range.upperBound else { throw Fault(offset: i, message: "unterminated object") }
            if bytes[i] == UInt8(ascii: ",") { i = skipSpace(i + 1); continue }
            if bytes[i] == UInt8(ascii: "}") { return out }
            throw Fault(offset: i, message: "expected ',' or '}' in the object")
        }
    }

    func isNull(_ range: Range<Int>) -> Bool {
        range.count == 4 && bytes[range].elementsEqual("null".utf8)
    }

    private func finish(_ out: [Range<Int>], after i: Int) throws(Fault) -> [Range<Int>] {
        let j = skipSpace(i)
        guard j == bytes.count else { throw Fault(offset: j, message: "unexpected bytes after the JSON value") }
        return out
    }

    private func skipSpace(_ from: Int) -> Int {
        var i = from
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0a, 0x0d: i += 1
            default: return i
            }
        }
        return i
    }

    /// One past the closing quote of the string starting at `from`.
    private func stringEnd(from: Int) throws(Fault) -> Int {
        var i = from + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        throw Fault(offset: from, message: "unterminated string")
    }

    /// One past the end of the value starting at `from`.
    private func valueEnd(from: Int) throws(Fault) -> Int {
        guard from < bytes.count else { throw Fault(offset: from, message: "expected a value, found the end") }
        switch bytes[from] {
        case UInt8(ascii: "\""):
            return try stringEnd(from: from)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = from
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""): i = try stringEnd(from: i); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            throw Fault(offset: from, message: "unbalanced brackets")
        default:
            var i = from
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0a, 0x0d:
                    guard i > from else { throw Fault(offset: from, message: "expected a value") }
                    return i
                default: i += 1
                }
            }
            guard i > from else { throw Fault(offset: from, message: "expected a value") }
            return i
        }
    }
}
