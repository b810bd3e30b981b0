/// Counts in sentences a reader sees (ad-matching reasons, report text): "1 ad", "3 ads", never "ad(s)".
public enum Wording {
    /// `n` with its noun in the right number (`plural` defaults to the singular plus "s").
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }
}
