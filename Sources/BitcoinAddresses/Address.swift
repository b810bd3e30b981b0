/// Why a string is not an address (for the networks asked about), with the string itself for the message.
public struct AddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, one case per class of fault.
    public enum Reason: Sendable, Equatable {
        /// Nothing to decode.
        case empty
        /// Not Base58 and not Bech32 (a character outside both alphabets, or no valid checksum of either).
        case base58(Base58Error)
        /// A Base58Check payload that is not a version byte plus a 20-byte hash.
        case wrongLength(Int)
        /// A Base58Check version byte no network uses for P2PKH or P2SH.
        case unknownVersionByte(UInt8)
        /// A valid Bech32/Bech32m string whose human-readable part is no network's.
        case unknownHRP(String)
        /// An address of another network than the one asked for.
        case wrongNetwork(expected: Network, found: [Network])
        /// A Bech32 fault: mixed case, bad checksum, BIP350 violations (v0 must be Bech32, v1+ Bech32m),
        /// bad witness version or program length, bad padding.
        case bech32(Bech32Error)
    }

    /// The text that was rejected.
    public var text: String
    public var reason: Reason

    public init(_ text: String, _ reason: Reason) {
        self.text = text
        self.reason = reason
    }

    public var description: String {
        let what: String
        switch reason {
        case .empty: what = "empty string"
        case let .base58(e): what = e.description
        case let .wrongLength(n):
            what = "Base58Check payload of \(n) bytes; P2PKH/P2SH addresses carry 21 (version + 20-byte hash)"
        case let .unknownVersionByte(v): what = "unknown Base58 version byte 0x\(String(v, radix: 16))"
        case let .unknownHRP(hrp): what = "unknown segwit prefix '\(hrp)' (expected bc, tb or bcrt)"
        case let .wrongNetwork(expected, found):
            what = "address of \(found.map(\.rawValue).joined(separator: "/")), not \(expected.rawValue)"
        case let .bech32(e): what = e.description
        }
        return "'\(text)' is not a valid address: \(what)"
    }
}

/// A decoded address: the scriptPubKey it pays, its kind, and the networks whose prefixes it carries
/// (Base58 testnet prefixes are shared by testnet3, testnet4, signet and regtest; `tb` by testnet3, testnet4
/// and signet). Decoding follows Bitcoin Core's `DecodeDestination`.
public struct Address: Sendable, Hashable, CustomStringConvertible {
    /// The canonical text: Base58 as given, Bech32 in lower case.
    public let string: String
    public let scriptPubKey: [UInt8]
    public let kind: ScriptKind
    public let networks: [Network]

    public var description: String { string }

    /// Decodes an address of any network Spoor knows.
    public init(_ text: some StringProtocol) throws(AddressError) {
        self = try Address.decode(String(text), network: nil)
    }

    /// Decodes an address of `network`; an address of another network is `wrongNetwork`.
    public init(_ text: some StringProtocol, network: Network) throws(AddressError) {
        self = try Address.decode(String(text), network: network)
    }

    /// Segwit human-readable parts, longest first so "bcrt" is tried before "bc".
    static let segwitPrefixes: [(hrp: String, networks: [Network])] = [
        ("bcrt", [.regtest]), ("bc", [.main]), ("tb", [.testnet3, .testnet4, .signet]),
    ]

    static func networks(pubkeyVersion v: UInt8) -> [Network] {
        Network.allCases.filter { $0.pubkeyHashVersion == v }
    }

    static func networks(scriptVersion v: UInt8) -> [Network] {
        Network.allCases.filter { $0.scriptHashVersion == v }
    }

    private init(string: String, scriptPubKey: [UInt8], kind: ScriptKind, networks: [Network]) {
        self.string = string
        self.scriptPubKey = scriptPubKey
        self.kind = kind
        self.networks = networks
    }

    private static func decode(_ text: String, network: Network?) throws(AddressError) -> Address {
        guard !text.isEmpty else { throw AddressError(text, .empty) }
        let lower = text.lowercased()
        if let prefix = segwitPrefixes.first(where: { lower.hasPrefix($0.hrp + "1") }) {
            return try decodeSegwit(text, hrp: prefix.hrp, networks: prefix.networks, expected: network)
        }
        // Base58Check: version byte + 20-byte hash. Addresses are at most 35 characters; 100 bounds the work.
        let payload: [UInt8]
        do {
            payload = try Base58Check.decode(text, maxLength: 100)
        } catch {
            // A well-formed Bech32 string under a prefix we do not know says more than "bad Base58".
            if let decoded = try? Bech32.decode(text) { throw AddressError(text, .unknownHRP(decoded.hrp)) }
            throw AddressError(text, .base58(error))
        }
        guard payload.count == 21 else { throw AddressError(text, .wrongLength(payload.count)) }
        let version = payload[0]
        let hash = payload[1...]
        var found = networks(pubkeyVersion: version)
        var script: [UInt8]
        var kind: ScriptKind
        if !found.isEmpty {
            script = [Opcode.dup, Opcode.hash160, 20] + hash + [Opcode.equalverify, Opcode.checksig]
            kind = .pubkeyhash
        } else {
            found = networks(scriptVersion: version)
            guard !found.isEmpty else { throw AddressError(text, .unknownVersionByte(version)) }
            script = [Opcode.hash160, 20] + hash + [Opcode.equal]
            kind = .scripthash
        }
        if let network, !found.contains(network) {
            throw AddressError(text, .wrongNetwork(expected: network, found: found))
        }
        return Address(string: text, scriptPubKey: script, kind: kind, networks: found)
    }

    private static func decodeSegwit(_ text: String, hrp: String, networks: [Network],
                                     expected: Network?) throws(AddressError) -> Address {
        let segwit: SegwitAddress
        do {
            segwit = try SegwitAddress(text, expectedHRP: hrp)
        } catch {
            throw AddressError(text, .bech32(error))
        }
        if let expected, !networks.contains(expected) {
            throw AddressError(text, .wrongNetwork(expected: expected, found: networks))
        }
        let script = segwit.scriptPubKey
        let kind = ScriptClassifier.kind(of: script)
        return Address(string: text.lowercased(), scriptPubKey: script, kind: kind, networks: networks)
    }
}
