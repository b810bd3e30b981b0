import BitcoinPrimitives
import Foundation
import GRDB

extension Row {
    /// Used by every reader of the case database: hashes are stored as 32-byte BLOBs in internal order.
    /// A 32-byte BLOB column as a digest; nil for NULL or any other length.
    public func digest(_ column: String) -> Digest32? {
        guard let data = self[column] as Data? else { return nil }
        return Digest32(bytes: data)
    }
}

extension Digest32 {
    /// The 32 bytes in internal order, as SQLite binds a BLOB.
    public var data: Data { Data(bytes) }
}
