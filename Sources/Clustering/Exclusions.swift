import BitcoinAddresses

// The exclusions Spoor ships. Each is a value with a stable id; a profile lists the ones it applies.
// Constants are the published ones (cited per type), never fitted to Spoor's sample chains.

private let p2wpkh = ScriptKind.witnessV0KeyHash.code
private let p2tr = ScriptKind.witnessV1Taproot.code

/// Counts of each output value, and the derived "indistinguishable output" groups (value seen ≥ 2 times).
struct OutputValueCounts {
    var counts: [Int64: Int] = [:]
    init(_ tx: TxView) {
        counts.reserveCapacity(tx.outputCount)
        for o in 0..<tx.outputCount { counts[tx.outputValue(o), default: 0] += 1 }
    }
    /// The most frequent value; ties go to the lowest value (BlockSci, graphsense).
    var mostFrequent: (value: Int64, count: Int)? {
        var best: (value: Int64, count: Int)?
        for (v, c) in counts {
            if let b = best, c < b.count || (c == b.count && v > b.value) { continue }
            best = (v, c)
        }
        return best
    }
    /// Groups of equal outputs with at least two members.
    var equalGroups: [(value: Int64, count: Int)] { counts.filter { $0.value >= 2 }.map { ($0.key, $0.value) } }
    var uniqueValueCount: Int { counts.values.filter { $0 == 1 }.count }
}

extension TxView {
    /// Whether two outputs carry the same value: every CoinJoin rule needs that, and most transactions
    /// fail it, so the rules check it first without allocating (quadratic only over ≤ 64 outputs).
    var hasEqualOutputs: Bool {
        let n = outputCount
        guard n >= 2 else { return false }
        if n > 64 { return OutputValueCounts(self).equalGroups.isEmpty == false }
        for i in 0..<(n - 1) {
            let v = outputValue(i)
            for j in (i + 1)..<n where outputValue(j) == v { return true }
        }
        return false
    }
}

/// `exclude.coinbase`: a coinbase has no spent inputs; nothing it does links addresses.
public struct CoinbaseExclusion: TransactionExclusion {
    public let id = HeuristicRegistry.coinbase
    public let references: [Reference] = [.meiklejohn2013]
    public init() {}
    public func matches(_ tx: TxView) -> Bool { tx.isCoinbase }
}

/// `exclude.coinjoin.generic`: BlockSci's CoinJoin test, exactly as BlockSci and graphsense-lib run it.
/// ≥ 2 inputs and ≥ 3 outputs; p = ⌊(outputs + 1) / 2⌋ participants (each with a spend and a change
/// output) must not exceed the input count nor the distinct input addresses; the most frequent output
/// value (ties: the lowest) occurs exactly p times; and that value is not one of the dust amounts 546
/// or 2730 satoshis.
public struct GenericCoinJoinExclusion: TransactionExclusion {
    public let id = HeuristicRegistry.genericCoinJoin
    public let references: [Reference] = [.blocksciCoinjoin, .graphsenseCoinjoin, .blocksci2020]
    public static let dustValues: Set<Int64> = [546, 2730]
    public init() {}
    /// Necessary for `matches`: its first guard.
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool { inputCount >= 2 && outputCount >= 3 }
    public func matches(_ tx: TxView) -> Bool {
        guard tx.inputCount >= 2, tx.outputCount >= 3, tx.hasEqualOutputs else { return false }
        let participants = (tx.outputCount + 1) / 2
        guard participants <= tx.inputCount else { return false }
        guard participants <= tx.distinctInputAddressCount else { return false }
        guard let top = OutputValueCounts(tx).mostFrequent, top.count == participants else { return false }
        return !Self.dustValues.contains(top.value)
    }
}

/// `exclude.coinjoin.generic-funded`: BlockSci's rule, plus the bookkeeping that BlockSci's own model
/// implies (each of the p participants pays in, takes one equal output and at most one change output back,
/// and pays part of the fee): the inputs must split into p groups, each worth at least the equal value,
/// such that every other output is the change of exactly one group (its surplus minus a fee share between
/// 0 and the whole fee) and every group without a change output has a surplus no larger than the fee.
/// Checked exactly for up to 12 inputs (partitions of the inputs, searched with pruning); above that only the
/// cheap necessary condition (no input worth more than the equal value plus the largest other output plus
/// the fee) is applied. It keeps BlockSci's detections and drops payments to two payees of the same amount,
/// which the bare rule flags.
public struct FundedGenericCoinJoinExclusion: TransactionExclusion {
    public let id = HeuristicRegistry.fundedGenericCoinJoin
    public let references: [Reference] = [.blocksciCoinjoin, .graphsenseCoinjoin, .dumplings]
    public static let exactCheckMaxInputs = 12
    public init() {}

    /// Necessary for `matches`: the bare rule's first guard.
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool { inputCount >= 2 && outputCount >= 3 }
    public func matches(_ tx: TxView) -> Bool {
        guard GenericCoinJoinExclusion().matches(tx), let top = OutputValueCounts(tx).mostFrequent else { return false }
        let equal = top.value, p = top.count
        var others: [Int64] = []
        var outSum: Int64 = 0, inSum: Int64 = 0, maxInput: Int64 = 0
        for o in 0..<tx.outputCount {
            let v = tx.outputValue(o)
            outSum += v
            if v != equal { others.append(v) }
        }
        var inputs: [Int64] = []
        for i in 0..<tx.inputCount {
            let v = tx.inputValue(i)
            inSum += v; maxInput = max(maxInput, v); inputs.append(v)
        }
        let fee = max(0, inSum - outSum)
        guard maxInput <= equal + (others.max() ?? 0) + fee else { return false }
        guard inputs.count <= Self.exactCheckMaxInputs else { return true }
        inputs.sort(by: >)
        return Self.canSplit(inputs, into: p, equal: equal, changes: others, spare: 0...fee, leftover: fee)
    }

    /// Is there a partition of `inputs` into exactly `p` groups that balances as described above?
    /// - Parameters:
    ///   - spare: allowed (surplus − change) of a group that takes a change output.
    ///   - leftover: the largest surplus of a group without a change output.
    static func canSplit(_ inputs: [Int64], into p: Int, equal: Int64, changes: [Int64], spare: ClosedRange<Int64>,
                         leftover: Int64) -> Bool {
        guard changes.count <= p else { return false }
        var sums = [Int64](repeating: 0, count: p)
        var remaining = inputs.reduce(0, +)
        func place(_ i: Int, used: Int) -> Bool {
            if i == inputs.count {
                guard used == p, sums.allSatisfy({ $0 >= equal }) else { return false }
                return matchChanges(sums.map { $0 - equal }, changes, spare: spare, leftover: leftover)
            }
            // Not enough inputs left to open the groups still empty.
            if inputs.count - i < p - used { return false }
            let v = inputs[i]
            remaining -= v
            defer { remaining += v }
            for g in 0..<min(used + 1, p) {
                sums[g] += v
                let ok = place(i + 1, used: max(used, g + 1))
                sums[g] -= v
                if ok { return true }
            }
            return false
        }
        return place(0, used: 0)
    }

    /// Every change output goes to a distinct group whose surplus covers it with at most `fee` to spare;
    /// groups left without one have a surplus of at most `fee`.
    static func matchChanges(_ surplus: [Int64], _ changes: [Int64], spare range: ClosedRange<Int64>, leftover: Int64) -> Bool {
        var taken = [Bool](repeating: false, count: surplus.count)
        func assign(_ c: Int) -> Bool {
            if c == changes.count {
                for (g, s) in surplus.enumerated() where !taken[g] && s > leftover { return false }
                return true
            }
            for g in surplus.indices where !taken[g] {
                guard range.contains(surplus[g] - changes[c]) else { continue }
                taken[g] = true
                if assign(c + 1) { return true }
                taken[g] = false
            }
            return false
        }
        return assign(0)
    }
}

/// `exclude.coinjoin.wasabi1`: Wasabi 1.x (ZeroLink) rounds after the coordinator address stopped being
/// fixed, as Dumplings detects them: only P2WPKH inputs and outputs; ≥ 10 equal outputs of about the
/// 0.1 BTC base denomination (± 0.02 BTC); at least as many inputs; ≥ 2 outputs with a unique value
/// (change and the coordinator fee).
public struct Wasabi1Exclusion: TransactionExclusion {
    public let id = HeuristicRegistry.wasabi1
    public let references: [Reference] = [.dumplings, .svenda2025]
    public static let baseDenomination: Int64 = 10_000_000
    public static let denominationPrecision: Int64 = 2_000_000
    public static let minEqualOutputs = 10
    public init() {}
    /// Necessary for `matches`: its first guard.
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool {
        outputCount >= Self.minEqualOutputs && inputCount >= Self.minEqualOutputs
    }
    public func matches(_ tx: TxView) -> Bool {
        guard !tx.isCoinbase, tx.outputCount >= Self.minEqualOutputs, tx.inputCount >= Self.minEqualOutputs,
              tx.hasEqualOutputs else { return false }
        for i in 0..<tx.inputCount where tx.inputKind(i) != p2wpkh { return false }
        for o in 0..<tx.outputCount where tx.outputKind(o) != p2wpkh { return false }
        let counts = OutputValueCounts(tx)
        guard let top = counts.equalGroups.max(by: { ($0.count, -$0.value) < ($1.count, -$1.value) }) else { return false }
        return top.count >= Self.minEqualOutputs
            && tx.inputCount >= top.count
            && abs(top.value - Self.baseDenomination) <= Self.denominationPrecision
            && counts.uniqueValueCount >= 2
    }
}

/// `exclude.coinjoin.wasabi2`: WabiSabi rounds as Dumplings detects them: every input P2WPKH or P2TR;
/// ≥ 15 inputs; inputs and outputs both in descending value order; some equal outputs; and more than
/// 80% of outputs on the Wasabi 2 standard denominations (powers of 2, 3, 2·3ⁿ, 1-2-5·10ⁿ between
/// 5 000 and 134 375 000 000 sat).
public struct Wasabi2Exclusion: TransactionExclusion {
    public let id = HeuristicRegistry.wasabi2
    public let references: [Reference] = [.dumplings, .svenda2025]
    public static let minInputs = 15
    public static let denominations: Set<Int64> = {
        let lo: Int64 = 5_000, hi: Int64 = 134_375_000_000
        var s = Set<Int64>()
        func series(_ base: Int64, times factor: Int64) {
            var x: Int64 = 1
            while x <= hi {
                let d = x * factor
                if d >= lo && d <= hi { s.insert(d) }
                x *= base
            }
        }
        series(2, times: 1); series(3, times: 1); series(3, times: 2)
        series(10, times: 1); series(10, times: 2); series(10, times: 5)
        return s
    }()
    public init() {}
    /// Necessary for `matches`: its first guard.
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool { inputCount >= Self.minInputs }
    public func matches(_ tx: TxView) -> Bool {
        guard !tx.isCoinbase, tx.inputCount >= Self.minInputs, tx.hasEqualOutputs else { return false }
        for i in 0..<tx.inputCount where tx.inputKind(i) != p2wpkh && tx.inputKind(i) != p2tr { return false }
        for i in 1..<tx.inputCount where tx.inputValue(i) > tx.inputValue(i - 1) { return false }
        if tx.outputCount > 1 {
            for o in 1..<tx.outputCount where tx.outputValue(o) > tx.outputValue(o - 1) { return false }
        }
        guard !OutputValueCounts(tx).equalGroups.isEmpty else { return false }
        var standard = 0
        for o in 0..<tx.outputCount where Self.denominations.contains(tx.outputValue(o)) { standard += 1 }
        return Double(standard) > Double(tx.outputCount) * 0.8
    }
}

/// `exclude.coinjoin.whirlpool`: Samourai Whirlpool mixes by the "Samourai CoinJoin Detection
/// Heuristic" as refined in Dumplings: only P2WPKH; 5–10 inputs and as many outputs; all outputs equal
/// to a pool size (0.001, 0.01, 0.05, 0.5 BTC; Ashigaru's 0.025, 0.25); at least one input exactly the
/// pool size and every other input within the pool size + 0.0011 BTC (the remixers' and new entrants'
/// fee margin).
public struct WhirlpoolExclusion: TransactionExclusion {
    public let id = HeuristicRegistry.whirlpool
    public let references: [Reference] = [.dumplings, .svenda2025]
    public static let pools: Set<Int64> = [100_000, 1_000_000, 5_000_000, 50_000_000, 25_000_000, 2_500_000]
    public static let entryMargin: Int64 = 110_000
    public init() {}
    /// Necessary for `matches`: its first guard.
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool {
        (5...10).contains(inputCount) && inputCount == outputCount
    }
    public func matches(_ tx: TxView) -> Bool {
        guard !tx.isCoinbase, (5...10).contains(tx.inputCount), tx.inputCount == tx.outputCount else { return false }
        for i in 0..<tx.inputCount where tx.inputKind(i) != p2wpkh { return false }
        for o in 0..<tx.outputCount where tx.outputKind(o) != p2wpkh { return false }
        let pool = tx.outputValue(0)
        guard Self.pools.contains(pool) else { return false }
        for o in 1..<tx.outputCount where tx.outputValue(o) != pool { return false }
        var exact = 0
        for i in 0..<tx.inputCount {
            let v = tx.inputValue(i)
            if v == pool { exact += 1; continue }
            guard abs(v - pool) <= Self.entryMargin else { return false }
        }
        return exact >= 1
    }
}

/// `exclude.coinjoin.joinmarket`: JoinMarket-style maker/taker joins by Dumplings' "other CoinJoin"
/// rule: exactly one group of equal outputs, of k members, with k = (outputs − k) or (outputs − k + 1)
/// (each maker adds a CoinJoin output and a change output; the taker may sweep without change);
/// ≥ k distinct output addresses and ≥ k distinct input addresses; and no input larger than the equal
/// value plus the largest other output minus 0.0001 BTC (Dumplings' cheap stand-in for a subset-sum check).
/// Spoor then does the subset-sum check for up to 12 inputs: the inputs must split into k groups, each
/// paying for one equal output, whose surpluses match the change outputs within the mining fee plus a
/// maker-fee allowance of 0.1% of the equal value per participant (the taker pays the makers). This drops
/// payments to two payees of the same amount that Dumplings' shortcut lets through.
public struct JoinMarketExclusion: TransactionExclusion {
    public let id = HeuristicRegistry.joinMarket
    public let references: [Reference] = [.dumplings]
    public static let slack: Int64 = 10_000
    public init() {}
    /// Necessary for `matches`: its first guard.
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool { inputCount >= 2 && outputCount >= 3 }
    public func matches(_ tx: TxView) -> Bool {
        guard !tx.isCoinbase, tx.inputCount >= 2, tx.outputCount >= 3, tx.hasEqualOutputs else { return false }
        let groups = OutputValueCounts(tx).equalGroups
        guard groups.count == 1, let g = groups.first else { return false }
        let k = g.count, rest = tx.outputCount - k
        guard k == rest || k == rest + 1 else { return false }
        var outAddresses = Set<UInt32>()
        var maxOther: Int64 = 0
        for o in 0..<tx.outputCount {
            outAddresses.insert(tx.outputAddress(o))
            if tx.outputValue(o) != g.value { maxOther = max(maxOther, tx.outputValue(o)) }
        }
        guard outAddresses.count >= k, tx.distinctInputAddressCount >= k else { return false }
        var maxInput: Int64 = 0, inSum: Int64 = 0, outSum: Int64 = 0
        var inputs: [Int64] = [], changes: [Int64] = []
        for i in 0..<tx.inputCount { maxInput = max(maxInput, tx.inputValue(i)); inSum += tx.inputValue(i); inputs.append(tx.inputValue(i)) }
        for o in 0..<tx.outputCount {
            outSum += tx.outputValue(o)
            if tx.outputValue(o) != g.value { changes.append(tx.outputValue(o)) }
        }
        guard maxInput <= g.value + maxOther - Self.slack else { return false }
        guard inputs.count <= FundedGenericCoinJoinExclusion.exactCheckMaxInputs else { return true }
        let fee = max(0, inSum - outSum)
        let allowance = g.value / 1000 * Int64(k)
        inputs.sort(by: >)
        return FundedGenericCoinJoinExclusion.canSplit(inputs, into: k, equal: g.value, changes: changes,
                                                       spare: (-allowance)...(fee + allowance), leftover: fee + allowance)
    }
}
