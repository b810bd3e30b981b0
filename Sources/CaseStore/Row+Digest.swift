import BitcoinPrimitives
import Foundation
import GRDB

extension Row {
    /// A 32-byte BLOB column as a digest; nil for NULL or any other length.
    func digest(_ column: String) -> Digest32? {
        guard let data = self[column] as Data? else { return nil }
        return Digest32(bytes: data)
    }
}

extension Digest32 {
    /// The 32 bytes in internal order, as SQLite binds a BLOB.
    var data: Data { Data(bytes) }
}
