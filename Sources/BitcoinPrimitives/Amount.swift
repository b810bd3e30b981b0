/// An amount of bitcoin in integer satoshis. Never a floating-point number past the JSON boundary.
public struct Amount: Hashable, Sendable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, AdditiveArithmetic {
    public var satoshis: Int64

    public static let satoshisPerBitcoin: Int64 = 100_000_000
    /// Core's `MAX_MONEY`.
    public static let maxMoney = Amount(satoshis: 21_000_000 * 100_000_000)
    public static let zero = Amount(satoshis: 0)

    @inlinable public init(satoshis: Int64) { self.satoshis = satoshis }
    public init(integerLiteral value: Int64) { satoshis = value }

    public static func < (a: Amount, b: Amount) -> Bool { a.satoshis < b.satoshis }
    public static func + (a: Amount, b: Amount) -> Amount { Amount(satoshis: a.satoshis + b.satoshis) }
    public static func - (a: Amount, b: Amount) -> Amount { Amount(satoshis: a.satoshis - b.satoshis) }

    public init(from decoder: any Decoder) throws { satoshis = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(satoshis)
    }

    /// Exact conversion of a decimal BTC string ("0.00012345", "50", "-1.5") to satoshis; nil when it has
    /// more than 8 decimals, is not a number, or overflows.
    public init?(btcString s: some StringProtocol) {
        var text = Substring(s)
        var negative = false
        if text.first == "-" { negative = true; text = text.dropFirst() }
        var intPart = text
        var frac: Substring = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = text[..<dot]
            frac = text[text.index(after: dot)...]
        }
        // Exponent forms ("1e-05") come from some JSON writers; resolve them exactly.
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            // Any exponent beyond ±30 is far outside MAX_MONEY or below a satoshi: refuse it before building
            // a string of that many zeros.
            guard let exp = Int(text[text.index(after: e)...]), (-30...30).contains(exp) else { return nil }
            let mantissa = text[..<e]
            var digits = mantissa.replacingOccurrences(".", with: "")
            let pointPos = (mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
                ?? mantissa.count) + exp
            if pointPos <= 0 { digits = String(repeating: "0", count: -pointPos + 1) + digits }
            let p = max(pointPos, 1)
            while digits.count < p { digits += "0" }
            let idx = digits.index(digits.startIndex, offsetBy: p)
            let rebuilt = (negative ? "-" : "") + digits[..<idx] + "." + digits[idx...]
            guard let a = Amount(btcString: rebuilt) else { return nil }
            self = a
            return
        }
        guard !intPart.isEmpty || !frac.isEmpty,
              intPart.allSatisfy(\.isASCIIDigit), frac.allSatisfy(\.isASCIIDigit) else { return nil }
        // Trailing zeros beyond 8 decimals are harmless (JSON writers print 0.100000000).
        while frac.count > 8, frac.last == "0" { frac = frac.dropLast() }
        guard frac.count <= 8, intPart.count <= 11 else { return nil }
        let whole = Int64(intPart.isEmpty ? "0" : String(intPart)) ?? 0
        let fracText = String(frac) + String(repeating: "0", count: 8 - frac.count)
        let fraction = Int64(fracText) ?? 0
        // Eleven integer digits can exceed Int64 once scaled: overflow is "not an amount", never a trap.
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: Amount.satoshisPerBitcoin)
        guard !overflow else { return nil }
        let (sats, overflow2) = scaled.addingReportingOverflow(fraction)
        guard !overflow2 else { return nil }
        satoshis = negative ? -sats : sats
    }

    /// "0.00012345" with exactly eight decimals.
    public var btcString: String {
        let sign = satoshis < 0 ? "-" : ""
        let m = satoshis.magnitude
        let whole = m / 100_000_000
        let frac = String(m % 100_000_000)
        return sign + String(whole) + "." + String(repeating: "0", count: 8 - frac.count) + frac
    }

    public var description: String { "\(satoshis) sat" }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension Substring {
    fileprivate func replacingOccurrences(_ a: Character, with b: String) -> String {
        var s = ""
        for c in self { if c == a { s += b } else { s.append(c) } }
        return s
    }
}
