#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One JSON value cut out of a text file, with the lines it spans.
public struct JSONDocument: Sendable {
    public var bytes: [UInt8]
    public var firstLine: Int
    public var lastLine: Int
}

/// Cuts a file into JSON documents: one per line for JSON lines, or one spread over many lines for a
/// pretty-printed file (an RPC response saved with `bitcoin-cli`, or `jq .` output). A document ends at the
/// line where its brackets balance again, so both layouts (and a mix) read the same way, and line numbers in
/// errors point at where the document starts.
public final class JSONDocumentReader {
    public let lines: GzipLineReader
    public var path: String { lines.path }

    public init(path: String) throws(SourceError) {
        lines = try GzipLineReader(path: path)
    }

    public init(lines: GzipLineReader) {
        self.lines = lines
    }

    /// The next document, or nil at the end of the file. Blank lines between documents are skipped.
    public func next() throws(SourceError) -> JSONDocument? {
        var scanner = BracketScanner()
        var text: [UInt8] = []
        var firstLine = 0
        while let line = try lines.nextLine() {
            if text.isEmpty {
                guard line.contains(where: { !Self.isWhitespace($0) }) else { continue }
                firstLine = lines.lineNumber
                scanner.scan(line)
                if scanner.isBalanced { return JSONDocument(bytes: line, firstLine: firstLine, lastLine: firstLine) }
                text = line
            } else {
                text.append(UInt8(ascii: "\n"))
                text.append(contentsOf: line)
                scanner.scan(line)
                if scanner.isBalanced {
                    return JSONDocument(bytes: text, firstLine: firstLine, lastLine: lines.lineNumber)
                }
            }
            if scanner.depth < 0 {
                throw SourceError("malformed JSON: a closing bracket without an opening one",
                                  at: SourceLocation(file: path, line: lines.lineNumber))
            }
        }
        guard !text.isEmpty else { return nil }
        throw SourceError("malformed JSON: the document starting at line \(firstLine) is not closed by the end "
                          + "of the file (truncated?)", at: SourceLocation(file: path, line: firstLine))
    }

    @inline(__always)
    static func isWhitespace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d
    }
}

/// Tracks bracket depth across lines, skipping brackets inside strings.
struct BracketScanner {
    private(set) var depth = 0
    private var inString = false
    private var escaped = false
    private var sawValue = false

    /// True once a whole value has been seen: brackets closed, or a scalar (a bare string or number).
    var isBalanced: Bool { sawValue && depth == 0 && !inString }

    mutating func scan(_ line: [UInt8]) {
        line.withUnsafeBufferPointer { p in
            for c in p {
                if inString {
                    if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true }
                    else if c == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; sawValue = true
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                case UInt8(ascii: "\""): inString = true; sawValue = true
                case 0x20, 0x09, 0x0d: break
                default: sawValue = true
                }
            }
        }
    }
}

extension DecodingError {
    /// "tx[3].vout[0].value", from the coding path: the key path a user can look up in the document.
    public var keyPath: String {
        let path: [any CodingKey]
        switch self {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .dataCorrupted(c): path = c.codingPath
        case let .keyNotFound(key, c): path = c.codingPath + [key]
        @unknown default: path = []
        }
        var s = ""
        for key in path {
            if let i = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == String(i) {
                s += "[\(i)]"
            } else {
                s += s.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return s.isEmpty ? "(top level)" : s
    }

    /// What went wrong, in words, without Swift type names where a plainer word will do.
    public var plainMessage: String {
        switch self {
        case let .typeMismatch(type, c):
            return "expected \(Self.plainTypeName(type)): \(c.debugDescription)"
        case let .valueNotFound(type, c):
            return "missing value (expected \(Self.plainTypeName(type))): \(c.debugDescription)"
        case .keyNotFound(let key, _):
            return "missing key \"\(key.stringValue)\""
        case let .dataCorrupted(c):
            if let underlying = c.underlyingError { return "\(c.debugDescription) (\(underlying))" }
            return c.debugDescription
        @unknown default:
            return "\(self)"
        }
    }

    static func plainTypeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "String": return "a string"
        case "Int", "Int32", "Int64", "UInt32", "UInt64", "Decimal", "Double": return "a number"
        case "Bool": return "true or false"
        default:
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a \(name)"
        }
    }
}
