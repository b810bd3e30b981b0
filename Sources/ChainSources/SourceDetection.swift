import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// Opens any path Spoor can read as a `ChainSource`, by looking at it:
///
/// - a directory with `blk*.dat` files (or a Core data directory whose `blocks/` holds them) → blk files;
/// - a directory with `blocks.json` + `transactions.json` (or gzip shards, or `blocks/` + `transactions/`
///   folders of shards) → a bitcoin-etl export;
/// - a directory of `*.jsonl` / `*.json` files (plain or `.gz`) holding getblock objects → node JSON;
/// - a file (plain or `.gz`) whose text starts with `{` or `[` → node JSON (`getblock 2`/`3`);
/// - a file of hex text: one line that decodes as exactly one transaction → raw transactions, several lines
///   → raw transactions (one per line), otherwise → a raw block in hex;
/// - any other file → a raw binary block (optionally framed as magic + length + block).
///
/// What matched is in `SourceDetection.kind(of:)`; when nothing does the error says what Spoor reads.
public enum SourceDetection {
    public enum Kind: String, Sendable, CaseIterable {
        case blockDirectory = "blk files"
        case bitcoinETL = "bitcoin-etl export"
        case nodeJSON = "node JSON"
        case rawTransactions = "raw transactions"
        case rawBlock = "raw block"
    }

    /// The source for `path`, opened.
    public static func open(_ path: String, network: Network? = nil) throws -> any ChainSource {
        let url = URL(fileURLWithPath: path)
        switch try detect(path) {
        case .blockDirectory(let dir):
            return try BlockDirectorySource(directory: dir, network: network)
        case .bitcoinETL(let layout):
            return BitcoinETLSource(layout: layout, network: network)
        case .nodeJSON(let files):
            return NodeJSONSource(files: files, network: network)
        case .rawTransactions:
            return try RawTransactionHexSource(file: url, network: network)
        case .rawBlock:
            return try RawBlockSource(file: url, network: network)
        }
    }

    /// Which kind of source `path` is.
    public static func kind(of path: String) throws(SourceError) -> Kind {
        switch try detect(path) {
        case .blockDirectory: return .blockDirectory
        case .bitcoinETL: return .bitcoinETL
        case .nodeJSON: return .nodeJSON
        case .rawTransactions: return .rawTransactions
        case .rawBlock: return .rawBlock
        }
    }

    enum Detected {
        case blockDirectory(URL)
        case bitcoinETL(BitcoinETLLayout)
        case nodeJSON([String])
        case rawTransactions
        case rawBlock
    }

    static let whatSpoorReads = "Spoor reads: a blocks directory with blk*.dat files, a bitcoin-etl export directory "
        + "(blocks.json + transactions.json, or .json.gz shards), node JSON (getblock 2/3 objects, .json/.jsonl, "
        + "plain or .gz), a file of raw transaction hex (one per line), or one raw block (binary or hex)"

    static func detect(_ path: String) throws(SourceError) -> Detected {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SourceError("no such file or directory", at: SourceLocation(file: path))
        }
        return isDirectory.boolValue ? try detectDirectory(path) : try detectFile(path)
    }

    static func detectDirectory(_ path: String) throws(SourceError) -> Detected {
        let dir = URL(fileURLWithPath: path, isDirectory: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if names.contains(where: isBlkFileName) { return .blockDirectory(dir) }
        if let layout = try BitcoinETLLayout.find(in: dir) { return .bitcoinETL(layout) }
        // A Core data directory: its blocks live in `blocks/`.
        let blocksDir = dir.appendingPathComponent("blocks")
        if let inner = try? FileManager.default.contentsOfDirectory(atPath: blocksDir.path),
           inner.contains(where: isBlkFileName) {
            return .blockDirectory(blocksDir)
        }
        let jsonFiles = names.filter { name in
            [".jsonl", ".json", ".jsonl.gz", ".json.gz"].contains { name.hasSuffix($0) }
        }.sorted(by: naturalOrder).map { dir.appendingPathComponent($0).path }
        if !jsonFiles.isEmpty {
            // Every file must be node JSON; say which one is not.
            for file in jsonFiles {
                guard case .nodeJSON = try detectFile(file) else {
                    throw SourceError("a directory of JSON files, but this one is not node JSON. " + whatSpoorReads,
                                      at: SourceLocation(file: file))
                }
            }
            return .nodeJSON(jsonFiles)
        }
        throw SourceError("nothing Spoor can read in this directory. " + whatSpoorReads, at: SourceLocation(file: path))
    }

    static func detectFile(_ path: String) throws(SourceError) -> Detected {
        let name = URL(fileURLWithPath: path).lastPathComponent
        if isBlkFileName(name) {
            throw SourceError("a single blk file: pass the directory that holds it (with xor.dat, if any) so blocks "
                              + "can be put in chain order", at: SourceLocation(file: path))
        }
        let (head, compressed) = try GzipLineReader.prefix(ofFile: path, count: 1 << 16)
        guard let firstIndex = head.firstIndex(where: { !RawFile.isSpace($0) }) else {
            throw SourceError("the file is empty. " + whatSpoorReads, at: SourceLocation(file: path))
        }
        let first = head[firstIndex]
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            if looksLikeBitcoinETLRow(head) {
                throw SourceError("this is a bitcoin-etl export file: pass the directory holding blocks.json and "
                                  + "transactions.json", at: SourceLocation(file: path))
            }
            return .nodeJSON([path])
        }
        if first == UInt8(ascii: "\"") {
            throw SourceError("a JSON string, not a block or transaction (a getblockhash answer?). " + whatSpoorReads,
                              at: SourceLocation(file: path))
        }
        if RawFile.looksLikeHexText(head) {
            guard !compressed else {
                throw SourceError("gzip-compressed hex is not supported: unpack it first", at: SourceLocation(file: path))
            }
            return try hexTextKind(path)
        }
        guard !compressed else {
            throw SourceError("gzip-compressed data that is neither JSON nor hex. " + whatSpoorReads,
                              at: SourceLocation(file: path))
        }
        if let (offset, byte) = RawFile.firstNonHexInText(head) {
            throw SourceError("text that is neither JSON nor hex: character \(offset) is '\(Character(Unicode.Scalar(byte)))', "
                              + "not a hex digit. " + whatSpoorReads, at: SourceLocation(file: path, byteOffset: offset))
        }
        // Binary: a raw block needs at least a header and a transaction count.
        guard head.count >= 81 else {
            throw SourceError("\(head.count) bytes of binary data: too short for a block. " + whatSpoorReads,
                              at: SourceLocation(file: path))
        }
        return .rawBlock
    }

    /// One hex line holding exactly one transaction, or several lines: raw transactions; otherwise a block.
    static func hexTextKind(_ path: String) throws(SourceError) -> Detected {
        let reader = try GzipLineReader(path: path)
        var nonEmpty = 0
        var firstLine: [UInt8] = []
        while let line = try reader.nextLine() {
            guard line.contains(where: { !RawFile.isSpace($0) }) else { continue }
            nonEmpty += 1
            if nonEmpty == 1 { firstLine = line } else { return .rawTransactions }
        }
        var text = firstLine.filter { !RawFile.isSpace($0) }
        if let bytes = try? Hex.decode(utf8: &text), (try? Transaction(bytes: bytes)) != nil {
            return .rawTransactions
        }
        return .rawBlock
    }

    static func looksLikeBitcoinETLRow(_ head: [UInt8]) -> Bool {
        let text = String(decoding: head.prefix(4096), as: UTF8.self)
        return ["\"coinbase_param\"", "\"transaction_count\"", "\"block_number\"", "\"spent_transaction_hash\""]
            .contains { text.contains($0) }
    }

    static func isBlkFileName(_ name: String) -> Bool {
        name.hasPrefix("blk") && name.hasSuffix(".dat") && name.dropFirst(3).dropLast(4).allSatisfy(\.isNumber)
            && name.count > 7
    }
}
