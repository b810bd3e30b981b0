import BitcoinPrimitives

/// The part of a chain that tracing reads, held as flat columns indexed by dense integers so that walking a
/// transaction's inputs and outputs, or an address's receipts, is array arithmetic rather than hashing.
///
/// Indices: transactions `0..<txCount`, outputs `0..<outputCount` (grouped by transaction, in `vout` order),
/// inputs `0..<inputCount` (grouped by transaction, in `vin` order) and addresses `0..<addressCapacity`
/// (the case database's dense address ids; `-1` means "no address", e.g. OP_RETURN or an unresolved input).
/// Build one with `ChainGraph.Builder`; the case store fills the same builder from its tables.
public struct ChainGraph: Sendable {
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
    /// The output the input spends, or -1 for coinbase or unresolved inputs.
    public private(set) var inputSpends: [Int] = []

    /// Script kind per address id (`ScriptKind.code`), 0 when unknown.
    public private(set) var addressKind: [UInt8] = []
    /// Outputs paying each address: `addressOutputs[addressOutputStart[a] ..< addressOutputStart[a + 1]]`.
    public private(set) var addressOutputStart: [Int] = [0]
    public private(set) var addressOutputs: [Int] = []

    public var txCount: Int { txids.count }
    public var outputCount: Int { outputValue.count }
    public var inputCount: Int { inputValue.count }
    public var addressCapacity: Int { addressKind.count }

    @inlinable public func inputs(of tx: Int) -> Range<Int> { inputStart[tx] ..< inputStart[tx + 1] }
    @inlinable public func outputs(of tx: Int) -> Range<Int> { outputStart[tx] ..< outputStart[tx + 1] }
    /// The `vout` of a global output index.
    @inlinable public func vout(of output: Int) -> Int { output - outputStart[outputTx[output]] }

    public func outputsPaying(_ address: Int) -> ArraySlice<Int> {
        guard address >= 0, address < addressCapacity else { return [] }
        return addressOutputs[addressOutputStart[address] ..< addressOutputStart[address + 1]]
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
        /// indices of this graph (or -1).
        public static func columns(
            txids: [Txid], txHeight: [Int32], txTime: [Int64], inputStart: [Int], outputStart: [Int],
            outputValue: [Int64], outputAddress: [Int], inputValue: [Int64], inputAddress: [Int],
            inputSpends: [Int], addressKind: [UInt8]
        ) -> ChainGraph {
            var g = ChainGraph()
            g.txids = txids; g.txHeight = txHeight; g.txTime = txTime
            g.inputStart = inputStart; g.outputStart = outputStart
            g.outputValue = outputValue; g.outputAddress = outputAddress
            g.inputValue = inputValue; g.inputAddress = inputAddress; g.inputSpends = inputSpends
            g.addressKind = addressKind
            g.outputTx = Array(repeating: 0, count: outputValue.count)
            g.inputTx = Array(repeating: 0, count: inputValue.count)
            g.txIsCoinbase = Array(repeating: false, count: txids.count)
            for t in 0 ..< txids.count {
                for o in outputStart[t] ..< outputStart[t + 1] { g.outputTx[o] = t }
                for i in inputStart[t] ..< inputStart[t + 1] { g.inputTx[i] = t }
                g.txIsCoinbase[t] = inputStart[t + 1] - inputStart[t] == 1 && inputSpends[inputStart[t]] < 0
                    && inputAddress[inputStart[t]] < 0
            }
            g.outputSpentBy = Array(repeating: -1, count: outputValue.count)
            for (i, o) in inputSpends.enumerated() where o >= 0 && o < g.outputSpentBy.count { g.outputSpentBy[o] = i }
            for a in outputAddress where a >= g.addressKind.count {
                g.addressKind.append(contentsOf: repeatElement(0, count: a + 1 - g.addressKind.count))
            }
            g.buildAddressIndex()
            return g
        }

        public mutating func finish() -> ChainGraph {
            graph.buildAddressIndex()
            return graph
        }
    }

    /// Counting sort of outputs by address: O(outputs), once.
    private mutating func buildAddressIndex() {
        let n = addressKind.count
        var counts = Array(repeating: 0, count: n + 1)
        for a in outputAddress where a >= 0 { counts[a + 1] += 1 }
        for a in 0 ..< n { counts[a + 1] += counts[a] }
        addressOutputStart = counts
        var fill = counts
        addressOutputs = Array(repeating: 0, count: counts[n])
        for (o, a) in outputAddress.enumerated() where a >= 0 {
            addressOutputs[fill[a]] = o
            fill[a] += 1
        }
    }
}
