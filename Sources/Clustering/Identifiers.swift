/// A dense address id of the case database (`address.id`): 0, 1, 2, … with no gaps.
///
/// Dense ids let the union-find be a flat array. `UInt32` caps a database at 4.29 billion addresses,
/// which is about four times mainnet's count in 2025.
public struct AddressID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: UInt32
    @inlinable public init(_ raw: UInt32) { self.raw = raw }
    @inlinable public static func < (a: AddressID, b: AddressID) -> Bool { a.raw < b.raw }
    public var description: String { "address#\(raw)" }
}

/// A cluster's id: the smallest address id among its members (union by minimum), so it is the same on
/// every run and machine for the same data and profile.
public struct ClusterID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: UInt32
    @inlinable public init(_ raw: UInt32) { self.raw = raw }
    @inlinable public init(_ address: AddressID) { self.raw = address.raw }
    @inlinable public static func < (a: ClusterID, b: ClusterID) -> Bool { a.raw < b.raw }
    public var description: String { "cluster#\(raw)" }
}

/// A dense transaction id of the case database (`tx.id`).
public struct TxID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: UInt32
    @inlinable public init(_ raw: UInt32) { self.raw = raw }
    @inlinable public static func < (a: TxID, b: TxID) -> Bool { a.raw < b.raw }
    public var description: String { "tx#\(raw)" }
}
