/// The outputs paying each address and each address's script kind: what tracing asks of an address (site
/// expansion walks an address's receipts; the PayJoin rule compares kinds). Built once, by a counting sort of
/// the outputs by address: O(outputs).
///
/// Dense when the index holds a whole chain (rows are the address ids, `0 ..< addressCapacity`); sparse for part
/// of a chain (rows only for the addresses that occur, found through a dictionary), so it is not as long as the
/// largest address id.
struct AddressIndex: Sendable {
    /// Script kind per row (`ScriptKind.code`), 0 when unknown.
    var kind: [UInt8]
    /// Address id → row; nil when rows are the address ids themselves.
    var row: [Int: Int]?
    var largestAddress: Int
    /// Outputs paying row r: `outputs[outputStart[r] ..< outputStart[r + 1]]`, in output order.
    var outputStart: [Int] = [0]
    var outputs: [Int] = []

    func rowOf(_ address: Int) -> Int? {
        guard address >= 0 else { return nil }
        if let row { return row[address] }
        return address < kind.count ? address : nil
    }

    var capacity: Int { row == nil ? kind.count : largestAddress + 1 }
}

extension ChainIndex {
    /// Builds the address index of a whole chain: every address id below `addressBound`, each with the script
    /// kind of the last output paying it in chain order (0 when none does).
    public func indexAddresses() {
        var kinds = [UInt8](repeating: 0, count: addressBound)
        for o in 0 ..< outputCount where outputAddress[o] != Self.noAddress { kinds[Int(outputAddress[o])] = outputKind[o] }
        indexAddresses(kinds: kinds)
    }

    /// Builds the address index with a kind per address id, `0 ..< kinds.count` (grown to cover every output's
    /// address): for an index of a whole chain.
    public func indexAddresses(kinds: [UInt8]) {
        var kind = kinds
        for a in outputAddress where a != Self.noAddress && Int(a) >= kind.count {
            kind.append(contentsOf: repeatElement(0, count: Int(a) + 1 - kind.count))
        }
        addresses = Self.receipts(AddressIndex(kind: kind, row: nil, largestAddress: kind.count - 1), outputAddress)
    }

    /// Builds the address index with rows only for the addresses that occur (in an output, an input or `kinds`):
    /// for an index of part of a chain. `kinds` gives each address's script kind (absent: 0).
    public func indexAddresses(sparseKinds kinds: [Int: UInt8]) {
        // `kinds` usually names every address already (a subgraph's loader records one per address it loads).
        var unnamed = Set<Int>()
        for a in outputAddress where a != Self.noAddress && kinds[Int(a)] == nil { unnamed.insert(Int(a)) }
        for a in inputAddress where a != Self.noAddress && kinds[Int(a)] == nil { unnamed.insert(Int(a)) }
        let occurring = (Array(kinds.keys) + unnamed).sorted()
        var rows: [Int: Int] = [:]
        rows.reserveCapacity(occurring.count)
        var kind: [UInt8] = []
        kind.reserveCapacity(occurring.count)
        var largest = -1
        for a in occurring {
            rows[a] = kind.count
            kind.append(kinds[a] ?? 0)
            largest = a
        }
        addresses = Self.receipts(AddressIndex(kind: kind, row: rows, largestAddress: largest), outputAddress)
    }

    /// Counting sort of outputs by address row.
    static func receipts(_ base: AddressIndex, _ outputAddress: [UInt32]) -> AddressIndex {
        var index = base
        let n = index.kind.count
        let rowOfOutput = outputAddress.map { $0 == noAddress ? -1 : index.rowOf(Int($0)) ?? -1 }
        var counts = Array(repeating: 0, count: n + 1)
        for r in rowOfOutput where r >= 0 { counts[r + 1] += 1 }
        for r in 0 ..< n { counts[r + 1] += counts[r] }
        index.outputStart = counts
        var fill = counts
        index.outputs = Array(repeating: 0, count: counts[n])
        for (o, r) in rowOfOutput.enumerated() where r >= 0 {
            index.outputs[fill[r]] = o
            fill[r] += 1
        }
        return index
    }

    /// The outputs paying an address, in output (chain) order. Needs `indexAddresses`.
    public func outputsPaying(_ address: Int) -> ArraySlice<Int> {
        guard let index = addresses else { preconditionFailure("outputsPaying needs indexAddresses first") }
        guard let r = index.rowOf(address) else { return [] }
        return index.outputs[index.outputStart[r] ..< index.outputStart[r + 1]]
    }

    /// The address's script kind (`ScriptKind.code`), 0 when unknown. Needs `indexAddresses`.
    public func kind(of address: Int) -> UInt8 {
        guard let index = addresses, let r = index.rowOf(address) else { return 0 }
        return index.kind[r]
    }

    /// One more than the largest address id the address index knows (0 without one).
    public var addressCapacity: Int { addresses?.capacity ?? 0 }
}
