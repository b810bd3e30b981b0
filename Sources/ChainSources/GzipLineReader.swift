import BitcoinPrimitives
import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line, whether it is plain or gzip-compressed (zlib's `gzread` passes plain files
/// through untouched and decodes concatenated gzip members one after another). Nothing is unpacked to disk:
/// the file is decompressed in fixed chunks into one growing buffer, so memory is bounded by the longest line
/// (a `getblock … 3` line is several MB for a full mainnet block).
///
/// Line numbers start at 1. A final line without a newline is still returned; a `\r` before the newline is
/// dropped. A gzip stream that ends early is an error ("truncated"), raised only after every complete line
/// before the fault has been returned.
public final class GzipLineReader {
    /// The path as given, for error messages.
    public let path: String
    /// Whether the file is gzip-compressed (false for plain text).
    public let isCompressed: Bool
    /// The number of the line most recently returned (0 before the first).
    public private(set) var lineNumber = 0
    /// Refuses lines longer than this instead of growing without bound on a file that is not text.
    public let maximumLineLength: Int
    /// Refuses compressed data that decompresses to more than this many times the file's size (beyond
    /// `expansionAllowance`): chain data compresses about 4:1, while a gzip of blank lines reaches ~1000:1 and
    /// would otherwise be read for hours (10 GB of them took 28 CPU-minutes).
    public let maximumExpansion: Int
    /// Decompressed bytes read before `maximumExpansion` applies (small files may compress better).
    public let expansionAllowance: Int
    private let fileSize: Int
    private var decompressed = 0
    /// Every byte `gzread` delivers, hashed as it arrives (for a plain file, the file's own bytes).
    private var digest = StreamingSHA256()
    /// The file as read, once the last line has been: its SHA-256 and size (`ChainInput.file`). Nil before the
    /// end, after a fault, and for standard input.
    public private(set) var inputRead: ChainInput?

    private var file: gzFile?
    private var buffer: [UInt8]
    /// Unconsumed bytes are `buffer[start..<end]`; `scanned` marks how far a newline has been searched for.
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var reachedEnd = false
    private let chunkSize: Int

    /// The longest line read unless a caller says otherwise. `getblock … 3` writes about 11 bytes of JSON per
    /// block byte (measured on the sample chains), so a block at the 4,000,000-byte limit fits with room to
    /// spare; a longer line is refused before it is parsed (its parse would take ~28× its size in memory).
    public static let defaultMaximumLineLength = 128 << 20

    public convenience init(path: String, chunkSize: Int = 1 << 20,
                            maximumLineLength: Int = GzipLineReader.defaultMaximumLineLength,
                            maximumExpansion: Int = 50, expansionAllowance: Int = 64 << 20) throws(SourceError) {
        let (fd, size) = try InputFile.openRegular(path)
        try self.init(descriptor: fd, name: path, size: size, chunkSize: chunkSize, maximumLineLength: maximumLineLength,
                      maximumExpansion: maximumExpansion, expansionAllowance: expansionAllowance)
    }

    /// Reads standard input (a pipe, as `RDD.pipe` gives a child), plain or gzip, with the same line bound; `name`
    /// stands for it in error messages. A pipe has no size, so the expansion bound does not apply.
    public convenience init(standardInputNamed name: String = "<stdin>",
                            maximumLineLength: Int = GzipLineReader.defaultMaximumLineLength) throws(SourceError) {
        let fd = dup(STDIN_FILENO)
        guard fd >= 0 else {
            throw SourceError("cannot read standard input: \(String(cString: strerror(errno)))", at: SourceLocation(file: name))
        }
        try self.init(descriptor: fd, name: name, size: Int.max, chunkSize: 1 << 20, maximumLineLength: maximumLineLength,
                      maximumExpansion: 50, expansionAllowance: 64 << 20)
    }

    /// Takes ownership of an open descriptor (closed with the reader, or here when zlib cannot start).
    private init(descriptor fd: Int32, name path: String, size: Int, chunkSize: Int, maximumLineLength: Int,
                 maximumExpansion: Int, expansionAllowance: Int) throws(SourceError) {
        self.path = path
        self.chunkSize = max(chunkSize, 4096)
        self.maximumLineLength = maximumLineLength
        self.maximumExpansion = maximumExpansion
        self.expansionAllowance = expansionAllowance
        fileSize = size
        guard let f = gzdopen(fd, "rb") else {
            close(fd)
            throw SourceError("cannot open file: out of memory", at: SourceLocation(file: path))
        }
        file = f
        // A larger internal buffer than zlib's 8 KiB default: fewer read(2) calls on big shards; no larger than
        // the file, so a small file costs a small buffer (set before the first read, when zlib allocates it).
        gzbuffer(f, UInt32(min(1 << 17, max(size, 8192))))
        isCompressed = gzdirect(f) == 0
        buffer = [UInt8](repeating: 0, count: Self.firstBufferSize(fileSize: size, compressed: isCompressed,
                                                                   chunkSize: self.chunkSize))
    }

    /// One chunk, or less when the whole file (a plain file, or a small gzip at a generous 8:1) fits in less:
    /// the buffer grows by doubling when a line does not fit, so this only spares small files a 1 MiB buffer.
    static func firstBufferSize(fileSize size: Int, compressed: Bool, chunkSize: Int) -> Int {
        let whole = compressed ? (size > chunkSize / 8 ? chunkSize : size * 8) : (size >= chunkSize ? chunkSize : size + 1)
        return min(chunkSize, max(whole, 4096))
    }

    deinit {
        if let file { gzclose(file) }
    }

    /// How far into the file (compressed bytes for gzip) zlib has read: for progress against the file's size.
    public var fileOffset: Int {
        guard let file else { return 0 }
        return Int(gzoffset(file))
    }

    /// The next line without its terminator, or nil at the end of the file.
    public func nextLine() throws(SourceError) -> [UInt8]? {
        while true {
            if let newline = findNewline() { return try takeLine(endingAt: newline, next: newline + 1) }
            if reachedEnd {
                guard start < end else { return nil }
                return try takeLine(endingAt: end, next: end)
            }
            try fill()
        }
    }

    /// The line `buffer[start..<lineEnd]` (a `\r` before its end dropped); the next one starts at `next`.
    private func takeLine(endingAt lineEnd: Int, next: Int) throws(SourceError) -> [UInt8] {
        guard lineEnd - start <= maximumLineLength else { throw lineTooLong() }
        var stop = lineEnd
        if stop > start, buffer[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
        let line = Self.withoutByteOrderMark(Array(buffer[start..<stop]), first: lineNumber == 0)
        start = next
        scanned = next
        lineNumber += 1
        return line
    }

    private func lineTooLong() -> SourceError {
        SourceError("line \(lineNumber + 1) is longer than \(maximumLineLength) bytes; "
                    + "this does not look like a text file of JSON or hex lines",
                    at: SourceLocation(file: path, line: lineNumber + 1))
    }

    /// Reads every remaining line, calling `body` with each and its number.
    public func forEachLine(_ body: (_ line: [UInt8], _ number: Int) throws -> Void) throws {
        while let line = try nextLine() { try body(line, lineNumber) }
    }

    private func findNewline() -> Int? {
        guard scanned < end else { return nil }
        let found: Int? = buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress,
                  let hit = memchr(base + scanned, Int32(UInt8(ascii: "\n")), end - scanned) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        scanned = found ?? end
        return found
    }

    /// Moves the unconsumed tail to the front, grows the buffer when a line fills it, and reads one chunk.
    private func fill() throws(SourceError) {
        guard let file else { reachedEnd = true; return }
        if start > 0 {
            let pending = end - start
            if pending > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    memmove(base, base + start, pending)
                }
            }
            scanned -= start
            end = pending
            start = 0
        }
        // Grow (double) when full, or once a chunk-sized buffer has less than half a chunk free (a long line then
        // arrives in large reads). A small file's first buffer holds it whole with a byte to spare for the end.
        if end == buffer.count || (buffer.count >= chunkSize && buffer.count - end < chunkSize / 2) {
            guard end <= maximumLineLength else { throw lineTooLong() }
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        let room = buffer.count - end
        let got: Int32 = buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            return gzread(file, base + end, UInt32(min(room, Int(Int32.max))))
        }
        if got > 0 {
            buffer.withUnsafeBytes { raw in digest.update(UnsafeRawBufferPointer(rebasing: raw[end..<end + Int(got)])) }
            end += Int(got)
            decompressed += Int(got)
            if isCompressed, decompressed > expansionAllowance,
               decompressed / maximumExpansion > fileSize {
                throw SourceError("gzip data expands more than \(maximumExpansion) times (\(decompressed) bytes from a "
                                  + "\(fileSize)-byte file by line \(lineNumber + 1)): a decompression bomb, not chain data",
                                  at: SourceLocation(file: path, line: lineNumber + 1))
            }
            return
        }
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
        reachedEnd = true
        if got < 0 || (code != Z_OK && code != Z_STREAM_END) {
            // zlib reports a stream that stops mid-member as Z_BUF_ERROR "unexpected end of file".
            let what = code == Z_BUF_ERROR ? "gzip data is truncated (\(message))" : "gzip data is corrupt (\(message))"
            // Every complete line before the fault has been returned already (fill runs only when no newline
            // is left), so the line number names the first line that could not be read whole.
            throw SourceError("\(what) after line \(lineNumber)",
                              at: SourceLocation(file: path, line: lineNumber + 1))
        }
        if fileSize != Int.max {
            inputRead = .file(path, sha256: digest.finalHex(), bytes: isCompressed ? fileSize : digest.count,
                              decompressed: isCompressed)
        }
    }

    /// A UTF-8 byte order mark opening the file is not part of its first line (editors on Windows write one).
    static func withoutByteOrderMark(_ line: [UInt8], first: Bool) -> [UInt8] {
        guard first, line.starts(with: byteOrderMark) else { return line }
        return Array(line.dropFirst(3))
    }

    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The first `count` bytes of the file, decompressed when it is gzip; for sniffing a file's format. A UTF-8
    /// byte order mark at the start is left out.
    public static func prefix(ofFile path: String, count: Int) throws(SourceError) -> (bytes: [UInt8], compressed: Bool) {
        let (fd, _) = try InputFile.openRegular(path)
        guard let f = gzdopen(fd, "rb") else {
            close(fd)
            throw SourceError("cannot open file: out of memory", at: SourceLocation(file: path))
        }
        defer { gzclose(f) }
        var out = [UInt8](repeating: 0, count: max(count, 1))
        let got = out.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return Int32(0) }
            return gzread(f, base, UInt32(count))
        }
        let compressed = gzdirect(f) == 0
        out.removeLast(out.count - Int(max(got, 0)))
        return (withoutByteOrderMark(out, first: true), compressed)
    }
}
