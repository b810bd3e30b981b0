import BitcoinPrimitives

/// The SHA-256 of every blk file of a directory, taken from the reads the source makes anyway.
///
/// The second pass reads blocks in height order, which is file order wherever Core wrote blocks as it
/// connected them. Each file's hash runs along it: a read that starts past the hashed part first hashes the gap
/// (the 8-byte record prefix, a stale block, a block stored ahead of its height) in bounded chunks; a read of
/// bytes already hashed (such a block, when its height comes) is only read. What no read reaches (zero padding
/// at the end, records after a fault) is hashed when the source is done. So each byte is hashed once, in file
/// order, and the blocks — nearly all of the bytes — are read once.
final class BlockFileDigests {
    private var hashers: [StreamingSHA256]
    /// Per file: the bytes before this offset are hashed.
    private var hashedTo: [Int]
    private let sizes: [Int]
    private var scratch: [UInt8] = []
    static let chunk = 1 << 20

    init(sizes: [Int]) {
        self.sizes = sizes
        hashers = Array(repeating: StreamingSHA256(), count: sizes.count)
        hashedTo = Array(repeating: 0, count: sizes.count)
    }

    /// Fills `buffer` from `offset` of file `index` (raw bytes, before any obfuscation is undone), hashing
    /// what has not been hashed yet.
    func read(file index: Int, _ handle: BlockFileHandle, into buffer: UnsafeMutableRawBufferPointer,
              at offset: Int) throws(SourceError) {
        if offset > hashedTo[index] { try hashGap(file: index, handle, upTo: offset) }
        try handle.read(into: buffer, at: offset)
        let end = offset + buffer.count
        if offset == hashedTo[index] {
            hashers[index].update(UnsafeRawBufferPointer(buffer))
            hashedTo[index] = end
        } else if end > hashedTo[index] {  // overlaps the hashed part: only possible in a corrupt directory
            hashers[index].update(UnsafeRawBufferPointer(rebasing: buffer[(hashedTo[index] - offset)...]))
            hashedTo[index] = end
        }
    }

    /// Hashes the file from its hashed part up to `offset`, a chunk at a time.
    private func hashGap(file index: Int, _ handle: BlockFileHandle, upTo offset: Int) throws(SourceError) {
        while hashedTo[index] < offset {
            let count = min(Self.chunk, offset - hashedTo[index])
            if scratch.count < count { scratch = [UInt8](repeating: 0, count: count) }
            let from = hashedTo[index]
            let result: Result<Void, SourceError> = scratch.withUnsafeMutableBytes { whole in
                let part = UnsafeMutableRawBufferPointer(rebasing: whole[0..<count])
                do throws(SourceError) { try handle.read(into: part, at: from) } catch { return .failure(error) }
                hashers[index].update(UnsafeRawBufferPointer(part))
                return .success(())
            }
            try result.get()
            hashedTo[index] = from + count
        }
    }

    /// Every file's digest, after hashing what the reads did not reach. `open` opens file `index` again.
    func finish(paths: [String], open: (Int) throws(SourceError) -> BlockFileHandle) throws(SourceError) -> [ChainInput] {
        var inputs: [ChainInput] = []
        for index in sizes.indices {
            if hashedTo[index] < sizes[index] { try hashGap(file: index, open(index), upTo: sizes[index]) }
            inputs.append(.file(paths[index], sha256: hashers[index].finalHex(), bytes: sizes[index]))
        }
        return inputs
    }
}
