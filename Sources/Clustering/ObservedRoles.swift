import ChainIndex

/// The roles `guard.roles` keeps apart, as observed on the chain from the analyst's watchlist — observations,
/// not truth (criterion in Heuristics/README.md, "Role conflicts").
///
/// - **site** (receives ad payments): the addresses the caller attributes to the site from the site's own
///   transactions (the watchlist and what `SiteExpansion` adds without the clustering: consolidations, the
///   cold store, PayJoin receiver inputs).
/// - **payer** (pays the site): every other input address of a transaction that pays a site address.
///
/// Both are known only once the whole chain has been read (an invoice address shows it is the site's when the
/// site sweeps it, after the ad was paid), so they are computed over the chain before the clustering walks it.
public struct ObservedRoles: Sendable, Equatable {
    public static let site: UInt8 = 1
    public static let payer: UInt8 = 2

    /// The role bits of each address that has one.
    public private(set) var byAddress: [UInt32: UInt8]

    public init(byAddress: [UInt32: UInt8] = [:]) { self.byAddress = byAddress }

    public var isEmpty: Bool { byAddress.isEmpty }

    /// The site's addresses and the input addresses of every non-coinbase transaction paying one of them that
    /// are not the site's (a PayJoin's payer inputs too: the site's own input there stays the site's).
    /// - Complexity: O(inputs + outputs) of the chain.
    public static func observe(_ chain: ChainIndex, site: Set<UInt32>) -> ObservedRoles {
        var roles: [UInt32: UInt8] = [:]
        for a in site { roles[a] = Self.site }
        guard !site.isEmpty else { return ObservedRoles(byAddress: roles) }
        for t in 0..<chain.txCount {
            let tx = chain.view(t)
            guard !tx.isCoinbase, tx.outputs.contains(where: { site.contains(chain.outputAddress[$0]) }) else { continue }
            for i in tx.inputs {
                let a = chain.inputAddress[i]
                if a != ChainIndex.noAddress && !site.contains(a) { roles[a, default: 0] |= Self.payer }
            }
        }
        return ObservedRoles(byAddress: roles)
    }

    /// Whether clusters carrying these role bits must stay apart: one receives the site's payments, the other
    /// pays them.
    @inline(__always)
    public static func conflict(_ a: UInt8, _ b: UInt8) -> Bool {
        (a & site != 0 && b & payer != 0) || (a & payer != 0 && b & site != 0)
    }
}
