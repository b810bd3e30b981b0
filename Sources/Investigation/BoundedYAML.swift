import Foundation
import Yams

/// YAML from outside (TagPacks, profiles) read with bounds: a document nested deeper than `maximumDepth`, or
/// whose aliases expand it beyond `maximumNodes`, is refused with an `InputError` instead of exhausting the
/// stack (5,000 nested levels crashed the parser) or memory (a 463-byte alias bomb grows without end).
///
/// How: a scan of the text refuses brackets or indentation deeper than a parser can safely recurse into; Yams
/// then composes the node tree (an alias is one shared node there, so this costs what the text costs); the
/// tree is turned into values here, counting every node as it is expanded, so expansion stops at the budget.
/// Scalars get Yams' own types (strings, integers, floats, booleans, timestamps). Merge keys (`<<`) are kept
/// as ordinary keys: neither TagPacks nor profiles use them.
public enum BoundedYAML {
    public static let maximumDepth = 64
    public static let maximumNodes = 2_000_000
    /// Bracket nesting and indentation columns above which the text is not handed to the parser at all.
    static let maximumTextNesting = 256

    public static func load(_ text: String, file: String) throws -> Any? {
        try checkNesting(text, file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw InputError(file: file, "not valid YAML: \(error)")
        }
        guard let root else { return nil }
        var budget = maximumNodes
        return try value(of: root, depth: 0, budget: &budget, file: file)
    }

    private static func value(of node: Node, depth: Int, budget: inout Int, file: String) throws -> Any {
        guard depth <= maximumDepth else {
            throw InputError(file: file, "nested more than \(maximumDepth) levels deep: refused")
        }
        budget -= 1
        guard budget >= 0 else {
            throw InputError(file: file, "expands to more than \(maximumNodes) values (YAML aliases repeating "
                             + "anchored parts, an \"alias bomb\"): refused")
        }
        switch node {
        case .scalar(let scalar):
            // Yams traps (SIGILL) on a base-60 integer that overflows Int ("1:00:00:00:00:00:00:00:00:00:00:00",
            // found by FuzzTagPackYAML): such integers are built here, with checked arithmetic, and one that
            // overflows stays the text it is, as a decimal too large for Int does.
            if node.tag.description == Tag.Name.int.rawValue, scalar.string.contains(":") {
                return sexagesimalInt(scalar.string) ?? scalar.string
            }
            return node.any
        case .sequence(let items):
            return try items.map { try value(of: $0, depth: depth + 1, budget: &budget, file: file) }
        case .mapping(let pairs):
            var out: [String: Any] = [:]
            for (key, v) in pairs {
                guard case .scalar = key, let name = key.string else {
                    throw InputError(file: file, "a mapping key that is not a plain value: refused")
                }
                out[name] = try value(of: v, depth: depth + 1, budget: &budget, file: file)
            }
            return out
        }
    }

    /// A base-60 integer as YAML 1.1 (and Yams) reads it — underscores dropped, an optional sign, parts last to
    /// first times a base that grows by 60 — or nil where Yams' own arithmetic would overflow Int.
    static func sexagesimalInt(_ text: String) -> Int? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        let negative = digits.first == "-"
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        var value = 0, base = 1
        for part in digits.split(separator: ":", omittingEmptySubsequences: false).reversed() {
            guard let digit = Int(part, radix: 10) else { continue }
            let (product, o1) = digit.multipliedReportingOverflow(by: base)
            let (sum, o2) = value.addingReportingOverflow(product)
            let (next, o3) = base.multipliedReportingOverflow(by: 60)
            if o1 || o2 || o3 { return nil }  // o3 after the last part too, where Yams would trap as well
            (value, base) = (sum, next)
        }
        return negative ? -value : value
    }

    /// Refuses text whose flow brackets or block indentation go deeper than the parser can safely recurse
    /// into, before it is parsed. Every bracket counts, in quotes and comments too: skipping quoted text would
    /// let a stray quote hide the nesting, and no real TagPack or profile comes near the limit.
    static func checkNesting(_ text: String, file: String) throws {
        var brackets = 0, line = 1, column = 0
        var atLineStart = true
        for c in text.unicodeScalars {
            switch c {
            case "\n":
                line += 1; column = 0; atLineStart = true
                continue
            case " " where atLineStart:
                column += 1
                if column > maximumTextNesting {
                    throw InputError(file: file, line: line, "indented more than \(maximumTextNesting) columns: refused")
                }
                continue
            case "[", "{":
                brackets += 1
                if brackets > maximumTextNesting {
                    throw InputError(file: file, line: line, "brackets nested more than \(maximumTextNesting) deep: refused")
                }
            case "]", "}": brackets = max(0, brackets - 1)
            default: break
            }
            atLineStart = false
        }
    }
}
