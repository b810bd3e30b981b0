import ChainIndex
/// How an amount is followed through a transaction that mixes several inputs into several outputs. The
/// chain does not say which input paid which output; each policy is a convention, stated in every report.
///
/// - `poison`: every input of a transaction that funded a traced output is traced in full (backward), and
///   every output of a transaction that spent a traced output is traced in full (forward). Nothing is
///   divided, so amounts are *not* conserved: the figures are "value touched", an upper bound.
/// - `haircut`: the traced amount is divided over the inputs (backward) or outputs (forward) in proportion
///   to their values; the fee takes its share going forward. Conserved exactly (largest-remainder rounding).
/// - `fifo`: inputs and outputs are laid end to end in transaction order; an output's satoshis come from
///   the inputs whose span overlaps the output's span (first in, first out). Conserved exactly.
/// - `tiho` (taint in, highest out): the traced amount is assigned to the highest-value outputs first
///   (forward), or drawn from the highest-value inputs first (backward). Conserved exactly; the fee takes
///   what no output could hold.
public enum FlowPolicy: String, Sendable, CaseIterable, Codable {
    case poison, haircut, fifo, tiho
}

public enum TraceDirection: String, Sendable, CaseIterable, Codable {
    case back, forward, both
}

/// Where traced satoshis ended up.
public struct FlowEndpoint: Sendable, Hashable, Comparable {
    public enum Kind: String, Sendable, Codable, Comparable {
        /// Backward: newly mined coins. Forward: never happens.
        case coinbase
        /// The hop limit was reached at an output of this cluster.
        case hopLimit = "hop-limit"
        /// Reached a cluster that carries a tag (an exchange, a service): tracing stops there.
        case tagged
        /// Forward: the output is still unspent.
        case unspent
        /// Forward: paid as a transaction fee.
        case fee
        /// Backward: an input whose spent output is not in the database.
        case unresolved
        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }
    public var kind: Kind
    /// The cluster holding the output where tracing stopped (-1 for fees, coinbase and unresolved).
    public var cluster: Int
    public init(kind: Kind, cluster: Int) { self.kind = kind; self.cluster = cluster }
    public static func < (a: FlowEndpoint, b: FlowEndpoint) -> Bool { (a.kind, a.cluster) < (b.kind, b.cluster) }
}

public struct FlowResult: Sendable {
    public var policy: FlowPolicy
    public var direction: TraceDirection
    public var hops: Int
    /// Satoshis the trace started with.
    public var startAmount: Int64
    /// Satoshis per endpoint, and the fewest hops at which each endpoint was reached.
    public var endpoints: [FlowEndpoint: Int64]
    public var minimumHops: [FlowEndpoint: Int]
    /// Satoshis that passed through each cluster on the way (excluding the start).
    public var throughCluster: [Int: Int64]
    /// Transactions stepped through.
    public var transactionsVisited: Int
    /// Satoshis that stopped (as `hop-limit` endpoints) because the next transaction was not loaded: only in a
    /// subgraph whose loading was capped; 0 on a whole chain.
    public var stoppedAtLoadLimit: Int64 = 0
    /// Where those satoshis stopped: inputs whose funding transaction is not loaded (backward) and outputs whose
    /// spending transaction is not loaded (forward). What a loader of part of a chain loads next so that the
    /// same trace runs as on the whole chain.
    public var inputsNotLoaded: Set<Int> = []
    public var outputsNotLoaded: Set<Int> = []

    public var endpointTotal: Int64 { endpoints.values.reduce(0, +) }
    /// True when the trace reached no transaction the graph lacks: it then walks the same transactions, to the
    /// same result, on any graph that holds those.
    public var reachedOnlyLoaded: Bool { inputsNotLoaded.isEmpty && outputsNotLoaded.isEmpty }
}

public struct FlowTracer: Sendable {
    public let graph: ChainIndex
    public let clusters: ClusterAssignment
    /// Clusters where tracing stops (tagged entities).
    public let stopClusters: Set<Int>

    public init(graph: ChainIndex, clusters: ClusterAssignment, stopClusters: Set<Int> = []) {
        self.graph = graph; self.clusters = clusters; self.stopClusters = stopClusters
    }

    /// Transaction steps a trace takes at most (moves inside a cluster included).
    public static let defaultMaxSteps = 1_000

    /// Traces `amounts` held by outputs (global output index -> satoshis, each ≤ the output's value).
    /// Backward follows where the outputs' money came from; forward where it went.
    ///
    /// Hops count clusters, not transactions: the starting outputs are hop 0, and each step onto an output of
    /// a different cluster than the one the satoshis were in adds one. Moves inside a cluster (change,
    /// consolidations, peel chains) are followed without counting, up to `maxSteps` transactions in all.
    /// Tracing stops at hop `hops`, at a stop cluster (a tagged entity), at a coinbase, at an unspent
    /// output, or at an input whose spent output is not stored; each is an endpoint, so the endpoints add up
    /// to the starting amount for every policy but `poison`.
    public func trace(from amounts: [Int: Int64], direction: TraceDirection, policy: FlowPolicy,
                      hops: Int, maxSteps: Int = FlowTracer.defaultMaxSteps) -> FlowResult {
        precondition(direction != .both, "trace each direction separately")
        var walk = FlowWalk(tracer: self, policy: policy, poisoned: Set(amounts.keys),
                            result: FlowResult(policy: policy, direction: direction, hops: hops,
                                               startAmount: amounts.values.reduce(0, +), endpoints: [:],
                                               minimumHops: [:], throughCluster: [:], transactionsVisited: 0))
        var level: [FlowWalk.State: Int64] = [:]
        for (o, v) in amounts { level[FlowWalk.State(output: o, hop: 0), default: 0] += v }
        var step = 0
        while !level.isEmpty {
            for state in level.keys.sorted() {
                let o = state.output
                let amount = level[state] ?? 0
                guard amount > 0 else { continue }
                let cluster = walk.clusterOf(o)
                if state.hop > 0 { walk.result.throughCluster[cluster, default: 0] += amount }
                if state.hop > 0 && stopClusters.contains(cluster) { walk.end(.tagged, cluster, amount, state.hop); continue }
                if state.hop >= hops || step >= maxSteps {
                    if direction == .forward && graph.outputSpentBy[o] == -1 { walk.end(.unspent, cluster, amount, state.hop) }
                    else { walk.end(.hopLimit, cluster, amount, state.hop) }
                    continue
                }
                if direction == .back {
                    walk.stepBack(from: state, amount: amount, cluster: cluster)
                } else {
                    walk.stepForward(from: state, amount: amount, cluster: cluster)
                }
            }
            level = walk.next
            walk.next = [:]
            step += 1
        }
        walk.result.transactionsVisited = walk.visitedTx.count
        return walk.result
    }

    /// Backward split of `amount` (held by output `o` of transaction `t`) over the transaction's inputs.
    static func split(amount: Int64, of o: Int, inTx t: Int, over inputValues: [Int64], policy: FlowPolicy,
                      backward: Bool, graph: ChainIndex) -> [Int64] {
        switch policy {
        case .poison: return inputValues
        case .haircut: return proportional(amount, weights: inputValues)
        case .tiho: return greedyHighest(amount, capacities: inputValues)
        case .fifo:
            // The output's span in the outputs laid end to end, scaled onto the inputs' span.
            var start: Int64 = 0
            for q in graph.outputs(of: t) where q < o { start += graph.outputValue[q] }
            let traced = min(amount, graph.outputValue[o])
            return overlap(start: start, length: traced, segments: inputValues, total: amount)
        }
    }

    /// Forward split of `amount` entering a transaction through input `inputPosition`.
    public static func splitForward(amount: Int64, inputPosition: Int, inputValues: [Int64], outputValues: [Int64],
                             fee: Int64, policy: FlowPolicy) -> (outputs: [Int64], fee: Int64) {
        switch policy {
        case .poison: return (outputValues, 0)
        case .haircut:
            let parts = proportional(amount, weights: outputValues + [fee])
            return (Array(parts.dropLast()), parts.last ?? 0)
        case .tiho:
            let parts = greedyHighest(amount, capacities: outputValues)
            return (parts, amount - parts.reduce(0, +))
        case .fifo:
            let start = inputValues.prefix(inputPosition).reduce(0, +)
            let parts = overlap(start: start, length: amount, segments: outputValues + [fee], total: amount)
            return (Array(parts.dropLast()), parts.last ?? 0)
        }
    }

    /// `amount` divided in proportion to `weights`, rounded so the parts sum to `amount` exactly (largest
    /// remainder, ties to the earlier part).
    public static func proportional(_ amount: Int64, weights: [Int64]) -> [Int64] {
        let total = weights.reduce(0) { $0 + max($1, 0) }
        guard total > 0 else {
            var r = Array(repeating: Int64(0), count: weights.count)
            if !r.isEmpty { r[0] = amount }
            return r
        }
        var parts: [Int64] = []
        var remainders: [(rem: Int64, index: Int)] = []
        for (i, w) in weights.enumerated() {
            let (q, r) = amount.multipliedFullWidth(by: max(w, 0))
            let (quotient, remainder) = total.dividingFullWidth((q, r))
            parts.append(quotient)
            remainders.append((remainder, i))
        }
        var left = amount - parts.reduce(0, +)
        for (_, i) in remainders.sorted(by: { $0.rem != $1.rem ? $0.rem > $1.rem : $0.index < $1.index }) where left > 0 {
            parts[i] += 1; left -= 1
        }
        return parts
    }

    /// `amount` poured into the largest capacities first (ties: earlier first).
    static func greedyHighest(_ amount: Int64, capacities: [Int64]) -> [Int64] {
        var parts = Array(repeating: Int64(0), count: capacities.count)
        var left = amount
        for i in capacities.indices.sorted(by: { capacities[$0] != capacities[$1] ? capacities[$0] > capacities[$1] : $0 < $1 }) {
            guard left > 0 else { break }
            let take = min(left, max(capacities[i], 0))
            parts[i] = take; left -= take
        }
        // Whatever no capacity could hold stays with the first segment when tracing backward (cannot
        // happen when inputs cover outputs).
        if left > 0, !parts.isEmpty, capacities.reduce(0, +) >= amount { parts[0] += left }
        return parts
    }

    /// The overlap of `[start, start + length)` with `segments` laid end to end; whatever falls past the
    /// last segment is given to the last one so `total` is conserved.
    static func overlap(start: Int64, length: Int64, segments: [Int64], total: Int64) -> [Int64] {
        var parts = Array(repeating: Int64(0), count: segments.count)
        var cursor: Int64 = 0
        let end = start + length
        for (i, s) in segments.enumerated() {
            let a = max(cursor, start), b = min(cursor + s, end)
            if b > a { parts[i] = b - a }
            cursor += s
        }
        let assigned = parts.reduce(0, +)
        if assigned < total, let last = parts.indices.last { parts[last] += total - assigned }
        return parts
    }
}

/// One trace's state as it walks level by level: the result so far, the next level's amounts per output and
/// hop, and what `poison` has already reached.
struct FlowWalk {
    struct State: Hashable, Comparable {
        var output: Int
        var hop: Int
        static func < (a: State, b: State) -> Bool { (a.output, a.hop) < (b.output, b.hop) }
    }

    let tracer: FlowTracer
    let policy: FlowPolicy
    var poisoned: Set<Int>
    var result: FlowResult
    var next: [State: Int64] = [:]
    var visitedTx = Set<Int>()

    init(tracer: FlowTracer, policy: FlowPolicy, poisoned: Set<Int>, result: FlowResult) {
        self.tracer = tracer; self.policy = policy; self.poisoned = poisoned; self.result = result
    }

    var graph: ChainIndex { tracer.graph }

    func clusterOf(_ o: Int) -> Int { tracer.clusters.cluster(of: graph.address(ofOutput: o)) }

    mutating func end(_ kind: FlowEndpoint.Kind, _ cluster: Int, _ amount: Int64, _ hop: Int) {
        guard amount > 0 else { return }
        let e = FlowEndpoint(kind: kind, cluster: cluster)
        result.endpoints[e, default: 0] += amount
        result.minimumHops[e] = min(result.minimumHops[e] ?? Int.max, hop)
    }

    /// Moves `amount` onto output `o` for the next level, one hop further when `o` is in another cluster.
    mutating func push(_ from: State, to o: Int, _ amount: Int64) {
        let h = from.hop + (clusterOf(o) != clusterOf(from.output) ? 1 : 0)
        let s = State(output: o, hop: h)
        if policy == .poison {
            if poisoned.insert(o).inserted { next[s] = amount }
        } else {
            next[s, default: 0] += amount
        }
    }

    /// Backward: splits the amount over the inputs of the output's transaction and moves each share onto the
    /// output that input spent.
    mutating func stepBack(from state: State, amount: Int64, cluster: Int) {
        let t = graph.outputTx[state.output]
        if graph.txIsCoinbase[t] { end(.coinbase, -1, amount, state.hop); return }
        visitedTx.insert(t)
        let ins = Array(graph.inputs(of: t))
        let shares = FlowTracer.split(amount: amount, of: state.output, inTx: t, over: ins.map { graph.inputValue[$0] },
                                      policy: policy, backward: true, graph: graph)
        for (i, s) in zip(ins, shares) where s > 0 {
            let prev = graph.inputSpends[i]
            if prev == ChainIndex.notLoaded {
                end(.hopLimit, cluster, s, state.hop); result.stoppedAtLoadLimit += s
                result.inputsNotLoaded.insert(i); continue
            }
            if prev < 0 { end(.unresolved, -1, s, state.hop); continue }
            push(state, to: prev, s)
        }
    }

    /// Forward: splits the amount over the outputs (and fee) of the transaction spending the output.
    mutating func stepForward(from state: State, amount: Int64, cluster: Int) {
        let spender = graph.outputSpentBy[state.output]
        if spender == ChainIndex.notLoaded {
            end(.hopLimit, cluster, amount, state.hop); result.stoppedAtLoadLimit += amount
            result.outputsNotLoaded.insert(state.output); return
        }
        if spender < 0 { end(.unspent, cluster, amount, state.hop); return }
        let t = graph.inputTx[spender]
        visitedTx.insert(t)
        let outs = Array(graph.outputs(of: t))
        let inValues = graph.inputs(of: t).map { graph.inputValue[$0] }
        let fee = max(0, inValues.reduce(0, +) - outs.reduce(0) { $0 + graph.outputValue[$1] })
        let position = spender - graph.inputStart[t]
        let shares = FlowTracer.splitForward(amount: amount, inputPosition: position, inputValues: inValues,
                                             outputValues: outs.map { graph.outputValue[$0] }, fee: fee, policy: policy)
        for (q, s) in zip(outs, shares.outputs) where s > 0 { push(state, to: q, s) }
        end(.fee, -1, shares.fee, state.hop)
    }
}
