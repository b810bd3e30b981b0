import CaseStore
import ChainIndex

/// Which clustering a read command (`report`, `trace`, `match-ads`) used: always the one stored in the case by
/// `spoor cluster`, never one of its own. Printed first on stdout, and as `clustering` in `--json`, so an
/// analyst who reran `cluster` with another profile sees which one the figures come from.
struct ClusteringUsed: Encodable, Equatable {
    var profile: String
    var profileSHA256: String
    /// When the run was stored (ISO 8601, UTC); nil for runs stored before Spoor recorded it.
    var storedAt: String?
    /// The chain height the clustering reached (nil: loose transactions only, or nothing clustered yet).
    var clusteredToHeight: Int64?

    enum CodingKeys: String, CodingKey {
        case profile, profileSHA256 = "profile_sha256", storedAt = "stored_at", clusteredToHeight = "clustered_to_height"
    }

    /// The case's stored clustering, or nil when `spoor cluster` never ran on it.
    static func read(_ database: CaseDatabase) throws -> ClusteringUsed? {
        guard let state = try database.read({ db in try ClusterRunStore.state(db) }) else { return nil }
        let height = state.watermark.map(\.height).flatMap { $0 == Int64.max ? nil : $0 }
        return ClusteringUsed(profile: state.profile, profileSHA256: state.profileHash, storedAt: state.storedAt,
                              clusteredToHeight: height)
    }

    /// The first line of the command's text output.
    static func line(_ used: ClusteringUsed?) -> String {
        guard let used else {
            return "clustering: none stored in this case (every address is its own cluster); run `spoor cluster` first"
        }
        var line = "clustering: the case's stored one, profile \(used.profile) (sha256 \(used.profileSHA256.prefix(16))…)"
        if let at = used.storedAt { line += ", stored \(at)" }
        if let height = used.clusteredToHeight { line += ", up to height \(height)" }
        return line
    }
}
