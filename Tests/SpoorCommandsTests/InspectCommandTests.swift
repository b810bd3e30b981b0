import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// `spoor inspect`: the JSON keys the issue fixes, nulls where a value is unknown, and faults after the
/// summary of what was read.
@Suite struct InspectCommandTests {
    func keys(of value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func blockKeysForASegwitBlock() throws {
        let block = try Block(bytes: try Fixtures.bytes("btcd/block574200.blk"))
        let json = try keys(of: BlockReport(block, height: block.bip34Height, powLimit: Network.main.powLimit))
        #expect(Set(json.keys) == ["hash", "previous_hash", "height", "time", "bits", "merkle_root", "merkle_ok", "consensus_fault",
                                   "witness_commitment_ok", "tx_count", "size", "stripped_size", "weight"])
        #expect(json["weight"] as? Int == 3_993_106)
        #expect(json["witness_commitment_ok"] as? Bool == true)
        #expect(json["height"] as? Int == 574_200)
        #expect(json["hash"] as? String == block.hash.hex)
        #expect(json["bits"] as? String == "172c4e11", "Core prints bits as 8 hex digits")
    }

    /// `inspect block` on a CVE-2012-2459 mutation: the root the transactions hash to equals the header's, but
    /// the report must not say the merkle root matches (it used to), and it names the duplicate.
    @Test func mutatedBlockIsNotReportedAsMatching() throws {
        let genuine = try Block(bytes: try Fixtures.bytes("bitcoin-core/block413567.raw"))
        let mutated = Block(header: genuine.header, transactions: genuine.transactions + [genuine.transactions[1556]])
        let report = BlockReport(mutated, height: 413_567, powLimit: Network.main.powLimit)
        #expect(report.merkle_ok == false)
        #expect(report.consensus_fault?.contains("CVE-2012-2459") == true)
        #expect(report.text.contains("FAILS"))
        let clean = BlockReport(genuine, height: 413_567, powLimit: Network.main.powLimit)
        #expect(clean.merkle_ok && clean.consensus_fault == nil)
    }

    @Test func unknownHeightAndNoSegwitPrintAsNull() throws {
        let blocks = try BlkDirectoryBlocks.first(of: "btcd/blocks1-256.dat")
        let report = BlockReport(blocks, height: blocks.bip34Height, powLimit: Network.main.powLimit)
        let data = try JSONEncoder().encode(report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"height\":null"))
        #expect(text.contains("\"witness_commitment_ok\":null"))
    }

    @Test func transactionKeysLikeDecoderawtransaction() throws {
        let block = try Block(bytes: try Fixtures.bytes("btcd/block574200.blk"))
        let classifier = ScriptClassifier(network: .main)
        let coinbase = try keys(of: TransactionReport(block.transactions[0], classifier: classifier))
        #expect(Set(coinbase.keys) == ["txid", "hash", "version", "size", "vsize", "weight", "locktime", "vin", "vout"])
        let vin = try #require(coinbase["vin"] as? [[String: Any]])
        #expect(Set(vin[0].keys) == ["txid", "vout", "sequence", "coinbase"])
        let spend = try keys(of: TransactionReport(block.transactions[1], classifier: classifier))
        let spendVin = try #require(spend["vin"] as? [[String: Any]])
        #expect(Set(spendVin[0].keys) == ["txid", "vout", "sequence"])
        #expect(spend["hash"] as? String == block.transactions[1].wtxid.hex)
        #expect(spend["hash"] as? String != spend["txid"] as? String, "a segwit transaction's wtxid differs")
        let vout = try #require(spend["vout"] as? [[String: Any]])
        #expect(vout.count == block.transactions[1].outputs.count)
        for (n, o) in vout.enumerated() {
            #expect(o["n"] as? Int == n)
            #expect(o["value_sat"] as? Int == Int(block.transactions[1].outputs[n].value.satoshis))
            #expect(o["type"] is String)
            #expect(Set(o.keys).isSubset(of: ["n", "value_sat", "type", "address"]))
        }
    }

    @Test func transactionArgumentAsHexOrFile() throws {
        let hex = try Fixtures.text("bitcoin-core/util/tx394b54bb.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        let fromFile = try InspectTransaction.load(Fixtures.url("bitcoin-core/util/tx394b54bb.hex").path)
        let fromHex = try InspectTransaction.load(hex)
        #expect(fromFile.map(\.txid) == fromHex.map(\.txid))
        #expect(fromHex.first?.txid.hex.hasPrefix("394b54bb") == true)
        #expect(throws: CommandFailure.self) { _ = try InspectTransaction.load(hex + "00") }
        #expect(throws: CommandFailure.self) { _ = try InspectTransaction.load("0") }
        #expect(throws: CommandFailure.self) { _ = try InspectTransaction.load("not hex at all") }
    }

    @Test func blocksSummaryOfTheSampleChain() throws {
        let dir = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path
        let (report, source, transactions, fault) = try InspectBlocks.read(directory: dir, network: nil)
        #expect(fault == nil)
        #expect(report.files == 1 && report.blocks == 337 && report.best_height == 336 && report.xor)
        #expect(transactions == 2470)
        #expect(source.network == .regtest)
        let json = try keys(of: report)
        #expect(Set(json.keys) == ["files", "blocks", "best_height", "tip", "stale", "unconnected", "unconnected_pieces",
                                   "xor", "bytes", "seconds"])
        #expect(json["unconnected"] as? Int == 0)
        #expect(json["bytes"] as? Int == 1_044_033)
    }

    @Test func blocksSummaryStillReportsWhatWasReadBeforeAFault() throws {
        let dir = try Fixtures.temporaryDirectory("spoor-inspect")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Fixtures.bytes("btcd/blocks1-256.dat")
        try Data(bytes.prefix(30_000)).write(to: dir.appendingPathComponent("blk00000.dat"))
        let (report, _, _, fault) = try InspectBlocks.read(directory: dir.path, network: nil)
        #expect(report.blocks > 100)
        #expect(report.best_height == report.blocks)  // blocks 1…n, all on the best chain
        let e = try #require(fault as? SourceError)
        #expect(e.location.file.hasSuffix("blk00000.dat"))
        #expect(e.description.contains("truncated record"))
        #expect(throws: SourceError.self) { _ = try InspectBlocks.read(directory: dir.path, network: .signet) }
    }
}

/// The first block of a btcd blk fixture.
enum BlkDirectoryBlocks {
    static func first(of fixture: String) throws -> Block {
        let bytes = try Fixtures.bytes(fixture)
        let n = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        return try Block(bytes: Array(bytes[8..<(8 + n)]))
    }
}
