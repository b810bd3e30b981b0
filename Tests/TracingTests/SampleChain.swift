import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex
import Foundation
import SpoorTestSupport
import Tracing

/// The bundled sample chain as a `ChainIndex`, read from its node JSON (`rpc/blocks.jsonl.gz`) so the
/// tracing core can be tested without the case database. Address ids are dense in order of first
/// appearance. Clustering here is plain common-input with BlockSci's generic CoinJoin exclusion — enough to
/// exercise the tracing core; the real clustering lives in the Clustering target.
struct SampleChain: @unchecked Sendable {
    var graph: ChainIndex
    var addressID: [String: Int]
    var addresses: [String]
    var clusters: ClusterAssignment
    var folder: URL

    nonisolated(unsafe) static var cache: [String: SampleChain] = [:]
    static let lock = NSLock()

    static func load(_ name: String = "small-seed1") throws -> SampleChain {
        lock.lock(); defer { lock.unlock() }
        if let c = cache[name] { return c }
        let folder = Fixtures.sampleChains.appendingPathComponent(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", folder.appendingPathComponent("rpc/blocks.jsonl.gz").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var builder = ChainIndex.Builder()
        var ids: [String: Int] = [:]
        var names: [String] = []
        func id(_ s: String) -> Int {
            if let i = ids[s] { return i }
            ids[s] = names.count; names.append(s); return names.count - 1
        }
        var inputLists: [[Int]] = []
        var outputValues: [[Int64]] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let block = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let txs = block["tx"] as? [[String: Any]] else { continue }
            let height = Int32(block["height"] as? Int ?? 0)
            let time = Int64(block["time"] as? Int ?? 0)
            for tx in txs {
                let txid = Txid(digest: Digest32(displayHex: tx["txid"] as? String ?? "")!)
                var ins: [ChainIndex.Builder.Input] = []
                var inAddrs: [Int] = []
                for vin in tx["vin"] as? [[String: Any]] ?? [] {
                    if vin["coinbase"] != nil { ins.append(.init(previous: nil)); continue }
                    let prev = Txid(digest: Digest32(displayHex: vin["txid"] as? String ?? "")!)
                    ins.append(.init(previous: (prev, vin["vout"] as? Int ?? 0)))
                    if let spk = (vin["prevout"] as? [String: Any])?["scriptPubKey"] as? [String: Any],
                       let a = spk["address"] as? String { inAddrs.append(id(a)) }
                }
                var outs: [ChainIndex.Builder.Output] = []
                var values: [Int64] = []
                for vout in tx["vout"] as? [[String: Any]] ?? [] {
                    let spk = vout["scriptPubKey"] as? [String: Any] ?? [:]
                    let value = Amount(btcString: "\(vout["value"] as? NSNumber ?? 0)")?.satoshis
                        ?? Int64(((vout["value"] as? Double) ?? 0) * 1e8 + 0.5)
                    let kind = ScriptKind(rawValue: spk["type"] as? String ?? "")?.code ?? 0
                    let a = (spk["address"] as? String).map(id) ?? -1
                    outs.append(.init(address: a, value: value, kind: kind))
                    values.append(value)
                }
                builder.add(txid: txid, height: height, time: time, inputs: ins, outputs: outs)
                inputLists.append(inAddrs)
                outputValues.append(values)
            }
        }
        let graph = builder.finish()
        var parent = Array(0 ..< graph.addressCapacity)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for (t, ins) in inputLists.enumerated() where ins.count > 1 {
            if isGenericCoinJoin(inputs: ins, outputValues: outputValues[t]) { continue }
            for a in ins.dropFirst() {
                let (x, y) = (find(ins[0]), find(a))
                if x != y { parent[max(x, y)] = min(x, y) }
            }
        }
        let clusterOf = (0 ..< graph.addressCapacity).map(find)
        let chain = SampleChain(graph: graph, addressID: ids, addresses: names,
                                clusters: ClusterAssignment(clusterOf: clusterOf), folder: folder)
        cache[name] = chain
        return chain
    }

    static func isGenericCoinJoin(inputs: [Int], outputValues: [Int64]) -> Bool {
        guard inputs.count >= 2, outputValues.count >= 3 else { return false }
        let p = (outputValues.count + 1) / 2
        guard p <= inputs.count, p <= Set(inputs).count else { return false }
        var counts: [Int64: Int] = [:]
        for v in outputValues { counts[v, default: 0] += 1 }
        guard let (value, n) = counts.max(by: { $0.value < $1.value }) else { return false }
        return n == p && value > 546
    }

    func text(_ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }
}
