import BitcoinAddresses
import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

/// Loads a JSON vector file from `Tests/Fixtures`.
func loadJSON(_ relativePath: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url(relativePath)), options: [.fragmentsAllowed])
}

struct VectorError: Error, CustomStringConvertible {
    var description: String
}

func hex(_ s: String) throws -> [UInt8] { try Hex.decode(s) }

/// A `key_io_valid.json` row that is an address (not a private key).
struct KeyIOValidRow: Sendable, CustomTestStringConvertible {
    var address: String
    var scriptHex: String
    var chain: String
    var tryCaseFlip: Bool
    var testDescription: String { "\(chain) \(address)" }

    static func load() throws -> [KeyIOValidRow] {
        guard let rows = try loadJSON("bitcoin-core/key_io_valid.json") as? [[Any]] else {
            throw VectorError(description: "key_io_valid.json is not an array of arrays")
        }
        var out: [KeyIOValidRow] = []
        for row in rows {
            guard row.count == 3, let s = row[0] as? String, let h = row[1] as? String,
                  let meta = row[2] as? [String: Any], let chain = meta["chain"] as? String,
                  let isPrivkey = meta["isPrivkey"] as? Bool else {
                throw VectorError(description: "malformed key_io_valid row \(row)")
            }
            if isPrivkey { continue }
            out.append(KeyIOValidRow(address: s, scriptHex: h, chain: chain,
                                     tryCaseFlip: meta["tryCaseFlip"] as? Bool ?? false))
        }
        return out
    }

    /// The networks this row's chain stands for: Core's key_io tests use testnet4, whose prefixes testnet3 shares.
    var networks: [Network] {
        switch chain {
        case "main": return [.main]
        case "testnet4", "test": return [.testnet4, .testnet3]
        case "signet": return [.signet]
        case "regtest": return [.regtest]
        default: return []
        }
    }
}

/// `rpc_decodescript.json` rows: script hex and Core's decodescript answer (regtest).
struct DecodeScriptRow: Sendable, CustomTestStringConvertible {
    var scriptHex: String
    var asm: String
    var type: String
    var address: String?
    var testDescription: String { scriptHex }

    static func load() throws -> [DecodeScriptRow] {
        guard let rows = try loadJSON("bitcoin-core/rpc_decodescript.json") as? [[Any]] else {
            throw VectorError(description: "rpc_decodescript.json is not an array of arrays")
        }
        return try rows.map { row in
            guard row.count == 2, let h = row[0] as? String, let r = row[1] as? [String: Any],
                  let asm = r["asm"] as? String, let type = r["type"] as? String else {
                throw VectorError(description: "malformed rpc_decodescript row \(row)")
            }
            return DecodeScriptRow(scriptHex: h, asm: asm, type: type, address: r["address"] as? String)
        }
    }
}
