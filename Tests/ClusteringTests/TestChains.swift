import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex
import Clustering
import Foundation
import SpoorTestSupport

/// Small helpers to write transactions by hand.
func addr(_ n: UInt32) -> AddressID { AddressID(n) }

func tx(_ id: UInt32, inputs: [(UInt32?, Int64)], outputs: [(UInt32?, Int64)], coinbase: Bool = false,
        inKind: ScriptKind = .witnessV0KeyHash, outKinds: [ScriptKind]? = nil,
        spenders: [SpenderShape?]? = nil, version: Int32 = 2, lockTime: UInt32 = 0) -> ClusterTransaction {
    ClusterTransaction(
        id: TxID(id), version: version, lockTime: lockTime, isCoinbase: coinbase,
        inputs: inputs.map { .init(address: $0.0.map(AddressID.init), value: Amount(satoshis: $0.1), kind: inKind) },
        outputs: outputs.enumerated().map { i, o in
            .init(address: o.0.map(AddressID.init), value: Amount(satoshis: o.1),
                  kind: outKinds?[i] ?? .witnessV0KeyHash, spender: spenders?[i] ?? nil)
        })
}

func view(_ t: ClusterTransaction, fresh: OutputSet = .empty) -> TxView {
    var v = ChainIndex([t]).view(0)
    v.fresh = fresh
    return v
}

/// The bundled sample chain, decoded from its blk file (XOR key applied, padding skipped), in chain order.
enum SampleChain {
    static func load(_ name: String = "small-seed1") throws -> (ChainBuilder, GroundTruth) {
        let root = Fixtures.sampleChains.appendingPathComponent(name)
        let dir = root.appendingPathComponent("blocks")
        let key = [UInt8](try Data(contentsOf: dir.appendingPathComponent("xor.dat")))
        var bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("blk00000.dat")))
        for i in bytes.indices { bytes[i] ^= key[i % key.count] }
        let magic = Array(bytes.prefix(4))
        var offset = 0
        var byPrev: [BlockHash: Block] = [:]
        var genesis: Block?
        while offset + 8 <= bytes.count, Array(bytes[offset..<offset + 4]) == magic {
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let block = try Block(bytes: Array(bytes[(offset + 8)..<(offset + 8 + size)]))
            if block.header.previousBlockHash.digest.isZero { genesis = block } else { byPrev[block.header.previousBlockHash] = block }
            offset += 8 + size
        }
        var builder = ChainBuilder()
        var current = genesis
        while let b = current { builder.append(b); current = byPrev[b.hash] }
        let truth = try GroundTruth(transactionsJSON: try Data(contentsOf: root.appendingPathComponent("truth/transactions.json")))
        return (builder, truth)
    }

    static func profile(_ name: String) throws -> HeuristicProfile {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Heuristics/profiles/\(name).json")
        return try HeuristicProfile.load([UInt8](try Data(contentsOf: url)), file: url.path)
    }
}
