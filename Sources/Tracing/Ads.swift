import BitcoinPrimitives

/// A scraped ad as the investigator holds it.
public struct Ad: Sendable, Hashable {
    public enum Price: Sendable, Hashable {
        case btc(Amount)
        /// US cents, converted with the rate of the day the ad was posted.
        case usdCents(Int64)
    }
    public var id: String
    /// Unix seconds.
    public var postedAt: Int64
    public var price: Price
    public var contact: String
    /// Where the ad came from (line number in its file), for error messages and reports.
    public var line: Int

    public init(id: String, postedAt: Int64, price: Price, contact: String, line: Int = 0) {
        self.id = id; self.postedAt = postedAt; self.price = price; self.contact = contact; self.line = line
    }
}

/// USD per BTC by UTC day (days since 1970-01-01).
public struct RateTable: Sendable, Hashable {
    public var usdPerBTC: [Int: Double]
    public init(usdPerBTC: [Int: Double] = [:]) { self.usdPerBTC = usdPerBTC }
    /// Floor division, so times before 1970 fall on the day they belong to (and Int64.min does not overflow).
    public static func day(ofUnix t: Int64) -> Int { Int(t / 86_400 - (t % 86_400 < 0 ? 1 : 0)) }
    public func rate(onDayOf t: Int64) -> Double? { usdPerBTC[RateTable.day(ofUnix: t)] }
}
