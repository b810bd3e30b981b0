import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import FuzzSupport

/// An Esplora server's answers: a transaction's JSON (then, after a marker, the transaction's bytes) checked
/// against each other; the same JSON read as the other answer kinds (outspends, a block, a txid list, checked
/// against a merkle root), and the bytes read as a block header checked for proof of work. Nothing may trap.
@_cdecl("FuzzEsploraJSON_main")
public func FuzzEsploraJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzEsploraJSON)
}

public func fuzzEsploraJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let (json, raw) = input.splitAtMarker()
    let data = Data(json)
    let decoder = JSONDecoder()
    if let info = try? decoder.decode(EsploraTransaction.self, from: data) {
        if let tx = try? Transaction(bytes: raw) {
            if (try? EsploraClient.check(info, against: tx, url: "fuzz")) != nil {
                fuzzCheck(info.vin.count == tx.inputs.count && info.vout.count == tx.outputs.count, "checked counts")
            }
        }
    }
    _ = try? decoder.decode([EsploraOutspend].self, from: data)
    _ = try? decoder.decode(EsploraBlockSummary.self, from: data)
    if let txids = try? decoder.decode([Txid].self, from: data) {
        let fault = Block.transactionListFault(txids, isCoinbase: nil, merkleRoot: Merkle.root(txids.map(\.digest)))
        fuzzCheck(fault == nil || Set(txids).count < txids.count || txids.isEmpty, "a list hashes to its own root")
    }
    if raw.count >= 80 {
        var reader = ByteReader(input, offset: count - raw.count)
        if let header = try? BlockHeader(from: &reader) {
            _ = header.proofOfWorkFault(powLimit: Network.main.powLimit)
            _ = header.proofOfWorkFault(powLimit: Network.regtest.powLimit)
        }
    }
    return 0
}
