import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

/// Real mainnet blocks. Expected values come from outside the decoder: the heights in the file names and the
/// coinbases, the weight the issue quotes from btcd's test, and proof of work (a wrong hash would not meet
/// the target its own header states).
@Suite struct BlockDecodingTests {
    /// Whether the hash, read as a 256-bit number, is at most the target `bits` encodes.
    static func meetsProofOfWork(_ header: BlockHeader) -> Bool {
        guard let target = UInt256.target(fromCompactBits: header.bits) else { return false }
        let d = header.hash.digest
        return !(target < UInt256(l0: d.w0, l1: d.w1, l2: d.w2, l3: d.w3))
    }

    @Test func block413567() throws {
        let bytes = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let block = try Block(bytes: bytes)
        #expect(block.transactions.count == 1557)
        #expect(block.size == bytes.count, "every byte consumed, none left")
        #expect(block.bip34Height == 413567)
        #expect(block.merkleRootMatches == true)
        #expect(Self.meetsProofOfWork(block.header))
        #expect(block.hash.hex.hasPrefix("0000000000000000"))
        #expect(block.witnessCommitmentValid == nil, "a pre-segwit block")
        #expect(block.serialized() == bytes)
        #expect(block.transactions[0].isCoinbase)
        #expect(block.transactions.dropFirst().allSatisfy { !$0.isCoinbase })
    }

    /// CVE-2012-2459: with an odd number of transactions, a copy of the last one keeps the merkle root. The
    /// mutated block hashes and "matches" like the genuine one, so only the duplicate txid gives it away.
    @Test func mutatedBlockKeepsItsMerkleRootButFailsConsensus() throws {
        let genuine = try Block(bytes: try Fixtures.bytes("bitcoin-core/block413567.raw"))
        #expect(genuine.transactions.count % 2 == 1)
        #expect(genuine.consensusFault(powLimit: Self.mainnetPowLimit) == nil)
        let mutated = Block(header: genuine.header, transactions: genuine.transactions + [genuine.transactions[1556]])
        #expect(mutated.hash == genuine.hash && mutated.merkleRootMatches, "the attack: same hash, same root")
        let fault = try #require(mutated.consensusFault(powLimit: Self.mainnetPowLimit))
        #expect(fault == .duplicateTransaction(genuine.transactions[1556].txid, positions: (1556, 1557)))
        #expect(fault.description.contains("CVE-2012-2459"))
        // The other structural faults and proof of work, one at a time.
        let noCoinbase = Block(header: genuine.header, transactions: Array(genuine.transactions.dropFirst()))
        #expect(noCoinbase.consensusFault(powLimit: nil) == .firstNotCoinbase)
        let twoCoinbases = Block(header: genuine.header, transactions: genuine.transactions + [genuine.transactions[0]])
        #expect(twoCoinbases.consensusFault(powLimit: nil) == .extraCoinbase(position: 1557))
        let dropped = Block(header: genuine.header, transactions: Array(genuine.transactions.dropLast()))
        #expect(dropped.consensusFault(powLimit: nil) == .merkleRootMismatch(computed: dropped.computedMerkleRoot))
        let h = genuine.header
        let reNonced = BlockHeader(version: h.version, previousBlockHash: h.previousBlockHash, merkleRoot: h.merkleRoot,
                                   time: h.time, bits: h.bits, nonce: h.nonce &+ 1)
        #expect(reNonced.proofOfWorkFault(powLimit: Self.mainnetPowLimit) == .insufficientProofOfWork(bits: h.bits))
        let easy = BlockHeader(version: h.version, previousBlockHash: h.previousBlockHash, merkleRoot: h.merkleRoot,
                               time: h.time, bits: 0x207f_ffff, nonce: h.nonce)
        #expect(easy.proofOfWorkFault(powLimit: Self.mainnetPowLimit) == .badTarget(bits: 0x207f_ffff),
                "regtest difficulty is not a mainnet target")
    }

    /// Core's mainnet `powLimit` (written out here rather than taken from `Network`, to check that too).
    static let mainnetPowLimit = UInt256(l0: .max, l1: .max, l2: .max, l3: 0x0000_0000_ffff_ffff)

    @Test func block574200() throws {
        let bytes = try Fixtures.bytes("btcd/block574200.blk")
        let block = try Block(bytes: bytes)
        #expect(block.weight == 3_993_106)
        #expect(block.size == bytes.count)
        #expect(block.witnessCommitmentValid == true)
        #expect(block.merkleRootMatches == true)
        #expect(block.bip34Height == 574200)
        #expect(Self.meetsProofOfWork(block.header))
        #expect(block.serialized() == bytes)
        #expect(block.serialized(includeWitness: false).count == block.strippedSize)
        // Without witness stacks the commitment cannot be checked: unknown, never a false "ok".
        let light = try Block(bytes: bytes, keepWitness: false)
        #expect(light.witnessCommitmentValid == nil)
        #expect(light.weight == block.weight)
        #expect(light.transactions.map(\.wtxid) == block.transactions.map(\.wtxid))
    }

    @Test func tamperedWitnessFailsTheCommitment() throws {
        let block = try Block(bytes: try Fixtures.bytes("btcd/block574200.blk"))
        // Change one byte of one witness item: txids and the merkle root stay, the commitment must break.
        var txs = block.transactions
        let i = try #require(txs.indices.last { $0 > 0 && txs[$0].hasWitness })
        var inputs = txs[i].inputs
        let j = try #require(inputs.indices.first { inputs[$0].witness.contains { !$0.isEmpty } })
        let k = try #require(inputs[j].witness.indices.first { !inputs[j].witness[$0].isEmpty })
        inputs[j].witness[k][0] ^= 0x01
        txs[i] = Transaction(version: txs[i].version, inputs: inputs, outputs: txs[i].outputs, lockTime: txs[i].lockTime)
        let tampered = Block(header: block.header, transactions: txs)
        #expect(tampered.merkleRootMatches == true)
        #expect(tampered.witnessCommitmentValid == false)
        #expect(Block(header: block.header, transactions: block.transactions).witnessCommitmentValid == true)
    }

    @Test func mainnetHeadersOneToElevenLink() throws {
        let lines = try Fixtures.text("btcd/blockheaders-mainnet-1-11.txt").split(whereSeparator: \.isNewline)
        #expect(lines.count == 11)
        // Block 1's parent is the genesis block, whose hash every Bitcoin implementation hard-codes.
        var previous = try #require(BlockHash(hex: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"))
        for line in lines {
            let bytes = try Hex.decode(line.trimmingCharacters(in: .whitespaces))
            let header = try bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) in
                var r = ByteReader(p)
                return try BlockHeader(from: &r)
            }
            #expect(header.previousBlockHash == previous)
            #expect(Self.meetsProofOfWork(header))
            // The memberwise initializer re-serializes: the same hash.
            let rebuilt = BlockHeader(version: header.version, previousBlockHash: header.previousBlockHash,
                                      merkleRoot: header.merkleRoot, time: header.time, bits: header.bits,
                                      nonce: header.nonce)
            #expect(rebuilt.hash == header.hash)
            // Difficulty 1: 0x1d00ffff, work 2^32 / (0xffff + 1)... Core's chainwork per early block is 0x100010001.
            #expect(header.work == UInt256(0x1_0001_0001))
            previous = header.hash
        }
    }

    @Test func bip34HeightEncodings() {
        #expect(Block.bip34Height(coinbaseScript: [0x03, 0x7f, 0x4f, 0x06]) == 413_567)
        #expect(Block.bip34Height(coinbaseScript: [0x51]) == 1)
        #expect(Block.bip34Height(coinbaseScript: [0x00]) == 0)
        #expect(Block.bip34Height(coinbaseScript: [0x02, 0x80, 0x00]) == 128)
        #expect(Block.bip34Height(coinbaseScript: [0x03, 0x01]) == nil, "a push longer than the script")
        #expect(Block.bip34Height(coinbaseScript: []) == nil)
    }

    @Test func merkleRootOfOddLevelsDuplicatesTheLastNode() {
        let a = Hashing.sha256([1]), b = Hashing.sha256([2]), c = Hashing.sha256([3])
        let ab = Hashing.sha256d(a, b), cc = Hashing.sha256d(c, c)
        #expect(Merkle.root([a, b, c]) == Hashing.sha256d(ab, cc))
        #expect(Merkle.root([a]) == a)
        #expect(Merkle.root([]) == .zero)
    }
}

/// The zero-copy scanner must agree with the value decoder on every transaction, byte for byte.
@Suite struct BlockScannerTests {
    struct Recorder: TransactionVisitor {
        var txs: [ScannedTransaction] = []
        var outputs: [(Int, Amount, Range<Int>)] = []
        var inputs: [(Int, OutPoint, Range<Int>, UInt32)] = []
        mutating func transaction(_ tx: ScannedTransaction) { txs.append(tx) }
        mutating func output(_ index: Int, value: Amount, scriptPubKey: Range<Int>) { outputs.append((index, value, scriptPubKey)) }
        mutating func input(_ index: Int, prevout: OutPoint, scriptSig: Range<Int>, sequence: UInt32) {
            inputs.append((index, prevout, scriptSig, sequence))
        }
    }

    @Test(arguments: ["btcd/block574200.blk", "bitcoin-core/block413567.raw"])
    func scannerMatchesTheDecoder(fixture: String) throws {
        let bytes = try Fixtures.bytes(fixture)
        let block = try Block(bytes: bytes)
        let (recorder, count, end) = try bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) in
            var r = ByteReader(p)
            var v = Recorder()
            let (_, n) = try BlockScanner.scanBlock(&r, visitor: &v)
            return (v, n, r.offset)
        }
        #expect(end == bytes.count)
        #expect(count == block.transactions.count)
        #expect(recorder.txs.map(\.txid) == block.transactions.map(\.txid))
        #expect(recorder.txs.map(\.wtxid) == block.transactions.map(\.wtxid))
        #expect(recorder.txs.map(\.weight) == block.transactions.map(\.weight))
        #expect(recorder.txs.map(\.isCoinbase) == block.transactions.map(\.isCoinbase))
        #expect(recorder.txs.map(\.lockTime) == block.transactions.map(\.lockTime))
        let outputs = block.transactions.flatMap(\.outputs)
        #expect(recorder.outputs.map { Array(bytes[$0.2]) } == outputs.map(\.scriptPubKey))
        #expect(recorder.outputs.map(\.1) == outputs.map(\.value))
        let inputs = block.transactions.flatMap(\.inputs)
        #expect(recorder.inputs.map(\.1) == inputs.map(\.prevout))
        #expect(recorder.inputs.map { Array(bytes[$0.2]) } == inputs.map(\.scriptSig))
        #expect(recorder.inputs.map(\.3) == inputs.map(\.sequence))
    }

    @Test func scannerRejectsWhatTheDecoderRejects() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("bitcoin-core/tx_valid.json")))
        let rows = ((json as? [[Any]]) ?? []).compactMap { $0.first is [Any] ? $0[1] as? String : nil }
        let seed = SeededRandom.testSeed("scannerRejectsWhatTheDecoderRejects")
        var rng = SeededRandom(seed: seed)
        for hex in rows {
            let original = try Hex.decode(hex)
            for _ in 0..<30 {
                var bytes = original
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                let decoded = try? Transaction(bytes: bytes)
                let scanned = try? bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) -> ScannedTransaction in
                    var r = ByteReader(p)
                    var v = Recorder()
                    let t = try BlockScanner.scanTransaction(&r, visitor: &v)
                    guard r.isAtEnd else { throw r.error(.trailingBytes(r.remaining)) }
                    return t
                }
                #expect((decoded == nil) == (scanned == nil), "seed \(seed)")
                if let decoded, let scanned {
                    #expect(decoded.txid == scanned.txid && decoded.wtxid == scanned.wtxid, "seed \(seed)")
                }
            }
        }
    }
}
