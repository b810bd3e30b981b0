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
            guard rates[day] == nil else { throw InputError(file: file, line: line, "day \(f[cd]) appears twice") }
            rates[day] = r
        }
        return RateTable(usdPerBTC: rates)
    }

    static func parseCents(_ s: String) -> Int64? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])), whole >= 0 else { return nil }
        var cents: Int64 = whole * 100
        if parts.count == 2 {
            let frac = parts[1]
            guard frac.count <= 2, frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            cents += Int64(frac.padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0
        }
        return cents
    }

    /// Days since 1970-01-01 for a proleptic Gregorian `YYYY-MM-DD`.
    public static func parseDay(_ s: String) -> Int? {
        let p = s.split(separator: "-")
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
              let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]), (1 ... 12).contains(m), (1 ... 31).contains(d)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
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
        let day = Int((t >= 0 ? t : t - 86_399) / 86_400)
        let secs = Int(t - Int64(day) * 86_400)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(dayString(day))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }
}
