/// A satoshi amount as bitcoin-etl writes it: an integer (any size JSON allows), or (in some warehouse dumps) a
/// numeric string; read exactly, never through floating point.
struct ETLSatoshis: JSONReadable {
    var value: Int64

    init(json r: inout JSONReader) throws(JSONFault) {
        r.skipSpace()
        let start = r.offset
        let (number, text): (ExactDecimal, String)
        if r.peek() == UInt8(ascii: "\"") {
            let s = try r.string()
            guard let n = ExactDecimal(text: s) else {
                throw JSONFault(message: "\"\(s)\" is not a number of satoshis", offset: start)
            }
            (number, text) = (n, s)
        } else {
            let (n, range) = try r.number()
            (number, text) = (n, r.text(range))
        }
        switch number.integer(scale: 0) {
        case .success(let v): value = v
        case .failure(.fraction): throw JSONFault(message: "\(text) is not a whole number of satoshis", offset: start)
        case .failure(.outOfRange): throw JSONFault(message: "\(text) satoshis is out of range", offset: start)
        }
    }
}

/// A `nonce`: hex text (bitcoin-etl) or a number (some re-exports).
struct ETLNonce: JSONReadable {
    var value: UInt32

    init(json r: inout JSONReader) throws(JSONFault) {
        r.skipSpace()
        let start = r.offset
        if r.peek() != UInt8(ascii: "\"") { value = try r.integer(UInt32.self); return }
        let s = try r.string()
        guard !s.isEmpty, s.utf8.count <= 8, let n = UInt32(s, radix: 16) else {
            throw JSONFault(message: "\"\(s)\" is not a 32-bit hex nonce", offset: start)
        }
        value = n
    }
}

struct ETLBlockRow: JSONReadable {
    var hash: String
    var size: Int?
    var stripped_size: Int?
    var weight: Int?
    var number: Int
    var version: Int64
    var merkle_root: String
    var timestamp: UInt32
    var nonce: ETLNonce
    var bits: String
    var coinbase_param: String?
    var transaction_count: Int
    /// Newer bitcoin-etl versions write it; the README schema does not have it.
    var previous_block_hash: String?

    init(json r: inout JSONReader) throws(JSONFault) {
        var hash: String?, number: Int?, version: Int64?, merkleRoot: String?, timestamp: UInt32?
        var nonce: ETLNonce?, bits: String?, transactionCount: Int?
        var size: Int?, stripped_size: Int?, weight: Int?, coinbase_param: String?, previous_block_hash: String?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "hash": hash = try r.string()
            case "size": size = try r.optionalInteger()
            case "stripped_size": stripped_size = try r.optionalInteger()
            case "weight": weight = try r.optionalInteger()
            case "number": number = try r.integer()
            case "version": version = try r.integer()
            case "merkle_root": merkleRoot = try r.string()
            case "timestamp": timestamp = try r.integer()
            case "nonce": nonce = try ETLNonce(json: &r)
            case "bits": bits = try r.string()
            case "coinbase_param": coinbase_param = try r.optionalString()
            case "transaction_count": transactionCount = try r.integer()
            case "previous_block_hash": previous_block_hash = try r.optionalString()
            default: try r.skipValue()
            }
        }
        guard let hash else { throw r.missing("hash") }
        guard let number else { throw r.missing("number") }
        guard let version else { throw r.missing("version") }
        guard let merkleRoot else { throw r.missing("merkle_root") }
        guard let timestamp else { throw r.missing("timestamp") }
        guard let nonce else { throw r.missing("nonce") }
        guard let bits else { throw r.missing("bits") }
        guard let transactionCount else { throw r.missing("transaction_count") }
        (self.hash, self.number, self.version, merkle_root) = (hash, number, version, merkleRoot)
        (self.timestamp, self.nonce, self.bits, transaction_count) = (timestamp, nonce, bits, transactionCount)
        (self.size, self.stripped_size, self.weight) = (size, stripped_size, weight)
        (self.coinbase_param, self.previous_block_hash) = (coinbase_param, previous_block_hash)
    }
}

struct ETLInputRow: JSONReadable {
    var index: Int
    var spent_transaction_hash: String
    var spent_output_index: UInt32
    var script_hex: String?
    var sequence: UInt32
    var type: String?
    var addresses: [String]?
    var value: ETLSatoshis?

    init(json r: inout JSONReader) throws(JSONFault) {
        var index: Int?, spent: String?, spentIndex: UInt32?, sequence: UInt32?
        var script_hex: String?, type: String?, addresses: [String]?, value: ETLSatoshis?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "index": index = try r.integer()
            case "spent_transaction_hash": spent = try r.string()
            case "spent_output_index": spentIndex = try r.integer()
            case "script_hex": script_hex = try r.optionalString()
            case "sequence": sequence = try r.integer()
            case "type": type = try r.optionalString()
            case "addresses": addresses = try r.optionalStrings()
            case "value": value = try r.optional(ETLSatoshis.self)
            default: try r.skipValue()
            }
        }
        guard let index else { throw r.missing("index") }
        guard let spent else { throw r.missing("spent_transaction_hash") }
        guard let spentIndex else { throw r.missing("spent_output_index") }
        guard let sequence else { throw r.missing("sequence") }
        (self.index, spent_transaction_hash, spent_output_index, self.sequence) = (index, spent, spentIndex, sequence)
        (self.script_hex, self.type, self.addresses, self.value) = (script_hex, type, addresses, value)
    }
}

struct ETLOutputRow: JSONReadable {
    var index: Int
    var script_hex: String
    var value: ETLSatoshis
    var addresses: [String]?

    init(json r: inout JSONReader) throws(JSONFault) {
        var index: Int?, script: String?, value: ETLSatoshis?
        var addresses: [String]?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "index": index = try r.integer()
            case "script_hex": script = try r.string()
            case "value": value = try ETLSatoshis(json: &r)
            case "addresses": addresses = try r.optionalStrings()
            default: try r.skipValue()
            }
        }
        guard let index else { throw r.missing("index") }
        guard let script else { throw r.missing("script_hex") }
        guard let value else { throw r.missing("value") }
        (self.index, script_hex, self.value, self.addresses) = (index, script, value, addresses)
    }
}

struct ETLTransactionRow: JSONReadable {
    var hash: String
    var size: Int
    var virtual_size: Int?
    var version: Int64
    var lock_time: UInt32
    var block_number: Int?
    var block_hash: String?
    var is_coinbase: Bool
    var index: Int?
    var inputs: [ETLInputRow]
    var outputs: [ETLOutputRow]

    init(json r: inout JSONReader) throws(JSONFault) {
        var hash: String?, size: Int?, version: Int64?, lockTime: UInt32?, isCoinbase: Bool?
        var inputs: [ETLInputRow]?, outputs: [ETLOutputRow]?
        var virtual_size: Int?, block_number: Int?, block_hash: String?, index: Int?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "hash": hash = try r.string()
            case "size": size = try r.integer()
            case "virtual_size": virtual_size = try r.optionalInteger()
            case "version": version = try r.integer()
            case "lock_time": lockTime = try r.integer()
            case "block_number": block_number = try r.optionalInteger()
            case "block_hash": block_hash = try r.optionalString()
            case "is_coinbase": isCoinbase = try r.bool()
            case "index": index = try r.optionalInteger()
            case "inputs": inputs = try r.array(of: ETLInputRow.self)
            case "outputs": outputs = try r.array(of: ETLOutputRow.self)
            default: try r.skipValue()
            }
        }
        guard let hash else { throw r.missing("hash") }
        guard let size else { throw r.missing("size") }
        guard let version else { throw r.missing("version") }
        guard let lockTime else { throw r.missing("lock_time") }
        guard let isCoinbase else { throw r.missing("is_coinbase") }
        guard let inputs else { throw r.missing("inputs") }
        guard let outputs else { throw r.missing("outputs") }
        (self.hash, self.size, self.version, lock_time, is_coinbase) = (hash, size, version, lockTime, isCoinbase)
        (self.inputs, self.outputs) = (inputs, outputs)
        (self.virtual_size, self.block_number, self.block_hash, self.index) = (virtual_size, block_number, block_hash, index)
    }
}
