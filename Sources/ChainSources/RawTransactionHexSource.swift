import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// Raw transactions as hex text, one per line (blank lines are allowed between them). Each is decoded
/// exactly: a line with bytes left over after its transaction is an error. Read a line at a time, so the file
/// may be long; a line may hold at most one consensus-sized transaction's hex.
public final class RawTransactionHexSource: ChainSource {
    public let file: URL
    public let network: Network?
    private let lines: GzipLineReader
    private var lineNumber = 0
    private var finished = false

    public init(file: URL, network: Network?) throws {
        self.file = file
        self.network = network
        lines = try GzipLineReader(path: file.path, maximumLineLength: RawFile.maximumSize)
    }

    public func inputsRead() throws -> [ChainInput] { lines.inputRead.map { [$0] } ?? [] }

    public func next() throws -> SourceItem? {
        while !finished {
            guard let line = try lines.nextLine() else { finished = true; return nil }
            lineNumber += 1
            if line.allSatisfy(RawFile.isSpace) { continue }
            do {
                let location = SourceLocation(file: file.path, line: lineNumber)
                let bytes = try RawFile.decodeHexText(line, path: file.path, line: lineNumber)
                do {
                    return .transaction(try Transaction(bytes: bytes), location)
                } catch {
                    throw SourceError("bad transaction: \(error.reason) at byte \(error.offset) of the transaction "
                                      + "(hex character \(2 * error.offset) of the line)",
                                      at: location, underlying: error)
                }
            } catch {
                finished = true
                throw error
            }
        }
        return nil
    }
}
