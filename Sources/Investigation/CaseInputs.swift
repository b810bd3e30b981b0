import BitcoinPrimitives
import Foundation
import Tracing

/// The investigator's case files: ads, exchange rates, watchlists.
public enum CaseInputs {
    /// `ad_id,posted_at,price_btc,price_usd,contact`: exactly one of the prices per row.
    public static func parseAds(text: String, file: String) throws -> [Ad] {
        let table = try CSVTable(text: text, file: file)
        func col(_ name: String) throws -> Int {
            guard let c = table.column(name) else {
                throw InputError(file: file, line: 1, "missing column '\(name)' (have: \(table.header.joined(separator: ",")))")
            }
            return c
        }
        let (cid, cposted, cbtc, cusd, ccontact) = try (col("ad_id"), col("posted_at"), col("price_btc"), col("price_usd"), col("contact"))
        var seen = Set<String>()
        var ads: [Ad] = []
        for (line, f) in table.rows {
            let id = f[cid].trimmingSpaces()
            guard !id.isEmpty else { throw InputError(file: file, line: line, "empty ad_id") }
            guard seen.insert(id).inserted else { throw InputError(file: file, line: line, "duplicate ad_id '\(id)'") }
            guard let posted = Int64(f[cposted].trimmingSpaces()) else {
                throw InputError(file: file, line: line, "posted_at '\(f[cposted])' is not a unix time in seconds")
            }
            let btc = f[cbtc].trimmingSpaces(), usd = f[cusd].trimmingSpaces()
            let price: Ad.Price
            switch (btc.isEmpty, usd.isEmpty) {
            case (false, true):
                guard let a = Amount(btcString: btc), a.satoshis > 0 else {
                    throw InputError(file: file, line: line, "price_btc '\(btc)' is not a positive BTC amount with at most 8 decimals")
                }
                guard a <= Amount.maxMoney else {
                    throw InputError(file: file, line: line, "price_btc \(btc) is more than the 21 million BTC that can exist")
                }
                price = .btc(a)
            case (true, false):
                guard let cents = parseCents(usd), cents > 0 else {
                    throw InputError(file: file, line: line, "price_usd '\(usd)' is not a positive dollar amount with at most 2 decimals")
                }
                price = .usdCents(cents)
            case (false, false):
                throw InputError(file: file, line: line, "both price_btc and price_usd are set; expected one")
            case (true, true):
                throw InputError(file: file, line: line, "neither price_btc nor price_usd is set")
            }
            guard postedAtRange.contains(posted) else {
                let hint = posted > postedAtRange.upperBound ? " (milliseconds?)" : ""
                throw InputError(file: file, line: line, "posted_at \(posted) is not a unix time in seconds between \(isoTime(postedAtRange.lowerBound)) and \(isoTime(postedAtRange.upperBound))\(hint)")
            }
            ads.append(Ad(id: id, postedAt: posted, price: price, contact: f[ccontact].trimmingSpaces(), line: line))
        }
        return ads
    }

    /// `day,usd_per_btc` with days as `YYYY-MM-DD` (UTC).
    public static func parseRates(text: String, file: String) throws -> RateTable {
        let table = try CSVTable(text: text, file: file)
        guard let cd = table.column("day"), let cr = table.column("usd_per_btc") else {
            throw InputError(file: file, line: 1, "expected columns 'day,usd_per_btc'")
        }
        var rates: [Int: Double] = [:]
        for (line, f) in table.rows {
            guard let day = parseDay(f[cd].trimmingSpaces()) else {
                throw InputError(file: file, line: line, "day '\(f[cd])' is not a date YYYY-MM-DD")
            }
            guard let r = Double(f[cr].trimmingSpaces()), r.isFinite, r > 0 else {
                throw InputError(file: file, line: line, "usd_per_btc '\(f[cr])' is not a positive number")
            }
            guard usdPerBTCRange.contains(r) else {
                throw InputError(file: file, line: line, "usd_per_btc \(f[cr].trimmingSpaces()) is outside \(usdPerBTCRange.lowerBound) … \(Int(usdPerBTCRange.upperBound)) (a rate, in dollars per bitcoin)")
            }
            guard rates[day] == nil else { throw InputError(file: file, line: line, "day \(f[cd]) appears twice") }
            rates[day] = r
        }
        return RateTable(usdPerBTC: rates)
    }

    /// Ads posted outside these times (Bitcoin's genesis day to 2100) are refused: a millisecond timestamp
    /// or a typo, never a real ad.
    public static let postedAtRange: ClosedRange<Int64> = 1_230_940_800 ... 4_102_444_800
    /// Rates outside this range are refused (the lowest traded price was about $0.0008 in 2010).
    public static let usdPerBTCRange: ClosedRange<Double> = 0.0001 ... 1_000_000_000

    /// Dollars with at most two decimals, as cents; nil for anything else or an amount that overflows.
    static func parseCents(_ s: String) -> Int64? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy(isDigits),
              let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])) else { return nil }
        var (cents, overflow) = whole.multipliedReportingOverflow(by: 100)
        guard !overflow else { return nil }
        if parts.count == 2 {
            let frac = parts[1]
            guard frac.count <= 2 else { return nil }
            (cents, overflow) = cents.addingReportingOverflow(Int64(frac.padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0)
            guard !overflow else { return nil }
        }
        return cents
    }

    /// Days since 1970-01-01 for a proleptic Gregorian `YYYY-MM-DD`.
    public static func parseDay(_ s: String) -> Int? {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
              p.allSatisfy(isDigits),
              let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]), (1 ... 12).contains(m),
              (1 ... daysInMonth(m, year: y)).contains(d)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func isDigits(_ s: Substring) -> Bool { s.unicodeScalars.allSatisfy { ("0" ... "9").contains($0) } }

    static func daysInMonth(_ m: Int, year y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func dayString(_ day: Int) -> String {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))"
    }

    /// ISO 8601 UTC for a unix time.
    public static func isoTime(_ t: Int64) -> String {
        let day = RateTable.day(ofUnix: t)
        let secs = Int(t - Int64(day) * 86_400)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(dayString(day))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }
}
