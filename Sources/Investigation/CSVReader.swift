/// RFC 4180 CSV: commas, double-quoted fields with "" escapes, CRLF or LF. Rows keep their line number so
/// errors can point at them.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [(line: Int, fields: [String])]

    public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    public init(text: String, file: String) throws {
        var records: [(Int, [String])] = []
        var field = ""
        var fields: [String] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var fieldWasQuoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func nextScalar() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = nextScalar() {
            if inQuotes {
                if c == "\"" {
                    if let n = nextScalar() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !fieldWasQuoted else {
                    throw InputError(file: file, line: line, "stray double quote inside an unquoted field")
                }
                inQuotes = true; fieldWasQuoted = true
            case ",":
                fields.append(field); field = ""; fieldWasQuoted = false
            case "\r":
                continue
            case "\n":
                fields.append(field); field = ""; fieldWasQuoted = false
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
                fields = []
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw InputError(file: file, line: recordLine, "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted {
            fields.append(field)
            records.append((recordLine, fields))
        }
        guard let first = records.first else { throw InputError(file: file, "empty file: expected a header row") }
        header = first.1.map { $0.trimmingSpaces() }
        rows = []
        for (l, f) in records.dropFirst() {
            guard f.count == header.count else {
                throw InputError(file: file, line: l, "expected \(header.count) fields (\(header.joined(separator: ","))), found \(f.count)")
            }
            rows.append((l, f))
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\u{FEFF}" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
