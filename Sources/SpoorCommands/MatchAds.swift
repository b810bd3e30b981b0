import ArgumentParser

// Owned by the tracing work; replace this placeholder.
struct MatchAds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "match-ads", abstract: "Match scraped ads to payments into the ad site's cluster.")
    func run() async throws { throw CommandFailure("spoor match-ads is not implemented yet") }
}
