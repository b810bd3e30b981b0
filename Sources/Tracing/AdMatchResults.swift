import BitcoinPrimitives

extension AdMatcher {
    /// The verdict on ad `a` once every rule has run, with the reason a reader of the report gets.
    func result(for a: Int, paymentNames: [String]) -> AdMatch {
        let want: Int64
        switch price[a] {
        case .success(let sat): want = sat
        case .failure(let why):
            let reason = why == .noRate ? "no USD/BTC rate for the day the ad was posted"
                : "its price converts to less than a satoshi or more than 21 million BTC"
            return AdMatch(ad: a, status: .unmatched, basis: .none, payment: nil, confidence: 0, reason: reason,
                           candidates: [], interchangeableWith: [], expectedSat: nil)
        }
        let (status, basis) = verdict(a)
        guard status == .matched, let pay = finalPayment[a] else {
            return AdMatch(ad: a, status: status == .matched ? .unmatched : status, basis: .none, payment: nil,
                           confidence: 0, reason: reasonUnmatched(a, status: status, want: want, paymentNames: paymentNames),
                           candidates: candidates[a], interchangeableWith: [], expectedSat: want)
        }
        let (confidence, reason) = reasonMatched(a, basis: basis, payment: pay, want: want, paymentNames: paymentNames)
        return AdMatch(ad: a, status: .matched, basis: basis, payment: pay, confidence: confidence, reason: reason,
                       candidates: candidates[a], interchangeableWith: groupOf[a] ?? [], expectedSat: want,
                       coveredWith: coveredWith[a] ?? [])
    }

    /// Which rule decided the ad, in the order the rules take precedence.
    private func verdict(_ a: Int) -> (AdMatch.Status, AdMatch.Basis) {
        var (status, basis): (AdMatch.Status, AdMatch.Basis)
        if let c = certain[a], c.basis != .interchangeableOutputs { (status, basis) = (.matched, c.basis) }
        else if coveredWith[a] != nil { (status, basis) = (.matched, .coversSeveral) }
        else if let d = decided[a] { (status, basis) = d }
        else { (status, basis) = (.unmatched, .none) }
        // A match among outputs that other ads share is interchangeable, whatever singled out its transaction.
        if status == .matched, groupOf[a] != nil, basis == .unique || basis == .forcedByExclusion { basis = .interchangeableOutputs }
        return (status, basis)
    }

    private var windowText: String {
        "\(parameters.windowBeforeMinutes) min before to \(parameters.windowAfterMinutes) min after posting"
    }

    private func paymentName(_ q: Int, _ names: [String]) -> String { q < names.count ? names[q] : "payment #\(q)" }

    private func reasonUnmatched(_ a: Int, status: AdMatch.Status, want: Int64, paymentNames: [String]) -> String {
        let c = candidates[a]
        var reason: String
        if c.isEmpty {
            reason = "no payment of \(Amount(satoshis: want).btcString) BTC into the site from \(windowText)"
        } else if status == .ambiguous, let contest = postingOrder.contests[a] {
            reason = contest.reason(for: a, ads: ads, paymentName: { paymentName($0, paymentNames) })
        } else if status == .ambiguous {
            let clusters = Set(c.map { payments[$0].payerCluster })
            reason = "\(Wording.count(c.count, "candidate payment")) from \(Wording.count(clusters.count, "payer cluster")); several assignments of payments to ads fit equally well, so none is chosen"
        } else {
            reason = "\(c.count == 1 ? "its candidate payment is" : "its \(c.count) candidate payments are") matched to other ads that have no other candidate"
        }
        if let n = combined.rejected[a] {
            reason += "; \(Wording.count(n, "combination")) of it with other ads of the same contact add up to a free payment, but not in one way only, so no combined payment is chosen"
        }
        return reason
    }

    private func reasonMatched(_ a: Int, basis: AdMatch.Basis, payment pay: Int, want: Int64,
                               paymentNames: [String]) -> (confidence: Double, reason: String) {
        let c = candidates[a]
        let priceText = Amount(satoshis: want).btcString + " BTC"
        switch basis {
        case .unique:
            return (0.95, "the only payment of \(priceText) into the site from \(windowText), wanted by no other ad")
        case .forcedByExclusion:
            return (0.9, "\(c.count) candidate payments, but every assignment that matches the most ads gives this one")
        case .interchangeableOutputs:
            let outputs = (groupOf[a]?.count ?? 0) + 1
            return (0.85, "paid by this transaction; it holds \(outputs) outputs of the same value for ads that could each take any of them, so which output paid which ad cannot be told from the chain (assigned in posting order)")
        case .contactAffinity:
            return (0.7, "\(c.count) candidate payments; chosen because its payer cluster paid other, certain, ads listing the same contact, which no equally good alternative does")
        case .postingOrder, .fewestContacts:
            let reason = postingOrder.contests[a]?.reason(for: a, ads: ads, paymentName: { paymentName($0, paymentNames) })
            return (basis == .postingOrder ? 0.6 : 0.55, reason ?? "posting order")
        case .coversSeveral:
            let others = coveredWith[a] ?? []
            let prices = ([a] + others).map { Amount(satoshis: expected[$0] ?? 0).btcString }.joined(separator: " + ")
            return (0.75, "one payment of \(Amount(satoshis: payments[pay].value).btcString) BTC pays this ad and \(others.count == 1 ? "ad" : "ads") \(others.map { ads[$0].id }.joined(separator: ", ")) together: they list the same contact, the block is in every one's window, and their prices add up to it (\(prices) BTC); their own-price candidates are all taken by other ads, and no other payment or set of ads fits this way")
        case .none:
            return (0, "")
        }
    }
}
