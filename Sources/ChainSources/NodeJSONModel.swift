import BitcoinPrimitives

// The shapes of Bitcoin Core's verbose JSON, read with `JSONReader`. Only the fields Spoor reads or checks are
// kept; the rest (`confirmations`, `difficulty`, `desc`, …) are checked as JSON and skipped. Both the current
// format (`scriptPubKey.address`) and the one before Core 22 (`addresses`, `reqSigs`) read.

/// A BTC amount as Core prints it ("0.01039730"), converted to satoshis exactly from the number's text (no
/// binary floating point); more than 8 decimals or a value outside 0…21,000,000 BTC is a fault at this key.
struct NodeBTCValue: JSONReadable {
    var amount: Amount

    init(json r: inout JSONReader) throws(JSONFault) {
        r.skipSpace()
        let start = r.offset
        let (number, range) = try r.number()
        let snapshot = r
        let text = { snapshot.text(range) }
        switch number.integer(scale: 8) {
        case .success(let satoshis):
            amount = Amount(satoshis: satoshis)
            guard amount >= .zero, amount <= .maxMoney else {
                throw JSONFault(message: "\(text()) BTC is outside 0…21,000,000 BTC", offset: start)
            }
        case .failure(.fraction):
            throw JSONFault(message: "\(text()) BTC is not a whole number of satoshis (more than 8 decimals)", offset: start)
        case .failure(.outOfRange):
            throw JSONFault(message: "\(text()) BTC is outside 0…21,000,000 BTC", offset: start)
        }
    }
}

struct NodeScriptPubKeyDTO: JSONReadable {
    var hex: String
    var type: String?
    var address: String?
    /// Core before 22.
    var addresses: [String]?
    /// Core before 22.
    var reqSigs: Int?

    init(json r: inout JSONReader) throws(JSONFault) {
        var hex: String?
        var type: String?, address: String?, addresses: [String]?, reqSigs: Int?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "hex": hex = try r.string()
            case "type": type = try r.optionalString()
            case "address": address = try r.optionalString()
            case "addresses": addresses = try r.optionalStrings()
            case "reqSigs": reqSigs = try r.optionalInteger()
            default: try r.skipValue()
            }
        }
        guard let hex else { throw r.missing("hex") }
        (self.hex, self.type, self.address, self.addresses, self.reqSigs) = (hex, type, address, addresses, reqSigs)
    }
}

struct NodeScriptSigDTO: JSONReadable {
    var hex: String

    init(json r: inout JSONReader) throws(JSONFault) {
        var hex: String?
        try r.forEachMember { r, key throws(JSONFault) in
            if case "hex" = key { hex = try r.string() } else { try r.skipValue() }
        }
        guard let hex else { throw r.missing("hex") }
        self.hex = hex
    }
}

struct NodeOutputDTO: JSONReadable {
    var value: NodeBTCValue
    var n: Int
    var scriptPubKey: NodeScriptPubKeyDTO

    init(json r: inout JSONReader) throws(JSONFault) {
        var value: NodeBTCValue?, n: Int?, scriptPubKey: NodeScriptPubKeyDTO?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "value": value = try NodeBTCValue(json: &r)
            case "n": n = try r.integer()
            case "scriptPubKey": scriptPubKey = try NodeScriptPubKeyDTO(json: &r)
            default: try r.skipValue()
            }
        }
        guard let value else { throw r.missing("value") }
        guard let n else { throw r.missing("n") }
        guard let scriptPubKey else { throw r.missing("scriptPubKey") }
        (self.value, self.n, self.scriptPubKey) = (value, n, scriptPubKey)
    }
}

/// `getblock 3`'s `prevout`: the output an input spends.
struct NodePrevoutDTO: JSONReadable {
    var value: NodeBTCValue
    var scriptPubKey: NodeScriptPubKeyDTO
    var height: Int?
    var generated: Bool?

    init(json r: inout JSONReader) throws(JSONFault) {
        var value: NodeBTCValue?, scriptPubKey: NodeScriptPubKeyDTO?
        var height: Int?, generated: Bool?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "value": value = try NodeBTCValue(json: &r)
            case "scriptPubKey": scriptPubKey = try NodeScriptPubKeyDTO(json: &r)
            case "height": height = try r.optionalInteger()
            case "generated": generated = try r.skipNull() ? nil : r.bool()
            default: try r.skipValue()
            }
        }
        guard let value else { throw r.missing("value") }
        guard let scriptPubKey else { throw r.missing("scriptPubKey") }
        (self.value, self.scriptPubKey, self.height, self.generated) = (value, scriptPubKey, height, generated)
    }
}

struct NodeInputDTO: JSONReadable {
    var coinbase: String?
    var txid: String?
    var vout: UInt32?
    var scriptSig: NodeScriptSigDTO?
    var txinwitness: [String]?
    var sequence: UInt32
    var prevout: NodePrevoutDTO?

    init(json r: inout JSONReader) throws(JSONFault) {
        var sequence: UInt32?
        var coinbase: String?, txid: String?, vout: UInt32?, scriptSig: NodeScriptSigDTO?, txinwitness: [String]?
        var prevout: NodePrevoutDTO?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "coinbase": coinbase = try r.optionalString()
            case "txid": txid = try r.optionalString()
            case "vout": vout = try r.optionalInteger()
            case "scriptSig": scriptSig = try r.optional(NodeScriptSigDTO.self)
            case "txinwitness": txinwitness = try r.optionalStrings()
            case "sequence": sequence = try r.integer()
            case "prevout": prevout = try r.optional(NodePrevoutDTO.self)
            default: try r.skipValue()
            }
        }
        guard let sequence else { throw r.missing("sequence") }
        (self.coinbase, self.txid, self.vout, self.scriptSig) = (coinbase, txid, vout, scriptSig)
        (self.txinwitness, self.sequence, self.prevout) = (txinwitness, sequence, prevout)
    }
}

struct NodeTransactionDTO: JSONReadable {
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

    /// A transaction's members, gathered while its object is read (alone, or as a top-level document whose
    /// kind is known only at its end).
    struct Fields {
        var txid: String?, hash: String?, version: Int64?, size: Int?, vsize: Int?, weight: Int?
        var locktime: UInt32?, vin: [NodeInputDTO]?, vout: [NodeOutputDTO]?, hex: String?, fee: NodeBTCValue?

        /// Reads the member if it is a transaction's; false (nothing consumed) if not.
        mutating func read(_ key: JSONKey, _ r: inout JSONReader) throws(JSONFault) -> Bool {
            switch key {
            case "txid": txid = try r.string()
            case "hash": hash = try r.optionalString()
            case "version": version = try r.integer()
            case "size": size = try r.optionalInteger()
            case "vsize": vsize = try r.optionalInteger()
            case "weight": weight = try r.optionalInteger()
            case "locktime": locktime = try r.integer()
            case "vin": vin = try r.array(of: NodeInputDTO.self)
            case "vout": vout = try r.array(of: NodeOutputDTO.self)
            case "hex": hex = try r.optionalString()
            case "fee": fee = try r.optional(NodeBTCValue.self)
            default: return false
            }
            return true
        }

        func make(_ r: JSONReader) throws(JSONFault) -> NodeTransactionDTO {
            guard let txid else { throw r.missing("txid") }
            guard let version else { throw r.missing("version") }
            guard let locktime else { throw r.missing("locktime") }
            guard let vin else { throw r.missing("vin") }
            guard let vout else { throw r.missing("vout") }
            return NodeTransactionDTO(txid: txid, hash: hash, version: version, size: size, vsize: vsize,
                                      weight: weight, locktime: locktime, vin: vin, vout: vout, hex: hex, fee: fee)
        }
    }

    init(txid: String, hash: String?, version: Int64, size: Int?, vsize: Int?, weight: Int?, locktime: UInt32,
         vin: [NodeInputDTO], vout: [NodeOutputDTO], hex: String?, fee: NodeBTCValue?) {
        (self.txid, self.hash, self.version, self.size, self.vsize, self.weight) = (txid, hash, version, size, vsize, weight)
        (self.locktime, self.vin, self.vout, self.hex, self.fee) = (locktime, vin, vout, hex, fee)
    }

    init(json r: inout JSONReader) throws(JSONFault) {
        var fields = Fields()
        try r.forEachMember { r, key throws(JSONFault) in
            if try !fields.read(key, &r) { try r.skipValue() }
        }
        self = try fields.make(r)
    }
}

struct NodeBlockDTO: JSONReadable {
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

    /// A block's members, gathered while its object is read.
    struct Fields {
        var hash: String?, height: Int?, version: Int64?, merkleroot: String?, time: UInt32?, nonce: UInt32?
        var bits: String?, previousblockhash: String?, size: Int?, strippedsize: Int?, weight: Int?, nTx: Int?
        var tx: [NodeTransactionDTO]?

        /// Reads the member if it is a block's; false (nothing consumed) if not.
        mutating func read(_ key: JSONKey, _ r: inout JSONReader) throws(JSONFault) -> Bool {
            switch key {
            case "hash": hash = try r.string()
            case "height": height = try r.optionalInteger()
            case "version": version = try r.integer()
            case "merkleroot": merkleroot = try r.string()
            case "time": time = try r.integer()
            case "nonce": nonce = try r.integer()
            case "bits": bits = try r.string()
            case "previousblockhash": previousblockhash = try r.optionalString()
            case "size": size = try r.optionalInteger()
            case "strippedsize": strippedsize = try r.optionalInteger()
            case "weight": weight = try r.optionalInteger()
            case "nTx": nTx = try r.optionalInteger()
            case "tx":
                if r.firstElementIsString() {
                    // `getblock <hash>` or `getblock <hash> 1` lists txids only: say which call to make instead.
                    throw r.fault("this is getblock verbosity 1 (txids only); Spoor needs `getblock <hash> 2` or `3`")
                }
                tx = try r.array(of: NodeTransactionDTO.self)
            default: return false
            }
            return true
        }

        func make(_ r: JSONReader) throws(JSONFault) -> NodeBlockDTO {
            guard let hash else { throw r.missing("hash") }
            guard let version else { throw r.missing("version") }
            guard let merkleroot else { throw r.missing("merkleroot") }
            guard let time else { throw r.missing("time") }
            guard let nonce else { throw r.missing("nonce") }
            guard let bits else { throw r.missing("bits") }
            guard let tx else { throw r.missing("tx") }
            return NodeBlockDTO(hash: hash, height: height, version: version, merkleroot: merkleroot, time: time,
                                nonce: nonce, bits: bits, previousblockhash: previousblockhash, size: size,
                                strippedsize: strippedsize, weight: weight, nTx: nTx, tx: tx)
        }
    }

    init(hash: String, height: Int?, version: Int64, merkleroot: String, time: UInt32, nonce: UInt32, bits: String,
         previousblockhash: String?, size: Int?, strippedsize: Int?, weight: Int?, nTx: Int?, tx: [NodeTransactionDTO]) {
        (self.hash, self.height, self.version, self.merkleroot, self.time) = (hash, height, version, merkleroot, time)
        (self.nonce, self.bits, self.previousblockhash, self.size) = (nonce, bits, previousblockhash, size)
        (self.strippedsize, self.weight, self.nTx, self.tx) = (strippedsize, weight, nTx, tx)
    }

    init(json r: inout JSONReader) throws(JSONFault) {
        var fields = Fields()
        try r.forEachMember { r, key throws(JSONFault) in
            if try !fields.read(key, &r) { try r.skipValue() }
        }
        self = try fields.make(r)
    }
}

/// An RPC response's `error` member.
struct NodeRPCErrorDTO: JSONReadable {
    var code: Int?
    var message: String?

    init(json r: inout JSONReader) throws(JSONFault) {
        var code: Int?, message: String?
        try r.forEachMember { r, key throws(JSONFault) in
            switch key {
            case "code": code = try r.optionalInteger()
            case "message": message = try r.optionalString()
            default: try r.skipValue()
            }
        }
        (self.code, self.message) = (code, message)
    }
}

/// What one JSON document in a node-JSON file holds: a block (it has `tx`), a transaction (it has `vin`), or
/// an RPC response `{"result": …, "error": …, "id": …}` wrapping either. Its kind is known only once all its
/// members are read (keys come in any order), so the members of both kinds are gathered in one pass; the ones
/// they share (`hash`, `version`, `size`, `weight`) are read once, as the block's, and given to the transaction.
enum NodeDocument: JSONReadable {
    case block(NodeBlockDTO)
    case transaction(NodeTransactionDTO)

    init(json r: inout JSONReader) throws(JSONFault) {
        var block = NodeBlockDTO.Fields(), tx = NodeTransactionDTO.Fields()
        var result: NodeDocument?, hasResult = false, rpcError: NodeRPCErrorDTO?
        var keys: [String] = []
        try r.forEachMember { r, key throws(JSONFault) in
            if keys.count < 8 { keys.append(key.text) }
            switch key {
            case "result":
                hasResult = true
                result = try r.optional(NodeDocument.self)
            case "error":
                rpcError = r.peek() == UInt8(ascii: "{") ? try NodeRPCErrorDTO(json: &r) : nil
                if rpcError == nil { try r.skipValue() }
            default:
                if try !block.read(key, &r), try !tx.read(key, &r) { try r.skipValue() }
            }
        }
        if hasResult {
            if let rpcError {
                throw r.fault("the RPC response is an error (code \(rpcError.code.map(String.init) ?? "?"): "
                              + "\(rpcError.message ?? "no message"))").inside(.key("error"))
            }
            guard let result else { throw r.fault("the RPC response's result is null").inside(.key("result")) }
            self = result
        } else if block.tx != nil {
            self = .block(try block.make(r))
        } else if tx.vin != nil {
            (tx.hash, tx.version, tx.size, tx.weight) = (block.hash, block.version, block.size, block.weight)
            self = .transaction(try tx.make(r))
        } else {
            throw r.fault("neither a getblock (verbosity 2 or 3) block nor a transaction; keys: "
                          + keys.joined(separator: ", "))
        }
    }
}
