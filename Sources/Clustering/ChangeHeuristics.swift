import BitcoinAddresses
import ChainIndex

// The change heuristics. Each returns the outputs it identifies as possible change; none applies to a
// transaction with fewer than two addressed outputs (there is no payment to tell change from).

extension TxView {
    /// Outputs that could be change at all: they pay an address, and there are at least two of them.
    var changeCandidatesBase: OutputSet {
        let s = addressedOutputs
        return s.count >= 2 ? s : .empty
    }
}

/// `change.fresh-address`: Meiklejohn's one-time change. Wallets send change to a new address, so an
/// output whose address appears for the first time is a candidate — when some other output pays an
/// address seen before (otherwise nothing tells the outputs apart).
public struct FreshAddressChange: ChangeHeuristic {
    public let id = HeuristicRegistry.freshAddress
    public let references: [Reference] = [.meiklejohn2013, .androulaki2013]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        let fresh = base.intersection(tx.fresh)
        return base.subtracting(fresh).isEmpty ? .empty : fresh
    }
}

/// `change.optimal`: an output smaller than every input. Had the payment been that small, coin selection
/// would not have needed the smallest input, so the small output is more likely the change.
public struct OptimalChange: ChangeHeuristic {
    public let id = HeuristicRegistry.optimalChange
    public let references: [Reference] = [.nick2015, .blocksci2020]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        guard !base.isEmpty, tx.inputCount > 0 else { return .empty }
        var smallest = Int64.max
        for i in 0..<tx.inputCount { smallest = min(smallest, tx.inputValue(i)) }
        var s = OutputSet()
        for o in base where tx.outputValue(o) < smallest { s.insert(o) }
        return s
    }
}

/// `change.address-type`: when all inputs are of one script type, the outputs of that type. Wallets make
/// change of their own type; payees choose theirs.
public struct AddressTypeChange: ChangeHeuristic {
    public let id = HeuristicRegistry.addressType
    public let references: [Reference] = [.blocksci2020, .moser2022]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        guard !base.isEmpty, tx.inputCount > 0 else { return .empty }
        let kind = tx.inputKind(0)
        for i in 1..<tx.inputCount where tx.inputKind(i) != kind { return .empty }
        var s = OutputSet()
        for o in base where tx.outputKind(o) == kind { s.insert(o) }
        return s
    }
}

/// `change.round-payment`: payments tend to be round amounts; change is what is left. When at least one
/// output is round, the outputs that are not. "Round" is either a multiple of 10^digits satoshis (BlockSci's
/// `power_of_ten_value`) or, with `significant_digits`, an amount written with at most that many significant
/// digits (1.25 BTC, 0.0042 BTC, 11 500 000 sat): roundness relative to the amount's own size.
public struct RoundPaymentChange: ChangeHeuristic {
    public let id = HeuristicRegistry.roundPayment
    public let references: [Reference] = [.blocksci2020, .moser2022]
    /// BlockSci's `power_of_ten_value(digits = 6)`: 10^6 sat = 0.01 BTC.
    public static let defaultDigits = 6
    public let modulus: Int64
    public let significantDigits: Int?
    public init(digits: Int = RoundPaymentChange.defaultDigits, significantDigits: Int? = nil) {
        var m: Int64 = 1
        for _ in 0..<max(1, min(digits, 15)) { m *= 10 }
        modulus = m
        self.significantDigits = significantDigits
    }

    func isRound(_ v: Int64) -> Bool {
        guard let sig = significantDigits else { return v % modulus == 0 }
        guard v > 0 else { return false }
        var x = v
        while x % 10 == 0 { x /= 10 }
        var digits = 0
        while x > 0 { digits += 1; x /= 10 }
        return digits <= sig
    }

    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        var round = OutputSet()
        for o in base where isRound(tx.outputValue(o)) { round.insert(o) }
        return round.isEmpty ? .empty : base.subtracting(round)
    }
}

/// `change.reuse`: an output paying one of the inputs' addresses is the spender's own (address-reusing
/// wallets send change back to the spending address). It never adds a merge by itself — the address is
/// already in the inputs' cluster — but it identifies change and, in rules, rules the other outputs out.
public struct ReuseChange: ChangeHeuristic {
    public let id = HeuristicRegistry.reuse
    public let references: [Reference] = [.blocksci2020, .moser2022]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        guard !base.isEmpty else { return .empty }
        var inputs = Set<UInt32>()
        for i in 0..<tx.inputCount { inputs.insert(tx.inputAddress(i)) }
        var s = OutputSet()
        for o in base where inputs.contains(tx.outputAddress(o)) { s.insert(o) }
        return s
    }
}

/// `change.fingerprint`: the change goes back to the same wallet, which spends it later with the same
/// habits: the outputs whose spending transaction matches this one's version, locktime use (set or zero)
/// and RBF signalling. Unspent outputs are never candidates.
public struct FingerprintChange: ChangeHeuristic {
    public let id = HeuristicRegistry.fingerprint
    public let references: [Reference] = [.blocksci2020, .moser2022]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        guard !base.isEmpty else { return .empty }
        let me = tx.shape
        var s = OutputSet()
        for o in base {
            guard let sp = tx.outputSpender(o) else { continue }
            if sp.version == me.version && sp.lockTimeIsSet == me.lockTimeIsSet && sp.signalsRBF == me.signalsRBF {
                s.insert(o)
            }
        }
        return s
    }
}

/// `change.peel-chain`: in a peeling chain (one input, two outputs, repeated), the change is the output
/// that is spent by the next link — a transaction that again has one input and two outputs.
public struct PeelChainChange: ChangeHeuristic {
    public let id = HeuristicRegistry.peelChain
    public let references: [Reference] = [.blocksci2020, .schnoering2023]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        guard tx.inputCount == 1, tx.outputCount == 2 else { return .empty }
        let base = tx.changeCandidatesBase
        var s = OutputSet()
        for o in base {
            if let sp = tx.outputSpender(o), sp.inputCount == 1, sp.outputCount == 2 { s.insert(o) }
        }
        return s
    }
}

/// `change.wallet-type`: a wallet makes its change with one script type (Bitcoin Core's `-changetype`, or
/// the one type a wallet's descriptors give it), whatever type the payee asked for. The clusterer learns
/// that type per cluster, in chain order, from the change outputs the rule already picked in the
/// inputs' cluster; when every earlier pick had the same type and exactly one output here has it, that
/// output is the candidate. It never fires for a cluster with no earlier pick, or whose picks disagree
/// (a wallet that mimics the payee's type, as Core does by default for P2WPKH and P2TR payees).
public struct WalletChangeTypeChange: ChangeHeuristic {
    public let id = HeuristicRegistry.walletType
    public let references: [Reference] = [.kappos2022, .coreChangeType]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        let kinds = tx.clusterChangeKinds
        guard !base.isEmpty, kinds.nonzeroBitCount == 1 else { return .empty }
        let kind = UInt8(kinds.trailingZeroBitCount)  // Cast ok: a bit index of a UInt32, below 32.
        var s = OutputSet()
        for o in base where tx.outputKind(o) == kind { s.insert(o) }
        return s
    }
}

/// `change.same-block-spend`: the outputs spent in the same block as this transaction (for an unconfirmed
/// transaction: by another unconfirmed one). Bitcoin Core's wallet spends an unconfirmed output only when it
/// trusts it — its own transaction, every input its own (`CachedTxIsTrusted`, `-spendzeroconfchange` on by
/// default) — and never spends unconfirmed coins received from others. A spend in the same block was made
/// while the output was unconfirmed, so its spender is this transaction's sender: the output is change (or
/// a transfer to the sender's own address). Reads only spenders in the same block, which an ingest commits
/// together with this transaction, so it does not look ahead in the sense of incremental clustering.
public struct SameBlockSpendChange: ChangeHeuristic {
    public let id = HeuristicRegistry.sameBlockSpend
    public let references: [Reference] = [.coreTrustedSpend]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        var s = OutputSet()
        for o in base where tx.outputSpender(o)?.inSameBlock == true { s.insert(o) }
        return s
    }
}

/// `change.largest-input`: the unnecessary-input argument. When some output is at least as large as the
/// largest input, the outputs smaller than the largest input. Had an output ≥ the largest input been the
/// change, the payment and fee would have been covered without that input, which was then unnecessary;
/// coin selection that adds inputs until the target is met (Core's single random draw and knapsack) never
/// leaves its largest input unnecessary, so such an output is a payment and the change is among the
/// smaller ones. Silent when an input's value is unknown (0: its funding transaction was not loaded).
public struct LargestInputChange: ChangeHeuristic {
    public let id = HeuristicRegistry.largestInput
    public let references: [Reference] = [.bitcoinWikiUnnecessaryInput, .ermilov2017, .moser2022]
    public init() {}
    public func candidates(in tx: TxView) -> OutputSet {
        let base = tx.changeCandidatesBase
        guard !base.isEmpty, tx.inputCount > 0 else { return .empty }
        var largest: Int64 = 0
        for i in 0..<tx.inputCount {
            let v = tx.inputValue(i)
            guard v > 0 else { return .empty }
            largest = max(largest, v)
        }
        var smaller = OutputSet()
        var someAtLeast = false
        for o in base {
            if tx.outputValue(o) < largest { smaller.insert(o) } else { someAtLeast = true }
        }
        return someAtLeast ? smaller : .empty
    }
}
