import BitcoinPrimitives

/// The chains Spoor reads. Each fixes the blk-file magic and the address prefixes.
public enum Network: String, Sendable, CaseIterable, Codable {
    case main
    case testnet3
    case testnet4
    case signet
    case regtest

    /// The four bytes that start every record in this network's blk files (`pchMessageStart`).
    public var magic: [UInt8] {
        switch self {
        case .main: return [0xf9, 0xbe, 0xb4, 0xd9]
        case .testnet3: return [0x0b, 0x11, 0x09, 0x07]
        case .testnet4: return [0x1c, 0x16, 0x3f, 0x28]
        case .signet: return [0x0a, 0x03, 0xcf, 0x40]
        case .regtest: return [0xfa, 0xbf, 0xb5, 0xda]
        }
    }

    /// The network whose blk magic is `bytes`, if any.
    public static func fromMagic(_ bytes: some Collection<UInt8>) -> Network? {
        let b = Array(bytes)
        return allCases.first { $0.magic == b }
    }

    /// Base58Check version byte for P2PKH addresses.
    public var pubkeyHashVersion: UInt8 { self == .main ? 0x00 : 0x6f }
    /// Base58Check version byte for P2SH addresses.
    public var scriptHashVersion: UInt8 { self == .main ? 0x05 : 0xc4 }
    /// Bech32 human-readable part for segwit addresses.
    public var bech32HRP: String {
        switch self {
        case .main: return "bc"
        case .testnet3, .testnet4, .signet: return "tb"
        case .regtest: return "bcrt"
        }
    }
}

extension Network {
    /// The easiest target a block may have (Core's `consensus.powLimit`): a header whose `bits` encode more is
    /// refused, whatever its hash.
    public var powLimit: UInt256 {
        let ones = UInt64.max
        switch self {
        case .main, .testnet3, .testnet4: return UInt256(l0: ones, l1: ones, l2: ones, l3: 0x0000_0000_ffff_ffff)
        case .signet: return UInt256(l0: 0, l1: 0, l2: 0, l3: 0x0000_0377_ae00_0000)
        case .regtest: return UInt256(l0: ones, l1: ones, l2: ones, l3: 0x7fff_ffff_ffff_ffff)
        }
    }
}
