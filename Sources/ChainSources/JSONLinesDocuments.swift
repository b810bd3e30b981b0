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
