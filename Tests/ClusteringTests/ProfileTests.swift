import Clustering
import SpoorTestSupport
import Testing

@Suite struct ProfileTests {
    func load(_ json: String) throws(ProfileError) -> HeuristicProfile {
        try HeuristicProfile.load(Array(json.utf8), file: "p.json")
    }
    let valid = #"{"id":"t","version":1,"cospend":["cospend.multi-input"],"exclude":["exclude.coinbase"],"change":{"unique":{"use":"change.optimal"}}}"#

    @Test func shippedProfilesLoadWithHashes() throws {
        for name in ["default", "conservative", "change"] {
            let p = try SampleChain.profile(name)
            #expect(p.id == name)
            #expect(p.hash.count == 64)
        }
        #expect(try SampleChain.profile("default").change == nil)
        #expect(try SampleChain.profile("change").change != nil)
    }

    @Test func hashFollowsTheBytes() throws {
        let a = try load(valid), b = try load(valid + " ")
        #expect(a.hash != b.hash)
        #expect(a.change == .unique(.use("change.optimal")))
    }

    @Test(arguments: [
        (#"{"id":"t","version":1,"cospend":[],"exclude":["exclude.nope"]}"#, "exclude[0]", "unknown exclusion"),
        (#"{"id":"t","version":1,"cospend":[],"exclude":[],"chnage":null}"#, "chnage", "unknown key"),
        (#"{"id":"t","version":1,"cospend":[],"exclude":[],"change":{"unique":{"use":"change.magic"}}}"#, "change.unique.use", "unknown change heuristic"),
        (#"{"id":"t","version":1,"cospend":[],"exclude":[],"change":{"use":"change.round-payment","parameters":{"digits":99}}}"#, "change.parameters.digits", "outside"),
        (#"{"id":"t","version":1,"cospend":[],"exclude":[],"change":{"at-least":{"k":3,"of":[{"use":"change.optimal"}]}}}"#, "change.at-least.k", "between 1"),
        (#"{"id":"t","version":1,"cospend":[],"exclude":[],"guards":{"max_merge_growth":0}}"#, "guards.max_merge_growth", "at least 1"),
        (#"{"version":1,"cospend":[],"exclude":[]}"#, "id", "missing"),
        (#"{"id":"t","version":1,"cospend":[],"exclude":[], "#, "", "not valid JSON"),
    ])
    func validationNamesFileAndKey(json: String, path: String, message: String) {
        do {
            _ = try load(json)
            Issue.record("accepted invalid profile \(json)")
        } catch {
            #expect(error.file == "p.json")
            #expect(error.path == path, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
