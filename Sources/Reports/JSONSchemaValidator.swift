import Foundation

/// Validates JSON against the subset of JSON Schema (2020-12) that Spoor's report schema uses: `type`
/// (single or list), `const`, `enum`, `anyOf`, `properties`, `required`, `additionalProperties: false`,
/// `items`, `minItems`, `minLength`, `pattern`, `minimum`, `maximum`. A keyword outside that subset is an
/// error, so the schema cannot silently say more than is checked. No Swift package offers a validator.
public struct JSONSchemaValidator {
    public struct Violation: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var message: String
        public var description: String { "\(path.isEmpty ? "/" : path): \(message)" }
    }

    static let understood: Set<String> = [
        "$schema", "$id", "title", "description", "type", "const", "enum", "anyOf", "properties", "required",
        "additionalProperties", "items", "minItems", "minLength", "pattern", "minimum", "maximum",
    ]

    let schema: Any

    public init(schemaData: Data) throws {
        schema = try JSONSerialization.jsonObject(with: schemaData, options: [.fragmentsAllowed])
    }

    /// Every violation (empty when valid).
    public func validate(_ data: Data) throws -> [Violation] {
        let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        var out: [Violation] = []
        check(value, against: schema, path: "", into: &out)
        return out
    }

    private func check(_ v: Any, against s: Any, path: String, into out: inout [Violation]) {
        guard let s = s as? [String: Any] else {
            if let b = s as? Bool, !b { out.append(Violation(path: path, message: "not allowed")) }
            return
        }
        for key in s.keys where !Self.understood.contains(key) {
            out.append(Violation(path: path, message: "schema keyword '\(key)' is not supported by this validator"))
        }
        if let t = s["type"] {
            let types = (t as? [String]) ?? [(t as? String) ?? ""]
            if !types.contains(where: { Self.matches(v, type: $0) }) {
                out.append(Violation(path: path, message: "expected \(types.joined(separator: " or ")), found \(Self.typeName(v))"))
                return
            }
        }
        if let c = s["const"], !Self.equal(c, v) { out.append(Violation(path: path, message: "expected the constant \(c)")) }
        if let e = s["enum"] as? [Any], !e.contains(where: { Self.equal($0, v) }) {
            out.append(Violation(path: path, message: "'\(v)' is not one of \(e)"))
        }
        if let any = s["anyOf"] as? [Any] {
            let ok = any.contains { sub in
                var tmp: [Violation] = []
                check(v, against: sub, path: path, into: &tmp)
                return tmp.isEmpty
            }
            if !ok { out.append(Violation(path: path, message: "matches none of the anyOf alternatives")) }
        }
        if let o = v as? [String: Any] {
            let props = s["properties"] as? [String: Any] ?? [:]
            for r in s["required"] as? [String] ?? [] where o[r] == nil {
                out.append(Violation(path: path, message: "missing required key '\(r)'"))
            }
            for (k, child) in o {
                if let ps = props[k] { check(child, against: ps, path: path + "/" + k, into: &out) }
                else if let extra = s["additionalProperties"] as? Bool, !extra {
                    out.append(Violation(path: path, message: "unexpected key '\(k)'"))
                }
            }
        }
        if let a = v as? [Any], !(v is [String: Any]) {
            if let min = s["minItems"] as? Int, a.count < min {
                out.append(Violation(path: path, message: "expected at least \(min) items, found \(a.count)"))
            }
            if let items = s["items"] { for (i, x) in a.enumerated() { check(x, against: items, path: "\(path)/\(i)", into: &out) } }
        }
        if let str = v as? String {
            if let min = s["minLength"] as? Int, str.count < min {
                out.append(Violation(path: path, message: "shorter than \(min) characters"))
            }
            if let p = s["pattern"] as? String {
                if str.range(of: p, options: .regularExpression) == nil {
                    out.append(Violation(path: path, message: "'\(str)' does not match \(p)"))
                }
            }
        }
        if let n = Self.number(v) {
            if let min = Self.number(s["minimum"] as Any), n < min { out.append(Violation(path: path, message: "\(n) < minimum \(min)")) }
            if let max = Self.number(s["maximum"] as Any), n > max { out.append(Violation(path: path, message: "\(n) > maximum \(max)")) }
        }
    }

    static func isBool(_ v: Any) -> Bool {
        if v is Bool && !(v is NSNumber) { return true }
        guard let n = v as? NSNumber else { return false }
        // JSONSerialization gives booleans as NSNumbers of C type "c" (char); numbers are never that type.
        return String(cString: n.objCType) == "c"
    }

    static func number(_ v: Any) -> Double? {
        guard let n = v as? NSNumber, !isBool(v) else { return nil }
        return n.doubleValue
    }

    static func matches(_ v: Any, type: String) -> Bool {
        switch type {
        case "null": return v is NSNull
        case "boolean": return isBool(v)
        case "integer": if let d = number(v) { return d == d.rounded() } else { return false }
        case "number": return number(v) != nil
        case "string": return v is String
        case "array": return v is [Any]
        case "object": return v is [String: Any]
        default: return false
        }
    }

    static func typeName(_ v: Any) -> String {
        for t in ["null", "boolean", "integer", "number", "string", "object", "array"] where matches(v, type: t) { return t }
        return "unknown"
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if isBool(a) || isBool(b) { return isBool(a) && isBool(b) && (a as? Bool) == (b as? Bool) }
        if let x = number(a), let y = number(b) { return x == y }
        if a is NSNull && b is NSNull { return true }
        return false
    }
}
