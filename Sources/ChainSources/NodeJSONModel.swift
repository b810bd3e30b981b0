import BitcoinPrimitives
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The shapes of Bitcoin Core's verbose JSON, decoded with Codable. Only the fields Spoor reads or checks are
// declared; the rest (`confirmations`, `difficulty`, `desc`, …) are ignored. Both the current format
// (`scriptPubKey.address`) and the one before Core 22 (`addresses`, `reqSigs`) decode.

/// A BTC amount as Core prints it ("0.01039730"), converted to satoshis exactly: the number's text is read as
/// a `Decimal` (no binary floating point), and more than 8 decimals or a value outside 0…21,000,000 BTC is a
/// decoding error at this key.
struct NodeBTCValue: Decodable {
    var amount: Amount

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let decimal = try c.decode(Decimal.self)
        guard let amount = Amount(btcString: decimal.description) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "\(decimal) BTC is not a whole number of satoshis (more than 8 decimals)")
        }
        guard amount >= .zero, amount <= .maxMoney else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "\(decimal) BTC is outside 0…21,000,000 BTC")
        }
        self.amount = amount
    }
}

struct NodeScriptPubKeyDTO: Decodable {
    var hex: String
    var type: String?
    var address: String?
    /// Core before 22.
    var addresses: [String]?
    /// Core before 22.
    var reqSigs: Int?
}

struct NodeScriptSigDTO: Decodable {
    var hex: String
}

struct NodeOutputDTO: Decodable {
    var value: NodeBTCValue
    var n: Int
    var scriptPubKey: NodeScriptPubKeyDTO
}

/// `getblock 3`'s `prevout`: the output an input spends.
struct NodePrevoutDTO: Decodable {
    var value: NodeBTCValue
    var scriptPubKey: NodeScriptPubKeyDTO
    var height: Int?
    var generated: Bool?
}

struct NodeInputDTO: Decodable {
    var coinbase: String?
    var txid: String?
    var vout: UInt32?
    var scriptSig: NodeScriptSigDTO?
    var txinwitness: [String]?
    var sequence: UInt32
    var prevout: NodePrevoutDTO?
}

struct NodeTransactionDTO: Decodable {
    var txid: String
    var hash: String?
    /// Core prints a tx version as signed (before 28) or unsigned (28+); both map to the same 4 bytes.
    var version: Int64
    var size: Int?
    var vsize: Int?
    var weight: Int?
    var locktime: UInt32
    var vin: [NodeInputDTO]
    var vout: [NodeOutputDTO]
    var hex: String?
    var fee: NodeBTCValue?
}

struct NodeBlockDTO: Decodable {
    var hash: String
    var height: Int?
    var version: Int64
    var merkleroot: String
    var time: UInt32
    var nonce: UInt32
    var bits: String
    var previousblockhash: String?
    var size: Int?
    var strippedsize: Int?
    var weight: Int?
    var nTx: Int?
    var tx: [NodeTransactionDTO]

    enum CodingKeys: String, CodingKey {
        case hash, height, version, merkleroot, time, nonce, bits, previousblockhash, size, strippedsize, weight
        case nTx, tx
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hash = try c.decode(String.self, forKey: .hash)
        height = try c.decodeIfPresent(Int.self, forKey: .height)
        version = try c.decode(Int64.self, forKey: .version)
        merkleroot = try c.decode(String.self, forKey: .merkleroot)
        time = try c.decode(UInt32.self, forKey: .time)
        nonce = try c.decode(UInt32.self, forKey: .nonce)
        bits = try c.decode(String.self, forKey: .bits)
        previousblockhash = try c.decodeIfPresent(String.self, forKey: .previousblockhash)
        size = try c.decodeIfPresent(Int.self, forKey: .size)
        strippedsize = try c.decodeIfPresent(Int.self, forKey: .strippedsize)
        weight = try c.decodeIfPresent(Int.self, forKey: .weight)
        nTx = try c.decodeIfPresent(Int.self, forKey: .nTx)
        do {
            tx = try c.decode([NodeTransactionDTO].self, forKey: .tx)
        } catch let error as DecodingError {
            // `getblock <hash>` or `getblock <hash> 1` lists txids only: say which call to make instead.
            if (try? c.decode([String].self, forKey: .tx)) != nil {
                throw DecodingError.dataCorruptedError(
                    forKey: .tx, in: c,
                    debugDescription: "this is getblock verbosity 1 (txids only); Spoor needs `getblock <hash> 2` or `3`")
            }
            throw error
        }
    }
}

/// An RPC response's `error` member.
struct NodeRPCErrorDTO: Decodable {
    var code: Int?
    var message: String?
}

/// What one JSON document in a node-JSON file holds.
enum NodeDocument: Decodable {
    case block(NodeBlockDTO)
    case transaction(NodeTransactionDTO)

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let result = Key(stringValue: "result")
        static let error = Key(stringValue: "error")
        static let tx = Key(stringValue: "tx")
        static let vin = Key(stringValue: "vin")
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if c.contains(.result) {
            // A whole RPC response `{"result": …, "error": …, "id": …}`.
            if c.contains(.error), (try? c.decodeNil(forKey: .error)) == false,
               let rpcError = try? c.decode(NodeRPCErrorDTO.self, forKey: .error) {
                throw DecodingError.dataCorruptedError(
                    forKey: .error, in: c,
                    debugDescription: "the RPC response is an error (code \(rpcError.code.map(String.init) ?? "?"): "
                        + "\(rpcError.message ?? "no message"))")
            }
            self = try c.decode(NodeDocument.self, forKey: .result)
        } else if c.contains(.tx) {
            self = .block(try NodeBlockDTO(from: decoder))
        } else if c.contains(.vin) {
            self = .transaction(try NodeTransactionDTO(from: decoder))
        } else {
            let keys = c.allKeys.prefix(8).map(\.stringValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath,
                debugDescription: "neither a getblock (verbosity 2 or 3) block nor a transaction; keys: \(keys)"))
        }
    }
}
