import ArgumentParser
import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex
import ChainSources
import Clustering
import Foundation

/// `spoor cluster map`: the per-partition half of clustering on Spark. Reads bitcoin-etl transaction lines and
/// writes what the profile's per-transaction heuristics decide, as tab-separated records (see `discussion`).
struct ClusterMap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Write the merges and exclusions a profile decides per transaction of bitcoin-etl lines (Spark's mapper).",
        discussion: """
            Reads bitcoin-etl transactions.json lines (files, plain or .gz, or standard input when no file is \
            given), in any order, in chunks of --chunk transactions, and writes tab-separated records:
              profile ID SHA256                                   once, first
              transactions N                                      per chunk
              first ADDRESS HEIGHT INDEX VOUT                     first output paying ADDRESS in the chunk
              merge HEIGHT INDEX SEQ TXID ADDRESS_A ADDRESS_B IDS a link the chunk's chain-order walk kept
              stop HEIGHT INDEX SEQ TXID ADDRESS_A ADDRESS_B IDS  a link an exclusion refused
              exclude HEIGHT INDEX TXID IDS                       a transaction an exclusion matched
            IDS are heuristic ids joined by commas. Profiles with a change rule, links or \
            guard.max-merge-growth need the whole chain walked in order and are refused (exit 2).
            """)

    @Argument(help: "bitcoin-etl transactions files (.json, .json.gz); none: standard input.")
    var files: [String] = []
    @OptionGroup var profileOption: ProfileOption
    @Option(name: .long, help: "Network for output addresses: main, testnet3, testnet4, signet, regtest (default: told by the rows' addresses, else main).")
    var network: String?
    @Option(name: .long, help: "Transactions decided together (memory is bounded by one chunk).")
    var chunk = 100_000

    func run() async throws {
        let profile = try profileOption.load()
        if let why = PartitionClustering.refusal(profile) {
            printError("spoor cluster map: \(why); cluster it with spoor cluster on one machine")
            throw ExitCode(2)
        }
        guard chunk >= 1 else { throw ValidationError("--chunk must be at least 1") }
        let stated = try parseNetwork(network)
        let out = FileHandle.standardOutput
        out.write(Data("profile\t\(profile.id)\t\(profile.hash)\n".utf8))
        var mapper = ChunkMapper(profile: profile, network: stated, chunk: chunk, out: out)
        let readers: [() throws -> GzipLineReader] = files.isEmpty
            ? [{ try GzipLineReader(standardInputNamed: "<stdin>") }]
            : files.map { path in { try GzipLineReader(path: path) } }
        for open in readers {
            let reader = try open()
            while let line = try reader.nextLine() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let location = SourceLocation(file: reader.path, line: reader.lineNumber)
                try mapper.add(try BitcoinETLTransaction.decode(line, at: location), at: location)
            }
        }
        mapper.flush()
    }
}

/// Collects decoded rows into chunks, decides each chunk and writes its records.
struct ChunkMapper {
    let profile: HeuristicProfile
    var network: Network?
    let chunk: Int
    let out: FileHandle
    private var pending: [(BitcoinETLTransaction, SourceLocation)] = []
    private var warned = false

    init(profile: HeuristicProfile, network: Network?, chunk: Int, out: FileHandle) {
        self.profile = profile; self.network = network; self.chunk = chunk; self.out = out
    }

    mutating func add(_ tx: BitcoinETLTransaction, at location: SourceLocation) throws {
        guard tx.blockNumber != nil, tx.index != nil else {
            throw CommandFailure("\(location): transaction \(tx.txid) has no block_number or index: only block "
                                 + "transactions can be placed in chain order")
        }
        pending.append((tx, location))
        if pending.count >= chunk { flush() }
    }

    mutating func flush() {
        guard !pending.isEmpty else { return }
        if network == nil { network = pending.lazy.compactMap(\.0.statedNetwork).first }
        if network == nil && !warned {
            warned = true
            printError("warning: the rows' addresses do not tell the network; classifying outputs as mainnet (pass --network)")
        }
        let classifier = ScriptClassifier(network: network ?? .main)
        let txs = pending.map { tx, _ in
            PartitionTransaction(
                position: ChainPosition(height: Int64(tx.blockNumber ?? 0), position: Int64(tx.index ?? 0)), txid: tx.txid,
                isCoinbase: tx.isCoinbase, version: tx.version, lockTime: tx.lockTime,
                inputs: tx.inputs.map { .init(address: $0.address, kind: $0.kind.code, value: $0.value, sequence: $0.sequence) },
                outputs: tx.outputs.map { o in
                    let c = classifier.classify(o.scriptPubKey)
                    return .init(address: c.address, kind: c.kind.code, value: o.value.satoshis)
                })
        }
        pending.removeAll(keepingCapacity: true)
        write(PartitionClustering.decide(txs, profile: profile))
    }

    private func write(_ d: PartitionDecisions) {
        var text = "transactions\t\(d.transactions)\n"
        func ids(_ mask: UInt32) -> String { HeuristicRegistry.ids(inMask: mask).map(\.rawValue).joined(separator: ",") }
        func at(_ p: ChainPosition) -> String { "\(p.height)\t\(p.position)" }
        for f in d.firstOutputs { text += "first\t\(f.address)\t\(at(f.position))\t\(f.vout)\n" }
        for (kind, links) in [("merge", d.merges), ("stop", d.stops)] {
            for l in links { text += "\(kind)\t\(at(l.position))\t\(l.sequence)\t\(l.txid.hex)\t\(l.a)\t\(l.b)\t\(ids(l.heuristics))\n" }
        }
        for x in d.exclusions { text += "exclude\t\(at(x.position))\t\(x.txid.hex)\t\(ids(x.rules))\n" }
        out.write(Data(text.utf8))
    }
}
