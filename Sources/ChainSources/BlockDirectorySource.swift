import BitcoinAddresses
import BitcoinPrimitives
import Dispatch
import Foundation
import Synchronization

/// A Bitcoin Core `blocks/` directory: `blkNNNNN.dat` files, optionally XOR-obfuscated by `xor.dat`.
///
/// Two passes. The first reads only record prefixes and 80-byte headers, one file per task in parallel, checks
/// each header's proof of work, and assembles the chain (`BlockFileBestChain`: the most-work chain from
/// genesis, plus pieces that do not connect to it). The second, driven by `next()`, reads and decodes one
/// block at a time in height order with `pread`, so memory holds one block, never a whole file, and checks each
/// block's structure (merkle root, one coinbase, no txid twice). It yields the best chain, then the unconnected
/// pieces (`unconnectedBlocks`); stale blocks (forks) are reported in `staleBlocks`, never yielded.
///
/// A fault in a file (truncation, wrong magic, a bad length, a header without proof of work) does not hide
/// what came before it: the blocks indexed before the fault are yielded, then `next()` throws the fault.
public final class BlockDirectorySource: ChainSource {
    public let directory: URL
    public private(set) var network: Network?
    public let obfuscation: BlockFileObfuscation
    /// The blk files, sorted by name (their number).
    public let files: [String]
    /// Per file: size, records found, fault.
    public let fileIndexes: [BlockFileIndex]
    public let bestChain: BlockFileBestChain
    /// Faults of the first pass, in file order (records refused for proof of work, then the fault that ended
    /// each file's scan); thrown, all named, once every block is yielded.
    public let indexFaults: [SourceError]

    public var staleBlocks: [BlockHash] { bestChain.stale.map(\.header.hash) }
    public var unconnectedBlocks: [BlockHash] { bestChain.unconnected.flatMap { $0.records.map(\.header.hash) } }
    public var unconnectedPieces: Int { bestChain.unconnected.count }
    /// Total bytes of the blk files.
    public var totalBytes: Int { fileIndexes.reduce(0) { $0 + $1.size } }
    /// Blocks found in the files (best chain, unconnected pieces and stale; duplicates counted once).
    public var blockCount: Int { bestChain.chain.count + bestChain.unconnectedBlockCount + bestChain.stale.count }

    private let segments: [BlockFileBestChain.Segment]
    private var nextSegment = 0
    private var nextPosition = 0
    private var finished = false
    private var openFile: (index: Int, handle: BlockFileHandle)?
    private var buffer: [UInt8] = []
    private let digests: BlockFileDigests
    private var digestsFinished: [ChainInput]?

    /// Indexes the directory. Throws when it has no blk files or when not a single block could be read;
    /// later faults are thrown by `next()` after the blocks before them.
    /// - Parameters:
    ///   - network: the expected network; nil detects it from the first record's magic.
    ///   - parallelIndexing: index files concurrently (one per task); off for single-core measurements.
    public init(directory: URL, network: Network?, parallelIndexing: Bool = true) throws {
        self.directory = directory
        let dirPath = directory.path
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dirPath)
        } catch {
            throw SourceError("cannot list the blocks directory: \(error.localizedDescription)",
                              at: SourceLocation(file: dirPath))
        }
        let blkNames = names.filter { $0.hasPrefix("blk") && $0.hasSuffix(".dat") }.sorted()
        guard !blkNames.isEmpty else {
            throw SourceError("no blk*.dat files here (is this a Bitcoin Core blocks directory?)",
                              at: SourceLocation(file: dirPath))
        }
        files = blkNames.map { directory.appendingPathComponent($0).path }
        obfuscation = try Self.loadObfuscation(directory: directory, present: names.contains("xor.dat"))

        // The network is fixed by the first file's first record, so every file is checked against one magic.
        let firstIndex = BlockFileScanner.index(path: files[0], fileIndex: 0, obfuscation: obfuscation,
                                                expectedNetwork: network)
        let detected = network ?? firstIndex.network
        var indexes = [BlockFileIndex?](repeating: nil, count: files.count)
        indexes[0] = firstIndex
        if files.count > 1 {
            let results = Mutex<[Int: BlockFileIndex]>([:])
            let paths = files
            let key = obfuscation
            // One file per task: reading headers is I/O and hashing, both of which overlap well.
            let indexOne: @Sendable (Int) -> Void = { k in
                let i = k + 1
                let index = BlockFileScanner.index(path: paths[i], fileIndex: i, obfuscation: key,
                                                   expectedNetwork: detected)
                results.withLock { $0[i] = index }
            }
            if parallelIndexing {
                DispatchQueue.concurrentPerform(iterations: paths.count - 1, execute: indexOne)
            } else {
                for k in 0..<(paths.count - 1) { indexOne(k) }
            }
            results.withLock { for (i, v) in $0 { indexes[i] = v } }
        }
        var all = indexes.compactMap { $0 }
        // When the first file held no record (all padding), the network was not fixed up front: the files
        // must still agree, or the first file of another network is a fault.
        let found = detected ?? all.lazy.compactMap(\.network).first
        if detected == nil, let found {
            for i in all.indices where all[i].network != nil && all[i].network != found && all[i].fault == nil {
                all[i].records = []
                all[i].fault = SourceError("this file holds \(all[i].network?.rawValue ?? "?") blocks, the files "
                                           + "before it \(found.rawValue) blocks", at: SourceLocation(file: all[i].path, byteOffset: 0))
            }
        }
        fileIndexes = all
        indexFaults = all.flatMap { $0.rejected + ($0.fault.map { [$0] } ?? []) }
        self.network = found
        let records = all.flatMap(\.records)
        if records.isEmpty, let fault = indexFaults.first { throw fault }
        let filePaths = files
        let key = obfuscation
        bestChain = BlockFileBestChain(records: records, network: found) { record in
            Self.bip34Height(of: record, path: filePaths[record.fileIndex], obfuscation: key)
        }
        segments = bestChain.segments
        digests = BlockFileDigests(sizes: all.map(\.size))
    }

    /// The share of the blocks to yield (best chain and unconnected pieces) yielded so far, for progress.
    public var fractionRead: Double {
        let total = segments.reduce(0) { $0 + $1.records.count }
        guard total > 0 else { return 1 }
        let done = segments.prefix(nextSegment).reduce(0) { $0 + $1.records.count } + (finished ? 0 : nextPosition)
        return Double(min(done, total)) / Double(total)
    }

    /// Each blk file with its SHA-256 and size (`BlockFileDigests`), once `next()` has returned nil.
    public func inputsRead() throws -> [ChainInput] {
        if let digestsFinished { return digestsFinished }
        let inputs = try digests.finish(paths: files) { (index: Int) throws(SourceError) in try fileHandle(index) }
        digestsFinished = inputs
        return inputs
    }

    /// The first-pass faults as one error: the first in full, with how many more there are.
    private var indexFault: SourceError? {
        guard var first = indexFaults.first else { return nil }
        if indexFaults.count > 1 { first.message += " (and \(indexFaults.count - 1) more fault(s) in the files)" }
        return first
    }

    private static func loadObfuscation(directory: URL, present: Bool) throws -> BlockFileObfuscation {
        guard present else { return .none }
        let path = directory.appendingPathComponent("xor.dat").path
        let file = try BlockFileHandle(path: path)
        guard file.size == 8 else {
            throw SourceError("xor.dat holds \(file.size) byte(s); Bitcoin Core writes exactly 8",
                              at: SourceLocation(file: path))
        }
        let key = try file.read(count: 8, at: 0)
        return BlockFileObfuscation(key: key) ?? .none
    }

    /// The BIP34 height of a block that starts a piece of chain, read from its coinbase.
    private static func bip34Height(of record: BlockFileRecord, path: String,
                                    obfuscation: BlockFileObfuscation) -> Int? {
        guard record.header.version >= 2, let file = try? BlockFileHandle(path: path),
              var bytes = try? file.read(count: record.length, at: record.offset) else { return nil }
        obfuscation.apply(to: &bytes, fileOffset: record.offset)
        return try? bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) -> Int? in
            var r = ByteReader(p)
            _ = try BlockHeader(from: &r)
            _ = try r.readCompactSize()
            let coinbase = try Transaction(from: &r, keepWitness: false)
            guard coinbase.isCoinbase else { return nil }
            return Block.bip34Height(coinbaseScript: coinbase.inputs[0].scriptSig)
        }
    }

    /// The height of the `k`-th best-chain block, when heights are known.
    public func height(ofChainPosition k: Int) -> Int? { bestChain.firstHeight.map { $0 + k } }

    public func next() throws -> SourceItem? {
        guard !finished else { return nil }
        while nextSegment < segments.count, nextPosition >= segments[nextSegment].records.count {
            nextSegment += 1
            nextPosition = 0
        }
        guard nextSegment < segments.count else {
            finished = true
            if let fault = indexFault { throw fault }
            return nil
        }
        let segment = segments[nextSegment]
        let record = segment.records[nextPosition]
        do {
            let block = try readBlock(record)
            let location = SourceLocation(file: files[record.fileIndex], byteOffset: record.offset)
            try block.checkStructure(at: location)
            let item = SourceBlock(block: block, height: segment.firstHeight.map { $0 + nextPosition },
                                   location: location, structureChecked: true)
            nextPosition += 1
            return .block(item)
        } catch {
            finished = true
            throw error
        }
    }

    /// A zero-copy pass over the segments in height order (see `next()`): each block's bytes (obfuscation
    /// undone), valid only during `body`, with its record and height. For full passes where decoding into
    /// `Block` values would cost more than the work itself (see `BlockScanner`); the caller checks what it
    /// decodes. Like `next()`, it throws a first-pass fault after the blocks before it.
    public func forEachRawBlock(
        _ body: (_ record: BlockFileRecord, _ height: Int?, _ bytes: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        for segment in segments { for (k, record) in segment.records.enumerated() {
            let handle = try fileHandle(record.fileIndex)
            if buffer.count < record.length { buffer = [UInt8](repeating: 0, count: record.length) }
            let key = obfuscation
            try buffer.withUnsafeMutableBytes { whole in
                let p = UnsafeMutableRawBufferPointer(rebasing: whole[0..<record.length])
                try handle.read(into: p, at: record.offset)
                key.apply(to: p, fileOffset: record.offset)
                try body(record, segment.firstHeight.map { $0 + k }, UnsafeRawBufferPointer(p))
            }
        } }
        if let fault = indexFault { throw fault }
    }

    private func fileHandle(_ index: Int) throws(SourceError) -> BlockFileHandle {
        if let open = openFile, open.index == index { return open.handle }
        let handle = try BlockFileHandle(path: files[index])
        openFile = (index, handle)
        return handle
    }

    /// Reads and decodes one record's block, hashing its file as it goes (`BlockFileDigests`); errors carry the
    /// file offset.
    public func readBlock(_ record: BlockFileRecord, keepWitness: Bool = true) throws(SourceError) -> Block {
        let path = files[record.fileIndex]
        let handle = try fileHandle(record.fileIndex)
        if buffer.count < record.length { buffer = [UInt8](repeating: 0, count: record.length) }
        let key = obfuscation
        let decoded: Result<Block, SourceError> = buffer.withUnsafeMutableBytes { whole in
            let p = UnsafeMutableRawBufferPointer(rebasing: whole[0..<record.length])
            do throws(SourceError) {
                try digests.read(file: record.fileIndex, handle, into: p, at: record.offset)
            } catch {
                return .failure(error)
            }
            key.apply(to: p, fileOffset: record.offset)
            var r = ByteReader(UnsafeRawBufferPointer(p), errorBase: record.offset)
            do throws(ParseError) {
                let block = try Block(from: &r, keepWitness: keepWitness)
                guard r.isAtEnd else {
                    return .failure(SourceError(
                        "the block ends \(r.remaining) byte(s) before its record length \(record.length) says",
                        at: SourceLocation(file: path, byteOffset: record.offset + r.offset)))
                }
                return .success(block)
            } catch {
                return .failure(SourceError("bad block \(record.header.hash): \(error.reason)",
                                            at: SourceLocation(file: path, byteOffset: error.offset),
                                            underlying: error))
            }
        }
        return try decoded.get()
    }
}
