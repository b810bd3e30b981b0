import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// A failure reading an Esplora API, naming the URL and what was wrong with the answer.
public struct EsploraError: Error, Sendable, CustomStringConvertible {
    /// The URL asked (without credentials).
    public var url: String
    public var message: String
    /// The HTTP failure underneath, when there is one.
    public var http: HTTPError?

    public init(url: String, message: String, http: HTTPError? = nil) {
        self.url = url
        self.message = message
        self.http = http
    }

    public var description: String { http.map { "\($0)" } ?? "\(url): \(message)" }
}

/// Where a transaction sits, as Esplora states it (`status`).
public struct EsploraStatus: Sendable, Decodable, Equatable {
    public var confirmed: Bool
    public var blockHeight: Int?
    public var blockHash: BlockHash?
    public var blockTime: Int64?

    enum CodingKeys: String, CodingKey {
        case confirmed
        case blockHeight = "block_height"
        case blockHash = "block_hash"
        case blockTime = "block_time"
    }
}

/// An output as Esplora describes it (in `vout`, and as an input's `prevout`).
public struct EsploraOutput: Sendable, Decodable {
    public var scriptpubkey: String
    public var scriptpubkeyAddress: String?
    public var value: Int64

    enum CodingKeys: String, CodingKey {
        case scriptpubkey
        case scriptpubkeyAddress = "scriptpubkey_address"
        case value
    }
}

public struct EsploraInput: Sendable, Decodable {
    public var txid: Txid
    public var vout: UInt32
    public var prevout: EsploraOutput?
    public var isCoinbase: Bool

    enum CodingKeys: String, CodingKey {
        case txid, vout, prevout
        case isCoinbase = "is_coinbase"
    }
}

/// The parts of Esplora's transaction JSON that Spoor uses. The transaction itself comes from `/tx/:txid/hex`
/// (exact bytes, txid checked by hashing); the JSON adds where it was mined and what each input spent.
public struct EsploraTransaction: Sendable, Decodable {
    public var txid: Txid
    public var vin: [EsploraInput]
    public var vout: [EsploraOutput]
    public var status: EsploraStatus
}

/// Where an output went (`/tx/:txid/outspends`).
public struct EsploraOutspend: Sendable, Decodable {
    public var spent: Bool
    public var txid: Txid?
    public var vin: Int?
}

/// Block fields from `/block/:hash`.
public struct EsploraBlockSummary: Sendable, Decodable {
    public var id: BlockHash
    public var height: Int
    public var txCount: Int
    public var size: Int
    public var weight: Int

    enum CodingKeys: String, CodingKey {
        case id, height, size, weight
        case txCount = "tx_count"
    }
}

/// Blocking client for an Esplora-compatible REST API (Blockstream's electrs, mempool.space): every answer is
/// checked against what was asked, and every fault names the URL.
public final class EsploraClient: @unchecked Sendable {
    public let baseURL: URL
    private let transport: HTTPTransport
    /// Confirmed transactions per page of `/address/:a/txs/chain` (25 on every public instance).
    public let chainPageSize: Int

    public init(baseURL: URL, transport: HTTPTransport, chainPageSize: Int = 25) {
        // "https://host/api/" and "https://host/api" mean the same.
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.baseURL = URL(string: text) ?? baseURL
        self.transport = transport
        self.chainPageSize = chainPageSize
    }

    public var requestCount: Int { transport.requestCount }
    public var retryCount: Int { transport.retryCount }

    /// Address strings are letters and digits in every format; anything else is refused before it becomes a path.
    public static func isPlausibleAddress(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic
            || ("0"..."9").contains($0)) }
    }

    /// The network an address belongs to, where its prefix says (`bc1`/`1`/`3` main, `tb1` testnet, `bcrt1`
    /// regtest); nil for prefixes that several networks share.
    public static func network(ofAddress a: String) -> Network? { NetworkInference.infer(fromAddress: a) }

    private func url(_ path: String) -> URL {
        URL(string: baseURL.absoluteString + path) ?? baseURL
    }

    private func get(_ path: String) throws(EsploraError) -> (url: String, body: [UInt8]) {
        let u = url(path)
        let shown = HTTPTransport.displayString(u)
        do {
            return (shown, try transport.send(method: "GET", url: u).body)
        } catch {
            throw EsploraError(url: shown, message: "\(error)", http: error)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], from url: String,
                                      what: String) throws(EsploraError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let e as DecodingError {
            throw EsploraError(url: url, message: "the answer is not \(what): \(Self.explain(e))")
        } catch {
            throw EsploraError(url: url, message: "the answer is not \(what): \(error)")
        }
    }

    private static func explain(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? c.debugDescription : "\(p): \(c.debugDescription)"
        }
        switch e {
        case .dataCorrupted(let c): return path(c).isEmpty ? "malformed JSON" : "malformed JSON (\(path(c)))"
        case .keyNotFound(let k, let c): return "missing field '\(k.stringValue)' (\(path(c)))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return path(c)
        @unknown default: return "\(e)"
        }
    }

    /// One page of an address's transactions: the first page (`after` nil) or the confirmed ones after
    /// `after` (`/address/:a/txs/chain/:last_seen_txid`). Each comes with its JSON as sent, so a crawl can keep
    /// it with its frontier and need not ask `/tx/:txid` again after an interruption.
    public func addressTransactions(_ address: String, after: Txid?) throws(EsploraError)
        -> [(info: EsploraTransaction, json: [UInt8])] {
        guard Self.isPlausibleAddress(address) else {
            throw EsploraError(url: baseURL.absoluteString, message: "'\(address)' is not an address")
        }
        let path = after.map { "/address/\(address)/txs/chain/\($0.hex)" } ?? "/address/\(address)/txs"
        let (u, body) = try get(path)
        let spans = NodeRPCJSONSpans(bytes: body)
        let elements: [Range<Int>]
        do { elements = try spans.arrayElements() } catch {
            throw EsploraError(url: u, message: "the answer is not a JSON list of transactions: \(error.message) "
                + "at byte \(error.offset)")
        }
        var out: [(info: EsploraTransaction, json: [UInt8])] = []
        out.reserveCapacity(elements.count)
        for (i, range) in elements.enumerated() {
            let json = Array(body[range])
            out.append((try decode(EsploraTransaction.self, json, from: u, what: "a transaction's JSON (element \(i))"),
                        json))
        }
        return out
    }

    /// Decodes transaction JSON kept from an earlier answer.
    public func decodeTransactionInfo(_ json: [UInt8], txid: Txid) throws(EsploraError) -> EsploraTransaction {
        let info = try decode(EsploraTransaction.self, json, from: "stored JSON of \(txid.hex)", what: "a transaction's JSON")
        guard info.txid == txid else {
            throw EsploraError(url: "stored JSON of \(txid.hex)", message: "the JSON is about \(info.txid.hex)")
        }
        return info
    }

    /// `/tx/:txid`: the JSON, checked to be about `txid`.
    public func transactionInfo(_ txid: Txid) throws(EsploraError) -> EsploraTransaction {
        let (u, body) = try get("/tx/\(txid.hex)")
        let tx = try decode(EsploraTransaction.self, body, from: u, what: "a transaction's JSON")
        guard tx.txid == txid else {
            throw EsploraError(url: u, message: "asked for transaction \(txid.hex), the answer is about \(tx.txid.hex)")
        }
        return tx
    }

    /// `/tx/:txid/hex`: the transaction's bytes, decoded, with the txid they hash to checked against `txid`.
    public func transaction(_ txid: Txid) throws(EsploraError) -> Transaction {
        let (u, body) = try get("/tx/\(txid.hex)/hex")
        var text = body
        while let last = text.last, last == 0x0a || last == 0x0d || last == 0x20 { text.removeLast() }
        let bytes: [UInt8]
        do { bytes = try Hex.decode(utf8: &text) } catch {
            throw EsploraError(url: u, message: "the answer is not transaction hex: \(error)")
        }
        let tx: Transaction
        do { tx = try Transaction(bytes: bytes) } catch {
            throw EsploraError(url: u, message: "the hex is not a valid transaction: \(error)")
        }
        guard tx.txid == txid else {
            throw EsploraError(url: u, message: "the bytes hash to txid \(tx.txid.hex), not the \(txid.hex) asked for")
        }
        return tx
    }

    /// `/tx/:txid/outspends`: per output, the transaction that spends it (if any).
    public func outspends(_ txid: Txid) throws(EsploraError) -> [EsploraOutspend] {
        let (u, body) = try get("/tx/\(txid.hex)/outspends")
        return try decode([EsploraOutspend].self, body, from: u, what: "a JSON list of outspends")
    }

    /// `/block/:hash/header`: the 80-byte header, checked to hash to `hash`.
    public func blockHeader(_ hash: BlockHash) throws(EsploraError) -> BlockHeader {
        let (u, body) = try get("/block/\(hash.hex)/header")
        var text = body
        while let last = text.last, last == 0x0a || last == 0x0d || last == 0x20 { text.removeLast() }
        let bytes: [UInt8]
        do { bytes = try Hex.decode(utf8: &text) } catch {
            throw EsploraError(url: u, message: "the answer is not block header hex: \(error)")
        }
        guard bytes.count == BlockHeader.size else {
            throw EsploraError(url: u, message: "a block header is 80 bytes, the answer has \(bytes.count)")
        }
        let header: BlockHeader
        do {
            header = try bytes.withUnsafeBytes { (p: UnsafeRawBufferPointer) throws(ParseError) -> BlockHeader in
                var r = ByteReader(p)
                return try BlockHeader(from: &r)
            }
        } catch {
            throw EsploraError(url: u, message: "the answer is not a block header: \(error)")
        }
        guard header.hash == hash else {
            throw EsploraError(url: u, message: "the header hashes to \(header.hash.hex), not the \(hash.hex) asked for")
        }
        return header
    }

    /// `/block/:hash/txids`: every txid of the block in block order (gives a fetched transaction its position).
    public func blockTxids(_ hash: BlockHash) throws(EsploraError) -> [Txid] {
        let (u, body) = try get("/block/\(hash.hex)/txids")
        return try decode([Txid].self, body, from: u, what: "a JSON list of txids")
    }

    /// `/block/:hash`: height and transaction count.
    public func blockSummary(_ hash: BlockHash) throws(EsploraError) -> EsploraBlockSummary {
        let (u, body) = try get("/block/\(hash.hex)")
        let b = try decode(EsploraBlockSummary.self, body, from: u, what: "a block's JSON")
        guard b.id == hash else {
            throw EsploraError(url: u, message: "asked for block \(hash.hex), the answer is about \(b.id.hex)")
        }
        return b
    }

    /// Checks that the JSON and the bytes describe the same transaction (inputs spend the same outputs, outputs
    /// pay the same scripts the same amounts), so prevouts taken from the JSON belong to these inputs.
    public static func check(_ info: EsploraTransaction, against tx: Transaction, url: String) throws(EsploraError) {
        guard info.vin.count == tx.inputs.count, info.vout.count == tx.outputs.count else {
            throw EsploraError(url: url, message: "the JSON has \(info.vin.count) inputs and \(info.vout.count) outputs, "
                + "the transaction bytes \(tx.inputs.count) and \(tx.outputs.count)")
        }
        for (i, (j, input)) in zip(info.vin, tx.inputs).enumerated() where !j.isCoinbase {
            guard j.txid == input.prevout.txid, j.vout == input.prevout.vout else {
                throw EsploraError(url: url, message: "input \(i) spends \(j.txid.hex):\(j.vout) in the JSON but "
                    + "\(input.prevout) in the transaction bytes")
            }
        }
        for (i, (j, output)) in zip(info.vout, tx.outputs).enumerated() {
            guard j.value == output.value.satoshis, j.scriptpubkey == Hex.encode(output.scriptPubKey) else {
                throw EsploraError(url: url, message: "output \(i) differs between the JSON and the transaction bytes")
            }
        }
    }
}
