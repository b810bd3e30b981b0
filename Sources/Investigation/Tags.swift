import BitcoinAddresses
import CaseStore
import ChainSources
import Foundation

public struct TagImport: Sendable {
    public var tags: [CaseStore.Tag]
    /// Tags for other currencies than BTC, left out (counted, never silently).
    public var skippedOtherCurrency: Int
}

/// GraphSense TagPacks (YAML) and simple watchlists (JSON or CSV: address, label, category).
public enum TagParser {
    /// The largest tag file read (GraphSense's largest TagPack is a few MB).
    public static let maximumFileSize = 64 << 20

    /// Picks the format by extension (`.yaml`/`.yml`, `.json`, `.csv`).
    public static func parse(fileURL: URL) throws -> TagImport {
        let name = fileURL.lastPathComponent
        let data: Data
        do { data = Data(try InputFile.read(fileURL.path, limit: maximumFileSize)) } catch {
            throw InputError(file: fileURL.path, error.message)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError(file: fileURL.path, "not UTF-8 text") }
        switch fileURL.pathExtension.lowercased() {
        case "yaml", "yml": return try parseTagPack(text: text, file: name)
        case "json": return TagImport(tags: try parseWatchlistJSON(data: data, file: name), skippedOtherCurrency: 0)
        case "csv": return TagImport(tags: try parseWatchlistCSV(text: text, file: name), skippedOtherCurrency: 0)
        default:
            throw InputError(file: fileURL.path, "unknown tag file type '.\(fileURL.pathExtension)': expected .yaml, .yml, .json or .csv")
        }
    }

    /// A TagPack: header fields (`label`, `category`, `confidence`, `source`, `currency`,
    /// `is_cluster_definer`, ...) apply to every tag unless the tag overrides them.
    public static func parseTagPack(text: String, file: String) throws -> TagImport {
        let root = try BoundedYAML.load(text, file: file)
        guard let pack = root as? [String: Any] else { throw InputError(file: file, "expected a mapping at the top (a TagPack)") }
        guard let tags = pack["tags"] as? [Any] else { throw InputError(file: file, "missing 'tags' list") }
        var result: [CaseStore.Tag] = []
        var skipped = 0
        for (i, item) in tags.enumerated() {
            guard let t = item as? [String: Any] else {
                throw InputError(file: file, "tags[\(i)] is not a mapping")
            }
            func field(_ key: String) -> String? {
                if let v = t[key] { return scalarString(v) }
                if let v = pack[key] { return scalarString(v) }
                return nil
            }
            guard let address = field("address"), !address.isEmpty else {
                throw InputError(file: file, "tags[\(i)] has no 'address'")
            }
            let currency = (field("currency") ?? "BTC").uppercased()
            if currency != "BTC" { skipped += 1; continue }
            guard let label = field("label"), !label.isEmpty else {
                throw InputError(file: file, "tags[\(i)] (\(address)) has no 'label' (neither in the tag nor in the header)")
            }
            let definer: Bool
            switch field("is_cluster_definer")?.lowercased() {
            case nil, "false", "no": definer = false
            case "true", "yes": definer = true
            case let other?: throw InputError(file: file, "tags[\(i)] is_cluster_definer '\(other)' is not true or false")
            }
            result.append(CaseStore.Tag(address: address, label: label, category: field("category"),
                              confidence: field("confidence"), source: field("source"), actor: field("actor"),
                              isClusterDefiner: definer, origin: file))
        }
        return TagImport(tags: result, skippedOtherCurrency: skipped)
    }

    static func scalarString(_ v: Any) -> String? {
        switch v {
        case let s as String: return s
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case let date as Date: return ISO8601DateFormatter().string(from: date)
        default: return nil
        }
    }

    /// `{"addresses": [{"address", "label", "category"}]}` or a bare array of those objects.
    public static func parseWatchlistJSON(data: Data, file: String) throws -> [CaseStore.Tag] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw InputError(file: file, "not valid JSON: \(error.localizedDescription)")
        }
        let list: [Any]
        if let o = root as? [String: Any] {
            guard let a = o["addresses"] as? [Any] else { throw InputError(file: file, "expected an 'addresses' array") }
            list = a
        } else if let a = root as? [Any] {
            list = a
        } else {
            throw InputError(file: file, "expected an object with 'addresses' or an array")
        }
        return try list.enumerated().map { i, item in
            guard let o = item as? [String: Any] else { throw InputError(file: file, "addresses[\(i)] is not an object") }
            guard let address = o["address"] as? String, !address.isEmpty else {
                throw InputError(file: file, "addresses[\(i)] has no 'address' string")
            }
            let definer = (o["is_cluster_definer"] as? Bool) ?? false
            return CaseStore.Tag(address: address.trimmingSpaces(), label: (o["label"] as? String) ?? "watchlist",
                       category: o["category"] as? String, confidence: o["confidence"] as? String,
                       source: o["source"] as? String, isClusterDefiner: definer, origin: file)
        }
    }

    /// `address,label,category` (label and category optional columns).
    public static func parseWatchlistCSV(text: String, file: String) throws -> [CaseStore.Tag] {
        let table = try CSVTable(text: text, file: file)
        guard let ca = table.column("address") else { throw InputError(file: file, line: 1, "missing column 'address'") }
        let cl = table.column("label"), cc = table.column("category"), cd = table.column("is_cluster_definer")
        return try table.rows.map { line, f in
            let address = f[ca].trimmingSpaces()
            guard !address.isEmpty else { throw InputError(file: file, line: line, "empty address") }
            let definer = cd.map { ["true", "yes", "1"].contains(f[$0].trimmingSpaces().lowercased()) } ?? false
            return CaseStore.Tag(address: address, label: cl.map { f[$0] } ?? "watchlist",
                       category: cc.map { f[$0] }, isClusterDefiner: definer, origin: file)
        }
    }
}

/// A cluster that two or more definer tags name differently: its label is contested.
public struct TagConflict: Sendable, Hashable, Codable {
    public var cluster: Int
    public var labels: [String]
    public var addresses: [String]
    public init(cluster: Int, labels: [String], addresses: [String]) {
        self.cluster = cluster; self.labels = labels; self.addresses = addresses
    }
}

/// Resolves tags to clusters: a definer tag labels its whole cluster; conflicts are reported.
public enum ClusterLabels {
    /// `tags` with their address ids (nil when the address is not in the database).
    public static func resolve(tags: [StoredTag], clusterOf: (Int) -> Int)
        -> (labels: [Int: [String]], conflicts: [TagConflict]) {
        var byCluster: [Int: Set<String>] = [:]
        var addressesByCluster: [Int: Set<String>] = [:]
        for tag in tags {
            guard let id = tag.addressID, tag.isClusterDefiner else { continue }
            let c = clusterOf(id)
            byCluster[c, default: []].insert(tag.label)
            addressesByCluster[c, default: []].insert(tag.address)
        }
        var conflicts: [TagConflict] = []
        for (c, labels) in byCluster where labels.count > 1 {
            conflicts.append(TagConflict(cluster: c, labels: labels.sorted(), addresses: (addressesByCluster[c] ?? []).sorted()))
        }
        return (byCluster.mapValues { $0.sorted() }, conflicts.sorted { $0.cluster < $1.cluster })
    }
}

/// Tag and watchlist addresses checked against the case's network: a string that is not an address of it
/// (a typo, another network's address, any text) is never stored or seeded as one.
public enum TagAddressCheck {
    public static func split(_ tags: [Tag], network: Network) -> (valid: [Tag], invalid: [(tag: Tag, error: AddressError)]) {
        var valid: [Tag] = [], invalid: [(tag: Tag, error: AddressError)] = []
        for tag in tags {
            do {
                _ = try Address(tag.address, network: network)
                valid.append(tag)
            } catch {
                invalid.append((tag, error))
            }
        }
        return (valid, invalid)
    }
}
