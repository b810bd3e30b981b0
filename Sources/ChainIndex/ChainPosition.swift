/// A position in chain order: block height, then position in the block. Loose transactions (no block) sort
/// after every block (height `Int64.max`), by their store id.
public struct ChainPosition: Comparable, Hashable, Sendable, Codable {
    public var height: Int64
    public var position: Int64
    public init(height: Int64, position: Int64) { self.height = height; self.position = position }
    public static func < (a: ChainPosition, b: ChainPosition) -> Bool { (a.height, a.position) < (b.height, b.position) }
}
