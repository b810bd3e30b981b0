import BitcoinPrimitives

/// The part of a chain that tracing reads, held as flat columns indexed by dense integers so that walking a
/// transaction's inputs and outputs, or an address's receipts, is array arithmetic rather than hashing.
///
/// Indices: transactions `0..<txCount`, outputs `0..<outputCount` (grouped by transaction, in `vout` order),
/// inputs `0..<inputCount` (grouped by transaction, in `vin` order) and addresses `0..<addressCapacity`
/// (the case database's dense address ids; `-1` means "no address", e.g. OP_RETURN or an unresolved input).
/// Build one with `ChainGraph.Builder`; the case store fills the same builder from its tables.
///
/// A graph may hold only part of a chain (a *subgraph*: the transactions an analysis needs, still in chain
/// order). Then a link to a transaction left out is `ChainGraph.notLoaded` rather than -1, so "unspent" and
/// "spent by a transaction not loaded" stay apart, and the per-address index is keyed by the address ids that
/// occur instead of being as long as the largest id.
public struct ChainGraph: Sendable {
    /// `inputSpends` / `outputSpentBy` value for a link to a transaction this (sub)graph does not hold.
    public static let notLoaded = -2

    public private(set) var txids: [Txid] = []
    public private(set) var txHeight: [Int32] = []
    /// Block time (unix seconds) of the block that holds the transaction.
    public private(set) var txTime: [Int64] = []
    public private(set) var txIsCoinbase: [Bool] = []
    /// `inputStart[t] ..< inputStart[t + 1]` are transaction `t`'s inputs (same for outputs).
    public private(set) var inputStart: [Int] = [0]
    public private(set) var outputStart: [Int] = [0]

    public private(set) var outputValue: [Int64] = []
    public private(set) var outputAddress: [Int] = []
    public private(set) var outputTx: [Int] = []
    /// The input that spends the output, or -1 while unspent.
    public private(set) var outputSpentBy: [Int] = []

    public private(set) var inputValue: [Int64] = []
    public private(set) var inputAddress: [Int] = []
    public private(set) var inputTx: [Int] = []
    /// The output the input spends, or -1 for coinbase or unresolved inputs (`notLoaded` in a subgraph).
    public private(set) var inputSpends: [Int] = []

    /// Script kind per address row (`ScriptKind.code`), 0 when unknown; see `kind(of:)`.
    private var addressKind: [UInt8] = []
    /// Address id → row of the per-address columns; nil when rows are the address ids themselves.
    private var addressRow: [Int: Int]?
    private var largestAddress = -1
    /// Outputs paying each address row: `addressOutputs[addressOutputStart[r] ..< addressOutputStart[r + 1]]`.
    private var addressOutputStart: [Int] = [0]
    private var addressOutputs: [Int] = []

    public var txCount: Int { txids.count }
    public var outputCount: Int { outputValue.count }
    public var inputCount: Int { inputValue.count }
    /// One more than the largest address id the graph knows.
    public var addressCapacity: Int { addressRow == nil ? addressKind.count : largestAddress + 1 }

    private func rowOf(_ address: Int) -> Int? {
        guard address >= 0 else { return nil }
        if let addressRow { return addressRow[address] }
        return address < addressKind.count ? address : nil
    }

    /// The address's script kind (`ScriptKind.code`), 0 when unknown.
    public func kind(of address: Int) -> UInt8 {
        guard let r = rowOf(address) else { return 0 }
        return addressKind[r]
    }

    @inlinable public func inputs(of tx: Int) -> Range<Int> { inputStart[tx] ..< inputStart[tx + 1] }
    @inlinable public func outputs(of tx: Int) -> Range<Int> { outputStart[tx] ..< outputStart[tx + 1] }
    /// The `vout` of a global output index.
    @inlinable public func vout(of output: Int) -> Int { output - outputStart[outputTx[output]] }

    public func outputsPaying(_ address: Int) -> ArraySlice<Int> {
        guard let r = rowOf(address) else { return [] }
        return addressOutputs[addressOutputStart[r] ..< addressOutputStart[r + 1]]
    }

    /// Finds a transaction by txid (linear; for commands and tests, not inner loops).
    public func transactionIndex(of txid: Txid) -> Int? { txids.firstIndex(of: txid) }

    /// Appends transactions in chain order, then `finish()` builds the address index.
    public struct Builder: Sendable {
        public private(set) var graph = ChainGraph()
        private var outputByOutpoint: [Txid: Int] = [:]

        public init(addressCapacity: Int = 0) {
            graph.addressKind = Array(repeating: 0, count: addressCapacity)
        }

        public struct Input: Sendable {
            /// The spent outpoint; nil for a coinbase input.
            public var previous: (txid: Txid, vout: Int)?
            /// Address and value when the spent output is not part of this graph (else taken from it).
            public var address: Int
            public var value: Int64
            public init(previous: (txid: Txid, vout: Int)?, address: Int = -1, value: Int64 = 0) {
                self.previous = previous; self.address = address; self.value = value
            }
        }

        public struct Output: Sendable {
            public var address: Int
            public var value: Int64
            public var kind: UInt8
            public init(address: Int, value: Int64, kind: UInt8 = 0) {
                self.address = address; self.value = value; self.kind = kind
            }
        }

        /// Adds one transaction; inputs whose outpoint is already in the graph are linked to it.
        public mutating func add(txid: Txid, height: Int32, time: Int64, inputs: [Input], outputs: [Output]) {
            let t = graph.txids.count
            graph.txids.append(txid)
            graph.txHeight.append(height)
            graph.txTime.append(time)
            graph.txIsCoinbase.append(inputs.count == 1 && inputs[0].previous == nil)
            for input in inputs {
                let i = graph.inputValue.count
                var spends = -1
                var address = input.address
                var value = input.value
                if let p = input.previous, let first = outputByOutpoint[p.txid] {
                    let o = first + p.vout
                    if o < graph.outputCount, graph.outputTx[o] == graph.outputTx[first] {
                        spends = o
                        address = graph.outputAddress[o]
                        value = graph.outputValue[o]
                        graph.outputSpentBy[o] = i
                    }
                }
                graph.inputValue.append(value)
                graph.inputAddress.append(address)
                graph.inputTx.append(t)
                graph.inputSpends.append(spends)
            }
            outputByOutpoint[txid] = graph.outputCount
            for output in outputs {
                graph.outputValue.append(output.value)
                graph.outputAddress.append(output.address)
                graph.outputTx.append(t)
                graph.outputSpentBy.append(-1)
                if output.address >= 0 {
                    if output.address >= graph.addressKind.count {
                        graph.addressKind.append(contentsOf: repeatElement(0, count: output.address + 1 - graph.addressKind.count))
                    }
                    if output.kind != 0 { graph.addressKind[output.address] = output.kind }
                }
            }
            graph.inputStart.append(graph.inputValue.count)
            graph.outputStart.append(graph.outputValue.count)
        }

        /// Bulk columns straight from a store, already in transaction order. `inputSpends` refers to output
        /// indices of this graph (or -1). The coinbase flag is the store's: an input that spends nothing is not
        /// enough to tell a coinbase from a transaction whose funding transaction is not stored.
        public static func columns(
            txids: [Txid], txHeight: [Int32], txTime: [Int64], txIsCoinbase: [Bool], inputStart: [Int], outputStart: [Int],
            outputValue: [Int64], outputAddress: [Int], inputValue: [Int64], inputAddress: [Int],
            inputSpends: [Int], addressKind: [UInt8]
        ) -> ChainGraph {
            var g = ChainGraph()
            g.txids = txids; g.txHeight = txHeight; g.txTime = txTime; g.txIsCoinbase = txIsCoinbase
            g.inputStart = inputStart; g.outputStart = outputStart
            g.outputValue = outputValue; g.outputAddress = outputAddress
            g.inputValue = inputValue; g.inputAddress = inputAddress; g.inputSpends = inputSpends
            g.addressKind = addressKind
            g.fillTransactionColumns()
            g.outputSpentBy = Array(repeating: -1, count: outputValue.count)
            for (i, o) in inputSpends.enumerated() where o >= 0 && o < g.outputSpentBy.count { g.outputSpentBy[o] = i }
            for a in outputAddress where a >= g.addressKind.count {
                g.addressKind.append(contentsOf: repeatElement(0, count: a + 1 - g.addressKind.count))
            }
            g.buildAddressIndex()
            return g
        }

        /// Part of a chain, in chain order. Links to transactions left out are `ChainGraph.notLoaded` in
        /// `inputSpends` and `outputSpentBy`; the coinbase flag and the address kinds come from the store
        /// (an input is not enough to tell a coinbase from one whose funding transaction is not loaded).
        public static func subgraph(
            txids: [Txid], txHeight: [Int32], txTime: [Int64], txIsCoinbase: [Bool], inputStart: [Int],
            outputStart: [Int], outputValue: [Int64], outputAddress: [Int], outputSpentBy: [Int],
            inputValue: [Int64], inputAddress: [Int], inputSpends: [Int], addressKinds: [Int: UInt8]
        ) -> ChainGraph {
            var g = ChainGraph()
            g.txids = txids; g.txHeight = txHeight; g.txTime = txTime; g.txIsCoinbase = txIsCoinbase
            g.inputStart = inputStart; g.outputStart = outputStart
            g.outputValue = outputValue; g.outputAddress = outputAddress; g.outputSpentBy = outputSpentBy
            g.inputValue = inputValue; g.inputAddress = inputAddress; g.inputSpends = inputSpends
            g.fillTransactionColumns()
            var rows: [Int: Int] = [:]
            var kinds: [UInt8] = []
            for a in (Set(outputAddress).union(inputAddress).union(addressKinds.keys)).sorted() where a >= 0 {
                rows[a] = kinds.count
                kinds.append(addressKinds[a] ?? 0)
                g.largestAddress = a
            }
            g.addressRow = rows
            g.addressKind = kinds
            g.buildAddressIndex()
            return g
        }

        public mutating func finish() -> ChainGraph {
            graph.buildAddressIndex()
            return graph
        }
    }

    private mutating func fillTransactionColumns() {
        outputTx = Array(repeating: 0, count: outputValue.count)
        inputTx = Array(repeating: 0, count: inputValue.count)
        for t in 0 ..< txids.count {
            for o in outputStart[t] ..< outputStart[t + 1] { outputTx[o] = t }
            for i in inputStart[t] ..< inputStart[t + 1] { inputTx[i] = t }
        }
    }

    /// Counting sort of outputs by address row: O(outputs), once.
    private mutating func buildAddressIndex() {
        let n = addressKind.count
        let rowOfOutput = outputAddress.map { rowOf($0) ?? -1 }
        var counts = Array(repeating: 0, count: n + 1)
        for r in rowOfOutput where r >= 0 { counts[r + 1] += 1 }
        for r in 0 ..< n { counts[r + 1] += counts[r] }
        addressOutputStart = counts
        var fill = counts
        addressOutputs = Array(repeating: 0, count: counts[n])
        for (o, r) in rowOfOutput.enumerated() where r >= 0 {
            addressOutputs[fill[r]] = o
            fill[r] += 1
        }
    }
}
