#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 8-byte XOR key Bitcoin Core 28+ keeps in `blocks/xor.dat`: the byte at file offset `i` of every blk
/// file is stored as `byte ^ key[i % 8]`. An all-zero key (or no `xor.dat`, as before Core 28) means plain files.
public struct BlockFileObfuscation: Sendable, Hashable {
    /// The key as Core writes it: `key[0]` applies to file offsets 0, 8, 16, …
    public let key: [UInt8]
    /// The key loaded as one little-endian word, so undoing it costs one XOR per 8 bytes.
    @usableFromInline let word: UInt64

    public static let none = BlockFileObfuscation(validatedKey: [0, 0, 0, 0, 0, 0, 0, 0])

    /// A key of exactly 8 bytes; nil for any other length.
    public init?(key: [UInt8]) {
        guard key.count == 8 else { return nil }
        self.init(validatedKey: key)
    }

    private init(validatedKey key: [UInt8]) {
        self.key = key
        var w: UInt64 = 0
        for i in 0..<8 { w |= UInt64(key[i]) << (8 * UInt64(i)) }
        word = w
    }

    /// Whether the files are obfuscated at all.
    public var isActive: Bool { word != 0 }

    /// Undoes (or applies: XOR is its own inverse) the obfuscation on `buffer`, whose first byte sits at
    /// `fileOffset` in its file.
    @inlinable
    public func apply(to buffer: UnsafeMutableRawBufferPointer, fileOffset: Int) {
        guard word != 0, let base = buffer.baseAddress else { return }
        // Rotate the key so that its first byte lines up with the buffer's first byte.
        let shift = UInt64((fileOffset & 7) * 8)
        let rotated = shift == 0 ? word : (word >> shift) | (word << (64 - shift))
        let count = buffer.count
        let rotatedLE = rotated.littleEndian
        var i = 0
        while i + 8 <= count {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            base.storeBytes(of: v ^ rotatedLE, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        // The tail: byte j of the rotated key applies to buffer offset i + j.
        var tailKey = rotated
        while i < count {
            base.storeBytes(of: base.load(fromByteOffset: i, as: UInt8.self) ^ UInt8(truncatingIfNeeded: tailKey),
                            toByteOffset: i, as: UInt8.self)
            tailKey >>= 8
            i += 1
        }
    }

    public func apply(to bytes: inout [UInt8], fileOffset: Int) {
        bytes.withUnsafeMutableBytes { apply(to: $0, fileOffset: fileOffset) }
    }
}

/// A read-only file read with `pread`, so several readers can share nothing and seek freely.
final class BlockFileHandle {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws(SourceError) {
        self.path = path
        (fd, size) = try InputFile.openRegular(path)
    }

    deinit { close(fd) }

    /// Fills `buffer` from `offset`; throws when the file ends first or the read fails.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SourceError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError("read failed: \(String(cString: strerror(errno)))",
                                  at: SourceLocation(file: path, byteOffset: offset + done))
            }
            if n == 0 {
                throw SourceError("file ended early: needed \(buffer.count - done) more byte(s)",
                                  at: SourceLocation(file: path, byteOffset: offset + done))
            }
            done += n
        }
    }

    func read(count: Int, at offset: Int) throws(SourceError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let result: Result<Void, SourceError> = out.withUnsafeMutableBytes { p in
            Result { () throws(SourceError) in try read(into: p, at: offset) }
        }
        try result.get()
        return out
    }
}
