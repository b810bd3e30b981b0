import BitcoinPrimitives

/// Matching parameters; they go into every report's manifest.
public struct AdMatchingParameters: Sendable, Hashable, Codable {
    /// How long before `posted_at` the paying transaction's block may be (minutes).
    public var windowBeforeMinutes: Int
    /// How long after `posted_at` the block may be (minutes): blocks confirm a payment some time after the
    /// site saw it in the mempool and published the ad.
    public var windowAfterMinutes: Int
    /// Relative tolerance for USD-priced ads, in percent of the converted price (rates move within a day and
    /// sites round). BTC-priced ads must match to the satoshi.
    public var tolerancePercent: Double

    /// The longest window the matcher uses (ten years); longer ones are clamped to it. The command line
    /// refuses them.
    public static let maximumWindowMinutes = 10 * 366 * 24 * 60

    public init(windowBeforeMinutes: Int = 180, windowAfterMinutes: Int = 120, tolerancePercent: Double = 3) {
        self.windowBeforeMinutes = windowBeforeMinutes
        self.windowAfterMinutes = windowAfterMinutes
        self.tolerancePercent = tolerancePercent
    }
}

public struct AdMatch: Sendable, Hashable {
    public enum Status: String, Sendable, Codable { case matched, ambiguous, unmatched }
    public enum Basis: String, Sendable, Codable {
        /// The only payment of that price in the window, and no other ad wants it.
        case unique
        /// Several candidates, but every one-to-one assignment of the payments gives this one.
        case forcedByExclusion = "forced-by-exclusion"
        /// The alternatives are other outputs of the same value in the same transaction (same payer): the
        /// chain cannot tell which output paid which of these ads; outputs go to ads in posting order.
        case interchangeableOutputs = "interchangeable-outputs"
        /// Chosen among otherwise equal candidates because that payer cluster paid other, certain, ads
        /// listing the same contact.
        case contactAffinity = "contact-affinity"
        /// Several ads of one price compete for exactly as many payments, every ad must take one, and no
        /// earlier rule separates them: the k-th posted ad takes the k-th payment by block time (the
        /// maximum-likelihood assignment when posting delays are independent with a log-concave density).
        case postingOrder = "posting-order"
        /// Like `postingOrder`, but decided only once the assignments giving each payer cluster's payments to ads
        /// of the fewest contacts are preferred (one payer, one advertiser, one phone).
        case fewestContacts = "fewest-contacts-per-payer"
        /// One payment whose value is the sum of several ads' prices (same contact, all in their windows), and
        /// nothing else explains these ads or this payment (see `CombinedPayments`).
        case coversSeveral = "covers-several"
        case none
    }
    public var ad: Int
    public var status: Status
    public var basis: Basis
    /// Index into the payments array.
    public var payment: Int?
    public var confidence: Double
    public var reason: String
    /// Every candidate payment (indices into the payments array).
    public var candidates: [Int]
    /// Ads (indices) whose payments are interchangeable with this one's.
    public var interchangeableWith: [Int]
    /// The price in satoshis the ad asked for (USD converted), when it could be computed.
    public var expectedSat: Int64?
    /// Ads (indices) paid by the same payment as this one, when one payment covers several ads.
    public var coveredWith: [Int] = []
}

public enum AdMatching {
    /// The price an ad asks for, in satoshis, or nil for a USD price on a day with no rate or one that
    /// converts outside 1 satoshi … 21 million BTC.
    public static func expectedSatoshis(_ ad: Ad, rates: RateTable) -> Int64? {
        if case .success(let sat) = price(of: ad, rates: rates) { return sat }
        return nil
    }

    /// Why an ad has no price in satoshis.
    enum Unpriced: Error { case noRate, outOfRange }

    static func price(of ad: Ad, rates: RateTable) -> Result<Int64, Unpriced> {
        switch ad.price {
        case .btc(let a):
            return (1 ... Amount.maxMoney.satoshis).contains(a.satoshis) ? .success(a.satoshis) : .failure(.outOfRange)
        case .usdCents(let cents):
            guard let rate = rates.rate(onDayOf: ad.postedAt), rate > 0 else { return .failure(.noRate) }
            let sat = (Double(cents) / 100 / rate * 1e8).rounded()
            // Checked before converting: Int64(x) traps on anything out of range, infinity or NaN.
            guard sat >= 1, sat <= Double(Amount.maxMoney.satoshis) else { return .failure(.outOfRange) }
            return .success(Int64(sat))
        }
    }

    static func priceFits(_ ad: Ad, expected: Int64, value: Int64, parameters p: AdMatchingParameters) -> Bool {
        switch ad.price {
        case .btc: return value == expected
        case .usdCents:
            return abs(Double(value) - Double(expected)) <= Double(expected) * p.tolerancePercent / 100
        }
    }

    /// Matches ads to payments into the site. Deterministic: the same inputs give the same result.
    ///
    /// The rules, in order: the certain matches (`unique`, `forcedByExclusion`, `interchangeableOutputs`);
    /// for the rest, the assignments that match the most ads and agree best with the contact evidence
    /// (`forcedByExclusion`, `contactAffinity`); posting order for what is still ambiguous (`PostingOrder`);
    /// one payment for several ads where nothing else explains them (`CombinedPayments`).
    ///
    /// `paymentNames[i]` names payment `i` in the reasons (e.g. `txid:vout`); `payment #i` when absent.
    public static func match(ads: [Ad], payments: [SitePayment], rates: RateTable,
                             parameters p: AdMatchingParameters = AdMatchingParameters(),
                             paymentNames: [String] = []) -> [AdMatch] {
        var matcher = AdMatcher(ads: ads, payments: payments, rates: rates, parameters: p)
        matcher.findCertainMatches()
        matcher.weighOpenAds()
        matcher.applyPostingOrder()
        matcher.assignInterchangeableOutputs()
        matcher.findCombinedPayments()
        return ads.indices.map { matcher.result(for: $0, paymentNames: paymentNames) }
    }

    static func lowerBound(_ a: [Int64], _ x: Int64) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] < x { lo = m + 1 } else { hi = m } }
        return lo
    }

    /// `t` moved later (or `earlier`) by a window of `minutes`, saturating at the ends of Int64: times and
    /// windows come from files and the command line, and no value of either may trap. Windows are clamped to
    /// ±`AdMatchingParameters.maximumWindowMinutes`, so a payment inside one is never further from the ad than
    /// that (differences of the two times cannot overflow either).
    static func shifted(_ t: Int64, byMinutes minutes: Int, earlier: Bool = false) -> Int64 {
        let limit = AdMatchingParameters.maximumWindowMinutes
        let seconds = Int64(min(max(minutes, -limit), limit)) * 60
        let (sum, overflow) = earlier ? t.subtractingReportingOverflow(seconds) : t.addingReportingOverflow(seconds)
        guard overflow else { return sum }
        return (seconds < 0) != earlier ? .min : .max
    }
}
