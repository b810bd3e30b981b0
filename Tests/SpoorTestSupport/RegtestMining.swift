import BitcoinPrimitives
import Foundation

/// Real regtest blocks and the few hashes it takes to mine new ones: Spoor checks proof of work, so a test
/// that builds or re-links a block must give it a header that meets its bits (regtest's 0x207fffff: every
/// second hash does).
public enum RegtestMining {
    public static let bits: UInt32 = 0x207f_ffff

    /// The 104 blocks (heights 0–103) of Bitcoin Core's `rpc_getblockstats.json` test, as raw bytes.
    public static func fixtureBlocks() throws -> [[UInt8]] {
        let data = try Data(contentsOf: Fixtures.url("bitcoin-core/rpc_getblockstats.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return try (json?["blocks"] as? [String] ?? []).map { try Hex.decode($0) }
    }

    /// `header` with the first nonce from `startNonce` on that meets its target.
    public static func mine(_ header: BlockHeader, startNonce: UInt32 = 0) -> BlockHeader {
        let target = UInt256.target(fromCompactBits: header.bits) ?? .zero
        var nonce = startNonce
        while true {
            let h = BlockHeader(version: header.version, previousBlockHash: header.previousBlockHash,
                                merkleRoot: header.merkleRoot, time: header.time, bits: header.bits, nonce: nonce)
            if h.proofOfWorkFault(powLimit: target) == nil { return h }
            nonce &+= 1
        }
    }

    /// A raw block re-mined on `parent` (when given): same transactions, a new valid header. Distinct
    /// `startNonce` values give distinct blocks.
    public static func remined(_ block: [UInt8], parent: BlockHash? = nil, startNonce: UInt32) throws -> [UInt8] {
        let b = try Block(bytes: block)
        let old = b.header
        let header = mine(BlockHeader(version: old.version, previousBlockHash: parent ?? old.previousBlockHash,
                                      merkleRoot: old.merkleRoot, time: old.time, bits: old.bits, nonce: 0),
                          startNonce: startNonce)
        return Block(header: header, transactions: b.transactions).serialized()
    }
}
