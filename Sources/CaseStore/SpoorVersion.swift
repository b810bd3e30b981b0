/// The tool's version, written here and nowhere else: `spoor --version`, the case database's `meta.tool_version`
/// ("spoor 0.1.0") and each report's `manifest.tool_version` all read it. It lives in CaseStore because that is
/// the lowest target the three writers share (the store, the investigation, the commands).
public enum SpoorVersion {
    public static let current = "0.1.0"
}
