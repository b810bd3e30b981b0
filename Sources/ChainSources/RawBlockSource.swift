import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// Reads whole files as bytes, for the raw sources (one block or a list of transactions: small files).
enum RawFile {
    /// The most a raw file may hold: a block of the 4,000,000-byte consensus limit as hex with line breaks,
    /// or a list of transactions that size. Larger files are refused before they are read.
    static let maximumSize = 16 << 20

    static func read(_ url: URL) throws(SourceError) -> [UInt8] {
        try InputFile.read(url.path, limit: maximumSize)
    }

    static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 }

    /// Whether a file is hex text rather than binary: its first 160 non-space bytes (a block header's worth)
    /// are hex digits. Binary blocks and transactions never qualify (their first bytes hold zeros), while
    /// a hex file with a typo further on still counts as hex, so the typo is reported by its position.
    static func looksLikeHexText(_ bytes: [UInt8]) -> Bool {
        var seen = 0
        for b in bytes where !isSpace(b) {
            guard isHexDigit(b) else { return false }
            seen += 1
            if seen == 160 { break }
        }
        return seen >= 2
    }

    /// For bytes that are printable text (ASCII letters, digits, punctuation, white space: what a binary block
    /// or transaction never is, since its first bytes hold zeros) but not hex: the offset and value of the first
    /// character that is not a hex digit. Nil for hex text and for binary data.
    static func firstNonHexInText(_ bytes: [UInt8]) -> (offset: Int, byte: UInt8)? {
        guard !bytes.isEmpty, bytes.allSatisfy({ isSpace($0) || (0x20...0x7e).contains($0) }) else { return nil }
        guard let i = bytes.firstIndex(where: { !isSpace($0) && !isHexDigit($0) }) else { return nil }
        return (i, bytes[i])
    }

    /// Decodes hex text with surrounding white space; errors give the character offset in the file.
    static func decodeHexText(_ bytes: [UInt8], path: String, line: Int? = nil,
                              lineStart: Int = 0) throws(SourceError) -> [UInt8] {
        var lo = 0, hi = bytes.count
        while lo < hi, isSpace(bytes[lo]) { lo += 1 }
        while hi > lo, isSpace(bytes[hi - 1]) { hi -= 1 }
        var text = Array(bytes[lo..<hi])
        do {
            return try Hex.decode(utf8: &text)
        } catch {
            throw SourceError("\(error.reason) at character \(lineStart + lo + error.offset)",
                              at: SourceLocation(file: path, byteOffset: line == nil ? lineStart + lo + error.offset : nil,
                                                 line: line),
                              underlying: error)
        }
    }
}

/// One raw block in a file: binary, hex text, or a single blk-file record (magic + length + block).
public final class RawBlockSource: ChainSource {
    /// Whether file contents are hex text rather than binary (see `RawFile.looksLikeHexText`).
    public static func looksLikeHexText(_ bytes: [UInt8]) -> Bool { RawFile.looksLikeHexText(bytes) }
    /// See `RawFile.firstNonHexInText`.
    public static func firstNonHexInText(_ bytes: [UInt8]) -> (offset: Int, byte: UInt8)? { RawFile.firstNonHexInText(bytes) }

    public let file: URL
    public private(set) var network: Network?
    /// Whether the file was hex text.
    public let isHex: Bool
    private var block: Block?
    private var blockOffset: Int
    private let fileRead: ChainInput

    /// Reads and decodes the block at once: a single block is small, and errors belong at the start.
    public init(file: URL, network: Network?) throws {
        self.file = file
        let path = file.path
        let raw = try RawFile.read(file)
        fileRead = .file(path, sha256: raw.withUnsafeBytes { p in
            var digest = StreamingSHA256()
            digest.update(p)
            return digest.finalHex()
        }, bytes: raw.count)
        isHex = RawFile.looksLikeHexText(raw)
        var bytes = isHex ? try RawFile.decodeHexText(raw, path: path) : raw
        var start = 0
        self.network = network
        // A blk-file record around the block: its magic names the network.
        if bytes.count >= 8, let framed = Network.fromMagic(bytes[0..<4]) {
            if let network, network != framed {
                throw SourceError("record magic \(Hex.encode(bytes[0..<4])) is \(framed.rawValue)'s, not "
                                  + "\(network.rawValue)'s", at: SourceLocation(file: path, byteOffset: 0))
            }
            let length = Int(UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24)
            guard length == bytes.count - 8 else {
                throw SourceError("record length \(length) does not match the \(bytes.count - 8) byte(s) after it",
                                  at: SourceLocation(file: path, byteOffset: 4))
            }
            self.network = framed
            start = 8
        }
        guard bytes.count > start else {
            throw SourceError("empty file: no block", at: SourceLocation(file: path, byteOffset: 0))
        }
        blockOffset = start
        let unit = isHex ? "hex byte" : "byte"
        let decoded: Result<Block, SourceError> = bytes.withUnsafeMutableBytes { p in
            var r = ByteReader(UnsafeRawBufferPointer(p), offset: start)
            do throws(ParseError) {
                let b = try Block(from: &r)
                guard r.isAtEnd else {
                    return .failure(SourceError("\(r.remaining) trailing \(unit)(s) after the block"
                                                + (isHex ? " (from decoded byte \(r.offset))" : ""),
                                                at: SourceLocation(file: path, byteOffset: isHex ? nil : r.offset)))
                }
                return .success(b)
            } catch {
                // In hex text the fault's position is a decoded byte, not a character of the file: say so.
                let message = isHex ? "bad block: \(error.reason) at byte \(error.offset) of the decoded block"
                    : "bad block: \(error.reason)"
                return .failure(SourceError(message, at: SourceLocation(file: path, byteOffset: isHex ? nil : error.offset),
                                            underlying: error))
            }
        }
        bytes = []
        block = try decoded.get()
    }

    public func inputsRead() throws -> [ChainInput] { [fileRead] }

    public func next() throws -> SourceItem? {
        guard let b = block else { return nil }
        block = nil
        return .block(SourceBlock(block: b, height: b.bip34Height,
                                  location: SourceLocation(file: file.path, byteOffset: blockOffset)))
    }
}
