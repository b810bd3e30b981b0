import BitcoinAddresses
import BitcoinPrimitives

/// Where one block sits in a blk file, and its header (read in the first pass, before any block is decoded).
public struct BlockFileRecord: Sendable {
    /// Index into the directory's sorted list of blk files.
    public var fileIndex: Int
    /// Byte offset of the block itself (after the 8-byte magic + length prefix).
    public var offset: Int
    /// The block's serialized length, as the record prefix states it.
    public var length: Int
    public var header: BlockHeader
}

/// What the first pass learned about one blk file: its records up to the first fault.
public struct BlockFileIndex: Sendable {
    public var path: String
    public var size: Int
    public var records: [BlockFileRecord]
    /// The network whose magic the records carry (nil when the file holds no record).
    public var network: Network?
    /// The fault that stopped the scan early; records before it are kept.
    public var fault: SourceError?
    /// Records skipped because their header fails proof of work (a corrupt or forged header); the scan went on.
    public var rejected: [SourceError] = []
    /// Bytes of zero padding after the last record (Core pre-allocates files in chunks).
    public var paddingBytes: Int
}

/// Consensus limit on a serialized block (`MAX_BLOCK_SERIALIZED_SIZE`); a record claiming more is corrupt.
let maxBlockRecordLength = 4_000_000

enum BlockFileScanner {
    /// Each network's magic as the little-endian word its four bytes load as.
    static let magicTable: [UInt32: Network] = Dictionary(uniqueKeysWithValues: Network.allCases.map { n in
        (n.magic.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }, n)
    })

    /// Scans one blk file's record prefixes and headers with `pread`, never loading the whole file.
    ///
    /// A record is `magic(4) | length(4, LE) | block(length)`. The scan stops cleanly at the end of the file or
    /// at zero padding that runs to the end of the file, and with a fault at anything else.
    static func index(path: String, fileIndex: Int, obfuscation: BlockFileObfuscation,
                      expectedNetwork: Network?) -> BlockFileIndex {
        var result = BlockFileIndex(path: path, size: 0, records: [], network: nil, fault: nil, paddingBytes: 0)
        let file: BlockFileHandle
        do { file = try BlockFileHandle(path: path) } catch { result.fault = error; return result }
        result.size = file.size
        var expected = expectedNetwork
        var position = 0
        var prefix = [UInt8](repeating: 0, count: 8 + BlockHeader.size)
        do throws(SourceError) {
            while position < file.size {
                let available = file.size - position
                if available < 8 {
                    if try isZeroPadding(file, from: position, obfuscation: obfuscation) {
                        result.paddingBytes = available
                        break
                    }
                    throw SourceError("truncated record: \(available) byte(s) left where an 8-byte record prefix "
                                      + "(magic + length) should start",
                                      at: SourceLocation(file: path, byteOffset: position))
                }
                let want = 8 + min(available - 8, BlockHeader.size)
                // One reusable buffer: this loop runs once per block of the directory.
                let read: Result<UInt32, SourceError> = prefix.withUnsafeMutableBytes { p in
                    let part = UnsafeMutableRawBufferPointer(rebasing: p[0..<want])
                    do throws(SourceError) { try file.read(into: part, at: position) } catch { return .failure(error) }
                    let raw = part.loadUnaligned(as: UInt32.self)
                    obfuscation.apply(to: part, fileOffset: position)
                    return .success(raw)
                }
                let rawMagic = try read.get()
                let magic = Array(prefix[0..<4])
                guard let network = magicTable[prefix.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }] else {
                    if try isZeroPadding(file, from: position, obfuscation: obfuscation) {
                        result.paddingBytes = available
                        break
                    }
                    throw wrongMagicError(path: path, position: position, plain: magic,
                                          raw: withUnsafeBytes(of: rawMagic) { Array($0) }, obfuscation: obfuscation)
                }
                if let expected, expected != network {
                    throw SourceError("record magic \(Hex.encode(magic)) is \(network.rawValue)'s, but this directory "
                                      + "holds \(expected.rawValue) blocks (\(Hex.encode(expected.magic)))",
                                      at: SourceLocation(file: path, byteOffset: position))
                }
                expected = network
                result.network = network
                let length = try Self.recordLength(prefix, available: available, path: path, position: position)
                let header = try Self.header(prefix, path: path, position: position)
                if let fault = header.proofOfWorkFault(powLimit: network.powLimit) {
                    result.rejected.append(SourceError("block \(header.hash) skipped: \(fault)",
                                                       at: SourceLocation(file: path, byteOffset: position + 8)))
                } else {
                    result.records.append(BlockFileRecord(fileIndex: fileIndex, offset: position + 8, length: length,
                                                          header: header))
                }
                position += 8 + length
            }
        } catch {
            result.fault = error
        }
        return result
    }

    /// The record's stated block length (prefix bytes 4–7), checked against a block's size limits and the bytes
    /// left in the file.
    static func recordLength(_ prefix: [UInt8], available: Int, path: String, position: Int) throws(SourceError) -> Int {
        let length = Int(UInt32(prefix[4]) | UInt32(prefix[5]) << 8 | UInt32(prefix[6]) << 16 | UInt32(prefix[7]) << 24)
        guard length >= BlockHeader.size + 1 else {
            throw SourceError("record length \(length) is too small for a block (at least 81 bytes)",
                              at: SourceLocation(file: path, byteOffset: position + 4))
        }
        guard length <= maxBlockRecordLength else {
            throw SourceError("record length \(length) exceeds the 4,000,000-byte block limit",
                              at: SourceLocation(file: path, byteOffset: position + 4))
        }
        guard length <= available - 8 else {
            throw SourceError("truncated record: length \(length) runs past the end of the file "
                              + "(\(available - 8) byte(s) left)",
                              at: SourceLocation(file: path, byteOffset: position + 4))
        }
        return length
    }

    /// The block header that follows the record prefix (the prefix buffer holds both, obfuscation undone).
    static func header(_ prefix: [UInt8], path: String, position: Int) throws(SourceError) -> BlockHeader {
        do {
            return try prefix.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) in
                var r = ByteReader(p, offset: 8, errorBase: position)
                return try BlockHeader(from: &r)
            }
        } catch {
            throw SourceError("bad block header: \(error.reason)", at: SourceLocation(file: path, byteOffset: position + 8),
                              underlying: error)
        }
    }

    /// Whether everything from `position` to the end of the file is zero, either as stored (Core's
    /// pre-allocation writes plain zeros, which read as the key once XOR is undone) or after undoing XOR.
    static func isZeroPadding(_ file: BlockFileHandle, from position: Int,
                              obfuscation: BlockFileObfuscation) throws(SourceError) -> Bool {
        var rawZero = true
        var plainZero = obfuscation.isActive
        var at = position
        let chunk = 1 << 20
        while at < file.size, rawZero || plainZero {
            var bytes = try file.read(count: min(chunk, file.size - at), at: at)
            if rawZero { rawZero = bytes.allSatisfy { $0 == 0 } }
            if plainZero {
                obfuscation.apply(to: &bytes, fileOffset: at)
                plainZero = bytes.allSatisfy { $0 == 0 }
            }
            at += bytes.count
        }
        return rawZero || plainZero
    }

    /// Explains a record that does not start with any network's magic, with the likeliest cause.
    static func wrongMagicError(path: String, position: Int, plain: [UInt8], raw: [UInt8],
                                obfuscation: BlockFileObfuscation) -> SourceError {
        let location = SourceLocation(file: path, byteOffset: position)
        let found = "expected a network magic (f9beb4d9, 0b110907, 1c163f28, 0a03cf40 or fabfb5da) but found "
            + Hex.encode(plain)
        if obfuscation.isActive, Network.fromMagic(raw) != nil {
            return SourceError(found + ": the file is not obfuscated, so the key in xor.dat is wrong "
                               + "(or belongs to another directory)", at: location)
        }
        if !obfuscation.isActive {
            // An obfuscated file reads as magic ^ key: say so when that is the likely story.
            let hint = position == 0
                ? ": the file may be XOR-obfuscated (Bitcoin Core 28+) and xor.dat may be missing"
                : ": the file is corrupt here (or XOR-obfuscated and xor.dat is missing)"
            return SourceError(found + hint, at: location)
        }
        let hint = position == 0
            ? ": xor.dat may be wrong (it does not turn this file's first bytes into a magic)"
            : ": the file is corrupt here (or xor.dat is wrong)"
        return SourceError(found + hint, at: location)
    }
}
