import BitcoinAddresses
import Foundation
import SpoorTestSupport
import Testing

/// A script as Bitcoin Core's JSON shows it: its hex, Core's `asm`, and for outputs Core's type and address.
struct CoreScript: Sendable {
    var source: String
    var hex: String
    var asm: String
    /// A scriptSig (Core decodes sighash types there) rather than a scriptPubKey.
    var isScriptSig: Bool
    var type: String?
    /// `address` (current Core) or the single entry of `addresses` (older Core).
    var address: String?
    /// Older Core only: `reqSigs` and the full `addresses` list.
    var reqSigs: Int?
    var addresses: [String]?
}

/// Collects every scriptSig and scriptPubKey of Core transaction JSON (`decoderawtransaction`,
/// `getrawtransaction 1`, the `tx` list of `getblock 2/3`).
enum CoreJSONScripts {
    static func scripts(inTransaction tx: [String: Any], source: String) -> [CoreScript] {
        var out: [CoreScript] = []
        for input in tx["vin"] as? [[String: Any]] ?? [] {
            if let sig = input["scriptSig"] as? [String: Any], let h = sig["hex"] as? String, let a = sig["asm"] as? String {
                out.append(CoreScript(source: source, hex: h, asm: a, isScriptSig: true))
            }
            if let prevout = input["prevout"] as? [String: Any], let spk = prevout["scriptPubKey"] as? [String: Any] {
                out.append(output(spk, source: source))
            }
        }
        for o in tx["vout"] as? [[String: Any]] ?? [] {
            if let spk = o["scriptPubKey"] as? [String: Any] { out.append(output(spk, source: source)) }
        }
        return out
    }

    static func output(_ spk: [String: Any], source: String) -> CoreScript {
        let addresses = spk["addresses"] as? [String]
        return CoreScript(source: source, hex: spk["hex"] as? String ?? "?", asm: spk["asm"] as? String ?? "?",
                          isScriptSig: false, type: spk["type"] as? String,
                          address: spk["address"] as? String ?? (addresses?.count == 1 ? addresses?.first : nil),
                          reqSigs: spk["reqSigs"] as? Int, addresses: addresses)
    }

    static func scripts(inBlock block: [String: Any], source: String) -> [CoreScript] {
        (block["tx"] as? [[String: Any]] ?? []).flatMap { scripts(inTransaction: $0, source: source) }
    }

    static func object(_ relativePath: String) throws -> [String: Any] {
        guard let o = try loadJSON(relativePath) as? [String: Any] else {
            throw VectorError(description: "\(relativePath) is not a JSON object")
        }
        // Some recorded RPC responses wrap the answer in {"result": …}.
        return o["result"] as? [String: Any] ?? o
    }

    /// Mainnet scripts: Core's util decoderawtransaction outputs and bitcoin-etl's recorded RPC answers.
    static func mainnet() throws -> [CoreScript] {
        var out: [CoreScript] = []
        for name in ["tt-delout1-out.json", "tt-locktime317000-out.json"] {
            out += scripts(inTransaction: try object("bitcoin-core/util/\(name)"), source: name)
        }
        let etl = Fixtures.url("bitcoin-etl/bitcoin")
        for sub in try FileManager.default.contentsOfDirectory(atPath: etl.path).sorted() {
            let dir = etl.appendingPathComponent(sub)
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
                let path = "bitcoin-etl/bitcoin/\(sub)/\(file)"
                if file.hasPrefix("rpc_response_getblock_") && file.hasSuffix("_2.json") {
                    out += scripts(inBlock: try object(path), source: path)
                } else if file.hasPrefix("rpc_response_getrawtransaction_") {
                    out += scripts(inTransaction: try object(path), source: path)
                }
            }
        }
        return out
    }

    /// The bundled regtest chain's `getblock 3` answers (gzip-compressed JSON lines), read through `gzip -dc`.
    static func sampleChain() throws -> [CoreScript] {
        let file = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw VectorError(description: "gzip -dc \(file.path) failed (\(process.terminationStatus))")
        }
        var out: [CoreScript] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            lineNumber += 1
            guard let block = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw VectorError(description: "blocks.jsonl.gz line \(lineNumber) is not an object")
            }
            out += scripts(inBlock: block, source: "small-seed1 line \(lineNumber)")
        }
        return out
    }
}
