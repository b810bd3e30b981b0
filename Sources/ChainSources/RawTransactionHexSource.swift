import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// Raw transactions as hex text, one per line (blank lines are allowed between them). Each is decoded
/// exactly: a line with bytes left over after its transaction is an error.
public final class RawTransactionHexSource: ChainSource {
    public let file: URL
    public let network: Network?
    private let text: [UInt8]
    private var position = 0
    private var lineNumber = 0
    private var finished = false

    public init(file: URL, network: Network?) throws {
        self.file = file
        self.network = network
        text = try RawFile.read(file)
    }

    public func next() throws -> SourceItem? {
        while !finished {
            guard position < text.count else { finished = true; return nil }
            let lineStart = position
            var end = lineStart
            while end < text.count, text[end] != 0x0a { end += 1 }
            position = end + 1
            lineNumber += 1
            let line = Array(text[lineStart..<end])
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
