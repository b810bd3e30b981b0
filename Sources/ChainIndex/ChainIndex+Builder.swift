import BitcoinPrimitives

extension ChainIndex {
    /// Builds a linked index (every column tracing reads) from transactions appended in chain order, linking
    /// each input to the output it spends when that output was appended before. For tests and small graphs
    /// written by hand; a store fills whole columns instead.
    public struct Builder {
        private let index = ChainIndex()
        private var outputByOutpoint: [Txid: Int] = [:]
        private var kinds: [UInt8]

        public init(addressCapacity: Int = 0) {
            kinds = Array(repeating: 0, count: addressCapacity)
        }

        public struct Input: Sendable {
            /// The spent outpoint; nil for a coinbase input.
            public var previous: (txid: Txid, vout: Int)?
            /// Address (-1: none) and value when the spent output is not in this index (else taken from it).
            public var address: Int
            public var value: Int64
            public init(previous: (txid: Txid, vout: Int)?, address: Int = -1, value: Int64 = 0) {
                self.previous = previous; self.address = address; self.value = value
            }
        }

        public struct Output: Sendable {
            /// -1: no address.
            public var address: Int
            public var value: Int64
            public var kind: UInt8
            public init(address: Int, value: Int64, kind: UInt8 = 0) {
                self.address = address; self.value = value; self.kind = kind
            }
        }

        /// Adds one transaction; inputs whose outpoint is already in the index are linked to it. A transaction
        /// whose only input spends nothing (`previous` nil) is a coinbase.
        public mutating func add(txid: Txid, height: Int32, time: Int64, inputs: [Input], outputs: [Output]) {
            let t = index.txCount
            index.beginTransaction(storeID: UInt32(truncatingIfNeeded: t), version: 2, lockTime: 0,
                                   isCoinbase: inputs.count == 1 && inputs[0].previous == nil)
            index.txids.append(txid)
            index.txHeight.append(height)
            index.txTime.append(time)
            for input in inputs {
                var spends = ChainIndex.noLink
                var address = input.address
                var value = input.value
                if let p = input.previous, let first = outputByOutpoint[p.txid] {
                    let o = first + p.vout
                    if o < index.outputCount, index.outputTx[o] == index.outputTx[first] {
                        spends = o
                        address = index.address(ofOutput: o)
                        value = index.outputValue[o]
                        index.outputSpentBy[o] = index.inputCount
                    }
                }
                index.inputSpends.append(spends)
                index.inputTx.append(t)
                index.appendInput(address: address < 0 ? ChainIndex.noAddress : UInt32(address), value: value, kind: 0,
                                  sequence: 0xFFFF_FFFF)
            }
            outputByOutpoint[txid] = index.outputCount
            for output in outputs {
                index.outputSpentBy.append(ChainIndex.noLink)
                index.outputTx.append(t)
                index.appendOutput(address: output.address < 0 ? ChainIndex.noAddress : UInt32(output.address),
                                   value: output.value, kind: output.kind, spender: 0)
                if output.address >= 0 {
                    if output.address >= kinds.count {
                        kinds.append(contentsOf: repeatElement(0, count: output.address + 1 - kinds.count))
                    }
                    if output.kind != 0 { kinds[output.address] = output.kind }
                }
            }
        }

        /// The index, with its address index built.
        public func finish() -> ChainIndex {
            index.indexAddresses(kinds: kinds)
            return index
        }
    }
}
